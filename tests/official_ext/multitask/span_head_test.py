"""SpanHead: masking, (CE start + CE end) / 2 by hand, best-span decoding."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import span_head

SpanHead = span_head.SpanHead


def test_shapes_and_padding_mask():
  seq = tf.random.normal([2, 5, 8], seed=3)
  mask = tf.constant([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
  head = SpanHead()
  clean = head(seq)
  out = head(seq, input_mask=mask)
  assert head.kind == 'span'
  for key in ('start_logits', 'end_logits'):
    assert out[key].shape == (2, 5) and out[key].dtype == tf.float32
    got = out[key].numpy()
    np.testing.assert_array_equal(got[0, 3:], [span_head.MASKED_LOGIT] * 2)
    np.testing.assert_array_equal(got[0, :3], clean[key].numpy()[0, :3])
    np.testing.assert_array_equal(got[1], clean[key].numpy()[1])
  # head_outputs reads the mask from the features.
  via_features = head.head_outputs({'sequence_output': seq},
                                   {'input_mask': mask})
  np.testing.assert_array_equal(via_features['end_logits'], out['end_logits'])
  assert head.r3f_logits(out).shape == (4, 5)
  assert head.num_predictions({'input_word_ids': tf.zeros([2, 5])}) == 5


def test_loss_by_hand():
  head = SpanHead()
  outputs = {
      'start_logits': tf.constant([[0.0, 0.0, span_head.MASKED_LOGIT]]),
      'end_logits': tf.constant([[math.log(0.9), math.log(0.1),
                                  span_head.MASKED_LOGIT]])}
  features = {'start_positions': tf.constant([0]),
              'end_positions': tf.constant([1])}
  # start: -ln 0.5; end: -ln 0.1.
  np.testing.assert_allclose(head.per_example_loss(features, outputs),
                             [(math.log(2) + math.log(10)) / 2], rtol=1e-6)
  with pytest.raises(KeyError, match='end_positions'):
    head.per_example_loss({'start_positions': tf.constant([0])}, outputs)


START = [0.0, 5.0, 1.0, 0.0, 0.0]
END = [8.0, 1.0, 0.0, 6.0, 9.0]


@pytest.mark.parametrize('max_len,expected', [
    # (1, 0) would score 13 but ends before it starts; (1, 4) = 14 is 4 long.
    (3, (1, 3)),     # 5 + 6 = 11
    (4, (1, 4)),     # 5 + 9 = 14
    (1, (4, 4)),     # single tokens (i, i) score 8, 6, 1, 6, 9
])
def test_best_span_decoding(max_len, expected):
  head = SpanHead(max_answer_length=max_len)
  outputs = {'start_logits': tf.constant([START]),
             'end_logits': tf.constant([END])}
  pred = head.predictions(outputs)
  assert pred.dtype == tf.int32 and pred.shape == (1, 2)
  assert tuple(pred.numpy()[0]) == expected


def test_decoding_skips_masked_positions():
  head = SpanHead(max_answer_length=4)
  mask = tf.constant([[1, 1, 1, 1, 0]])
  # Logits come straight from known values: bypass the dense layer.
  start = tf.where(mask > 0, tf.constant([START]), span_head.MASKED_LOGIT)
  end = tf.where(mask > 0, tf.constant([END]), span_head.MASKED_LOGIT)
  pred = head.predictions({'start_logits': start, 'end_logits': end})
  assert tuple(pred.numpy()[0]) == (1, 3)


def test_decoding_in_tf_function_with_unknown_length():
  head = SpanHead(max_answer_length=3)
  fn = tf.function(head.predictions, input_signature=[{
      'start_logits': tf.TensorSpec([None, None], tf.float32),
      'end_logits': tf.TensorSpec([None, None], tf.float32)}])
  out = fn({'start_logits': tf.constant([START, START[::-1]]),
            'end_logits': tf.constant([END, END[::-1]])})
  assert tuple(out.numpy()[0]) == (1, 3)


def test_config_round_trip_and_errors():
  head = SpanHead(max_answer_length=12, initializer_range=0.1, name='mrc')
  config = head.get_config()
  assert config['max_answer_length'] == 12
  clone = tf_keras.layers.deserialize(tf_keras.layers.serialize(head))
  assert isinstance(clone, SpanHead) and clone.get_config() == config
  with pytest.raises(ValueError, match='max_answer_length'):
    SpanHead(max_answer_length=0)
