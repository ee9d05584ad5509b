"""Canonical shapes, field inference, checks and the exact projection-bias
fold."""

import numpy as np
import pytest

from official_ext.interchange import encoder_weights as ew
from tests.official_ext.interchange import interchange_fixtures as fx


def test_expected_shapes_by_hand():
  shapes = ew.expected_shapes(fx.fields(embedding_size=32, num_layers=1),
                              pooler=False, projection_bias=True)
  assert shapes['embeddings/word_embeddings'] == (40, 32)
  assert shapes['embeddings/position_embeddings'] == (24, 32)
  assert shapes['embeddings/projection/kernel'] == (32, 64)
  assert shapes['embeddings/projection/bias'] == (64,)
  assert shapes['layer_0/intermediate/kernel'] == (64, 96)
  assert shapes['layer_0/output/kernel'] == (96, 64)
  assert shapes['layer_0/attention/output/kernel'] == (64, 64)
  assert 'pooler/kernel' not in shapes and 'layer_1/output/bias' not in shapes
  # 5 embedding + 2 projection + 16 per layer.
  assert len(shapes) == 5 + 2 + 16
  assert 'embeddings/projection/kernel' not in ew.expected_shapes(fx.fields())


def test_infer_fields_from_shapes():
  encoder_fields = fx.fields(embedding_size=32, hidden_size=128, heads=2)
  inferred = ew.infer_fields(fx.random_weights(encoder_fields), 'src')
  for key in ('vocab_size', 'hidden_size', 'num_layers', 'embedding_size',
              'intermediate_size', 'max_position_embeddings',
              'type_vocab_size'):
    assert inferred[key] == encoder_fields[key], key
  assert inferred['num_attention_heads'] == 2  # one per 64 units
  with pytest.raises(ew.InterchangeError,
                     match='src: no weight for layer_0/attention/query/'
                     'kernel; is it a BERT or ELECTRA encoder'):
    ew.infer_fields({'embeddings/word_embeddings': np.zeros((3, 2)),
                     'embeddings/position_embeddings': np.zeros((3, 2)),
                     'embeddings/token_type_embeddings': np.zeros((2, 2))},
                    'src')


def test_check_names_the_bad_key():
  encoder_fields = fx.fields()
  weights = fx.random_weights(encoder_fields)
  assert ew.check(ew.EncoderWeights(encoder_fields, dict(weights), 'x')) == []
  no_pooler = {k: v for k, v in weights.items() if not k.startswith('pool')}
  assert ew.check(ew.EncoderWeights(encoder_fields, no_pooler, 'x')) == [
      'pooler']
  weights['layer_2/output/bias'] = np.zeros(64, np.float32)
  with pytest.raises(ew.InterchangeError,
                     match=r'x: layer_2/output/bias does not fit an encoder of '
                     r'num_layers=2, .* \(1 such weights\)'):
    ew.check(ew.EncoderWeights(encoder_fields, weights, 'x'))
  with pytest.raises(ew.InterchangeError, match='hidden_size=64 is not a '
                     'multiple of num_attention_heads=3'):
    ew.check(ew.EncoderWeights(dict(encoder_fields, num_attention_heads=3),
                               no_pooler, 'x'))


def test_electra_projection_bias_is_folded_exactly(tmp_path):
  """A nonzero `embeddings_project.bias` (released ELECTRA has one) moves
  into layer 0; the imported encoder computes what the HF model computes:
  checked against a hand-written numpy forward pass of the first layer's
  input projection (q = (x W_p + b) W_q + b_q)."""
  encoder_fields = fx.fields(embedding_size=32)
  weights = fx.random_weights(encoder_fields, projection_bias=True)
  folded = ew.fold_projection_bias(weights)
  x = np.random.default_rng(1).normal(size=(5, 32)).astype(np.float32)
  projected = x @ weights['embeddings/projection/kernel']
  for part in ('query', 'key', 'value'):
    kernel = weights[f'layer_0/attention/{part}/kernel']
    want = (projected + weights[ew.PROJECTION_BIAS]) @ kernel + weights[
        f'layer_0/attention/{part}/bias']
    got = projected @ kernel + folded[f'layer_0/attention/{part}/bias']
    np.testing.assert_allclose(got, want, atol=1e-4)
  np.testing.assert_allclose(
      folded['layer_0/attention/output/bias'],
      weights['layer_0/attention/output/bias'] + weights[ew.PROJECTION_BIAS],
      atol=1e-6)
  assert ew.PROJECTION_BIAS not in folded


