"""Model Garden / EncoderScaffold variable names to canonical keys, and the
per-head reshapes."""

import numpy as np

from official_ext.interchange import model_garden_names as names


def test_bert_encoder_v2_names():
  assert names.bert_encoder_v2_key(
      'bert_encoder_v2/transformer/layer_3/self_attention/query/kernel:0'
  ) == 'layer_3/attention/query/kernel'
  assert names.bert_encoder_v2_key(
      'transformer/layer_0/self_attention/attention_output/bias'
  ) == 'layer_0/attention/output/bias'
  assert names.bert_encoder_v2_key(
      'transformer/layer_1/output_layer_norm/gamma') == (
          'layer_1/output/layer_norm/gamma')
  assert names.bert_encoder_v2_key('embeddings/layer_norm/beta:0') == (
      'embeddings/layer_norm/beta')
  assert names.bert_encoder_v2_key('pooler_transform/kernel') == (
      'pooler/kernel')
  assert names.bert_encoder_v2_key('cls/predictions/output_bias') is None


def test_scaffold_names_are_ordered_by_layer_number():
  found = ['transformer_7/intermediate/kernel:0',
           'transformer_5/intermediate/kernel:0',
           'cls_transform/bias:0', 'word_embeddings/embeddings:0']
  key_fn = names.scaffold_or_v2_key_fn(found)
  assert [key_fn(n) for n in found] == [
      'layer_1/intermediate/kernel', 'layer_0/intermediate/kernel',
      'pooler/bias', 'embeddings/word_embeddings']


def test_per_head_reshapes_by_hand():
  kernel = np.arange(4 * 2 * 2).reshape(4, 2, 2)  # [hidden, heads, size]
  flat = names.to_canonical('layer_0/attention/query/kernel', kernel)
  assert flat.shape == (4, 4)
  assert flat[1].tolist() == [4, 5, 6, 7]  # head 0 then head 1 of row 1
  assert names.to_canonical('layer_0/attention/key/bias',
                            np.ones((2, 2))).shape == (4,)
  out = names.to_canonical('layer_0/attention/output/kernel',
                           np.zeros((2, 2, 4)))
  assert out.shape == (4, 4)
  np.testing.assert_array_equal(names.to_model(flat, (4, 2, 2)), kernel)
