"""MultipleChoiceHead: [B * C] -> [B, C] order, CE over candidates by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import multiple_choice_head

MultipleChoiceHead = multiple_choice_head.MultipleChoiceHead


def _summing_head(**kwargs):
  """A head whose score is the sum of the pooled row (kernel 1, bias 0)."""
  head = MultipleChoiceHead(dropout_rate=0.0, **kwargs)
  head.build([None, 3])
  head(tf.zeros([2, 3]), num_choices=2)
  head.scorer.set_weights([np.ones([3, 1], np.float32), np.zeros([1])])
  return head


def test_reshape_order():
  head = _summing_head()
  # Row b * C + c belongs to example b, candidate c. B = 2, C = 3.
  pooled = tf.constant([[float(r), 0.0, 0.0] for r in range(6)])
  scores = head(pooled, num_choices=3)
  assert head.kind == 'multiple_choice'
  np.testing.assert_array_equal(scores, [[0, 1, 2], [3, 4, 5]])


def test_choices_come_from_the_features():
  head = _summing_head()
  pooled = tf.constant([[float(r), 0.0, 0.0] for r in range(6)])
  for c in (2, 3):
    features = {'input_word_ids': tf.zeros([6 // c, c, 4], tf.int32)}
    out = head.head_outputs({'pooled_output': pooled}, features)
    assert out.shape == (6 // c, c)
    assert head.num_predictions(features) == c

  @tf.function(input_signature=[tf.TensorSpec([None, None, None], tf.int32)])
  def dynamic(ids):
    return head.head_outputs({'pooled_output': pooled},
                             {'input_word_ids': ids})
  np.testing.assert_array_equal(dynamic(tf.zeros([3, 2, 4], tf.int32)),
                                [[0, 1], [2, 3], [4, 5]])


def test_loss_by_hand():
  head = MultipleChoiceHead()
  scores = tf.constant([[0.0, 0.0], [math.log(0.9), math.log(0.1)]])
  features = {'label': tf.constant([1, 0])}
  np.testing.assert_allclose(head.per_example_loss(features, scores),
                             [math.log(2), -math.log(0.9)], rtol=1e-6)
  np.testing.assert_array_equal(head.predictions(scores), [0, 0])
  three = head.per_example_loss({'label': tf.constant([2])},
                                tf.zeros([1, 3]))
  np.testing.assert_allclose(three, [math.log(3)], rtol=1e-6)
  assert head.r3f_logits(scores).shape == (2, 2)


def test_fixed_choices_and_errors():
  head = MultipleChoiceHead(num_choices=4)
  assert head.num_predictions() == 4
  pooled = tf.zeros([8, 3])
  assert head(pooled).shape == (2, 4)
  with pytest.raises(ValueError, match='built for 4 choices'):
    head.head_outputs({'pooled_output': pooled},
                      {'input_word_ids': tf.zeros([4, 2, 5], tf.int32)})
  with pytest.raises(ValueError, match='choices, seq_len'):
    head.head_outputs({'pooled_output': pooled},
                      {'input_word_ids': tf.zeros([8, 5], tf.int32)})
  with pytest.raises(ValueError, match='number of choices is unknown'):
    MultipleChoiceHead()(pooled)
  with pytest.raises(ValueError, match='num_choices'):
    MultipleChoiceHead(num_choices=1)
  with pytest.raises(ValueError, match='dropout_rate'):
    MultipleChoiceHead(dropout_rate=-0.1)


def test_config_round_trip():
  head = MultipleChoiceHead(num_choices=5, dropout_rate=0.3,
                            name='commonsense')
  config = head.get_config()
  assert config['num_choices'] == 5 and config['dropout_rate'] == 0.3
  clone = tf_keras.layers.deserialize(tf_keras.layers.serialize(head))
  assert isinstance(clone, MultipleChoiceHead)
  assert clone.get_config() == config
