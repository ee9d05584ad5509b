"""ClassificationHead: shapes, CE / MSE by hand, dropout, config round-trip."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import classification_head

ClassificationHead = classification_head.ClassificationHead
LOGITS = [[0.0, 0.0], [math.log(0.9), math.log(0.1)]]


def test_shapes_kinds_and_float32_logits():
  pooled = tf.random.normal([4, 8], seed=1)
  head = ClassificationHead(3, name='sst')
  assert head(pooled).shape == (4, 3)
  assert head.kind == 'classification' and head.kinds == ('classification',)
  assert head.num_predictions() == 3
  reg = ClassificationHead(1, hidden_size=5)
  out = reg(pooled)
  assert out.shape == (4,) and out.dtype == tf.float32
  assert reg.kind == 'regression' and reg.num_predictions() is None
  assert reg.r3f_logits(out).shape == (4, 1)
  assert reg.dense is not None and head.dense is None
  half = ClassificationHead(2, dtype='mixed_float16')
  assert half(pooled).dtype == tf.float32


def test_cross_entropy_by_hand():
  head = ClassificationHead(2)
  features = {'label': tf.constant([0, 1])}
  loss = head.per_example_loss(features, tf.constant(LOGITS))
  # -ln 0.5 and -ln 0.1.
  np.testing.assert_allclose(loss, [math.log(2), math.log(10)], rtol=1e-6)
  assert float(head.loss(features, tf.constant(LOGITS))) == pytest.approx(
      (math.log(2) + math.log(10)) / 2, rel=1e-6)
  np.testing.assert_array_equal(head.predictions(tf.constant(LOGITS)), [0, 0])
  assert head.r3f_logits(tf.constant(LOGITS)).shape == (2, 2)


def test_mse_by_hand():
  head = ClassificationHead(1)
  features = {'label': tf.constant([0.5, 4.0])}
  outputs = tf.constant([1.0, 2.0])
  np.testing.assert_allclose(head.per_example_loss(features, outputs),
                             [0.25, 4.0])
  np.testing.assert_allclose(head.predictions(outputs), [1.0, 2.0])


def test_dropout_only_in_training():
  pooled = tf.ones([2, 16])
  head = ClassificationHead(2, hidden_size=8, dropout_rate=0.5)
  np.testing.assert_array_equal(head(pooled), head(pooled, training=False))
  assert not np.allclose(head(pooled, training=True),
                         head(pooled, training=True))


def test_config_round_trip():
  head = ClassificationHead(4, hidden_size=6, dropout_rate=0.2,
                            initializer_range=0.05, name='agnews')
  pooled = tf.random.normal([3, 8], seed=2)
  out = head(pooled)
  config = head.get_config()
  assert config['num_classes'] == 4 and config['hidden_size'] == 6
  clone = ClassificationHead.from_config(config)
  clone(pooled)
  clone.set_weights(head.get_weights())
  np.testing.assert_allclose(clone(pooled), out, rtol=1e-6)
  assert clone.get_config() == config
  rebuilt = tf_keras.layers.deserialize(tf_keras.layers.serialize(head))
  assert isinstance(rebuilt, ClassificationHead) and rebuilt.name == 'agnews'


@pytest.mark.parametrize('kwargs', [
    {'num_classes': 0}, {'num_classes': True}, {'num_classes': 2.0},
    {'num_classes': 2, 'dropout_rate': 1.0},
    {'num_classes': 2, 'hidden_size': 0}])
def test_bad_arguments(kwargs):
  with pytest.raises(ValueError, match='ClassificationHead'):
    ClassificationHead(**kwargs)


def test_missing_label_is_named():
  with pytest.raises(KeyError, match="'label'"):
    ClassificationHead(2).per_example_loss({'x': 1}, tf.constant(LOGITS))
