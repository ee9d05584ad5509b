"""The top layer at masked positions equals the full layer gathered there."""

import numpy as np
import pytest
import tensorflow as tf

from official.nlp.configs import encoders
from official.nlp.modeling import networks
from official.projects.teams import teams

from official_ext.modeling.networks import masked_top_encoder
from tests.official_ext.modeling import modeling_fixtures as fx

TOL = 1e-5
# Summation order differs (float32): relative to the largest gradient.
GRAD_TOL = 1e-6


def _encoder(num_layers=2):
  cfg = encoders.BertEncoderConfig(
      vocab_size=fx.VOCAB, hidden_size=32, num_layers=num_layers,
      num_attention_heads=2, intermediate_size=64, embedding_size=16,
      max_position_embeddings=fx.SEQ, dropout_rate=0.0,
      attention_dropout_rate=0.0)
  encoder = teams.get_encoder(cfg)
  batch = fx.tiny_batch()
  inputs = [batch['input_word_ids'], batch['input_mask'],
            batch['input_type_ids']]
  encoder(inputs)
  return encoder, inputs, batch['masked_lm_positions']


def test_gather_rows_and_identity_positions_hand_case():
  data = tf.constant([[[0.], [1.], [2.]], [[3.], [4.], [5.]]])
  positions = tf.constant([[2, 0], [1, 1]])
  np.testing.assert_array_equal(
      masked_top_encoder.gather_rows(data, positions)[..., 0], [[2, 0], [4, 4]])
  np.testing.assert_array_equal(
      masked_top_encoder.identity_positions(positions), [[0, 1], [0, 1]])


@pytest.mark.parametrize('num_layers', [1, 3])
def test_masked_top_equals_full_layer_at_the_positions(num_layers):
  encoder, inputs, positions = _encoder(num_layers)
  full = encoder(inputs)
  masked = masked_top_encoder.encode(encoder, inputs, top_positions=positions)
  assert len(masked) == num_layers
  assert masked[-1].shape == (fx.BATCH, fx.PREDICTIONS, 32)
  for got, want in zip(masked[:-1], full['encoder_outputs'][:-1]):
    np.testing.assert_allclose(got, want, atol=TOL)
  expected = tf.gather(full['sequence_output'], positions, batch_dims=1)
  np.testing.assert_allclose(masked[-1], expected, atol=TOL)
  # Without positions: every layer in full, and the same pooler output.
  unmasked = masked_top_encoder.encode(encoder, inputs)
  np.testing.assert_allclose(unmasked[-1], full['sequence_output'], atol=TOL)
  np.testing.assert_allclose(
      masked_top_encoder.pooled_output(encoder, unmasked[-1]),
      full['pooled_output'], atol=TOL)


def test_padding_keys_stay_masked():
  """Row 1 of the batch has padding: changing padded tokens changes nothing."""
  encoder, inputs, positions = _encoder()
  ids = inputs[0].numpy()
  ids[1, -4:] = 7  # padded tokens (mask 0)
  before = masked_top_encoder.encode(encoder, inputs, top_positions=positions)
  after = masked_top_encoder.encode(
      encoder, [tf.constant(ids)] + inputs[1:], top_positions=positions)
  np.testing.assert_allclose(before[-1][1], after[-1][1], atol=TOL)


def test_gradients_equal_the_full_computation():
  encoder, inputs, positions = _encoder()
  weights = tf.constant(np.random.default_rng(0).normal(
      size=(fx.BATCH, fx.PREDICTIONS, 32)), tf.float32)
  variables = encoder.trainable_variables

  def grads(masked):
    with tf.GradientTape() as tape:
      if masked:
        top = masked_top_encoder.encode(
            encoder, inputs, top_positions=positions)[-1]
      else:
        top = tf.gather(encoder(inputs)['sequence_output'], positions,
                        batch_dims=1)
      loss = tf.reduce_sum(weights * top)
    return tape.gradient(loss, variables)

  got, want = grads(True), grads(False)
  compared = 0
  for variable, g, w in zip(variables, got, want):
    if 'cls_transform' in variable.name:  # the pooler: unused by both
      assert g is None and w is None
      continue
    g, w = tf.convert_to_tensor(g), tf.convert_to_tensor(w)
    scale = max(1.0, float(tf.reduce_max(tf.abs(w))))
    np.testing.assert_allclose(g, w, atol=GRAD_TOL * scale,
                               err_msg=variable.name)
    compared += 1
  assert compared == len(variables) - 2
  assert float(tf.reduce_max(tf.abs(tf.convert_to_tensor(got[0])))) > 0


def test_unsupported_encoders_raise_naming_them():
  bert = networks.BertEncoderV2(vocab_size=fx.VOCAB, hidden_size=16,
                                num_layers=1, num_attention_heads=2,
                                inner_dim=32)
  with pytest.raises(ValueError, match='needs an EncoderScaffold'):
    masked_top_encoder.check_supported(bert)
  encoder, _, _ = _encoder()
  encoder._layer_norm_before_pooling = True  # pylint: disable=protected-access
  with pytest.raises(ValueError, match='layer_norm_before_pooling'):
    masked_top_encoder.check_supported(encoder)
