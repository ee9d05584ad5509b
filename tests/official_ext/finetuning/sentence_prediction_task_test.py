"""Label and output shapes agree in the sentence-prediction loss."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.nlp.configs import encoders
from official.nlp.tasks import sentence_prediction

from official_ext.finetuning import sentence_prediction_task
from official_ext.multitask.heads import classification_head


def _config(num_classes):
  return sentence_prediction.SentencePredictionConfig(
      model=sentence_prediction.ModelConfig(
          num_classes=num_classes,
          encoder=encoders.EncoderConfig(
              type='bert', bert=encoders.BertEncoderConfig(
                  vocab_size=30, hidden_size=16, num_layers=1,
                  num_attention_heads=2, intermediate_size=32,
                  dropout_rate=0.0, attention_dropout_rate=0.0))))


def _ours(num_classes):
  return sentence_prediction_task.SentencePredictionTask(_config(num_classes))


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LABELS = (1.0, 2.0, 4.0)  # a constant made here would initialise devices


def test_perfect_regression_predictions_give_zero_loss():
  outputs = tf.reshape(tf.constant(LABELS), [3, 1])  # BertClassifier: [B, 1]
  loss = _ours(1).build_losses({'label_ids': tf.constant(LABELS)}, outputs)
  assert float(loss) == 0.0
  # Model Garden's own loss broadcasts [B] against [B, 1] to [B, B]: the
  # mean squared distance of each prediction to every label, not 0.
  theirs = sentence_prediction.SentencePredictionTask(
      _config(1)).build_losses({'label_ids': tf.constant(LABELS)}, outputs)
  expected = np.mean((np.array(LABELS)[None, :] -
                      np.array(LABELS)[:, None]) ** 2)
  assert float(theirs) == pytest.approx(expected)  # 26/9 = 2.89
  assert float(theirs) > 2.8


def test_regression_loss_is_mean_squared_error_per_example():
  outputs = tf.constant([[1.5], [2.0], [1.0]])
  loss = _ours(1).build_losses({'label_ids': tf.constant(LABELS)}, outputs)
  assert float(loss) == pytest.approx((0.25 + 0.0 + 9.0) / 3)
  # [B, 1] labels, bfloat16 outputs (mixed precision): same value in float32.
  loss = _ours(1).build_losses(
      {'label_ids': tf.reshape(tf.constant(LABELS), [3, 1])},
      tf.cast(outputs, tf.bfloat16))
  assert loss.dtype == tf.float32
  assert float(loss) == pytest.approx((0.25 + 0.0 + 9.0) / 3)


def test_regression_equals_the_multitask_regression_head():
  outputs = tf.constant([[0.5], [2.5], [3.0]])
  head = classification_head.ClassificationHead(1, name='stsb')
  multitask = tf.reduce_mean(head.per_example_loss(
      {'label': tf.constant(LABELS)}, tf.reshape(outputs, [-1])))
  ours = _ours(1).build_losses({'label_ids': tf.constant(LABELS)}, outputs)
  assert float(ours) == pytest.approx(float(multitask))


def test_classification_loss_equals_model_garden():
  logits = tf.constant([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]])
  labels = tf.constant([0, 2])
  ours = _ours(3).build_losses({'label_ids': labels}, logits)
  theirs = sentence_prediction.SentencePredictionTask(
      _config(3)).build_losses({'label_ids': labels}, logits)
  expected = -np.mean([
      np.log(np.exp(2.0) / np.exp([2.0, -1.0, 0.5]).sum()),
      np.log(np.exp(0.3) / np.exp([0.1, 0.2, 0.3]).sum())])
  assert float(ours) == pytest.approx(expected, rel=1e-6)
  assert float(theirs) == pytest.approx(expected, rel=1e-6)
  # [B, 1] labels give the same loss.
  assert float(_ours(3).build_losses(
      {'label_ids': tf.reshape(labels, [2, 1])}, logits)) == pytest.approx(
          expected, rel=1e-6)


def test_head_dropout_is_the_encoders():
  rates = [layer.rate for layer in _ours(2).build_model().submodules
           if isinstance(layer, tf_keras.layers.Dropout)]
  assert rates and set(rates) == {0.0}  # Model Garden's head: always 0.1


def test_regression_metric_is_updated_per_example():
  task = _ours(1)
  metrics = task.build_metrics(training=True)
  task.process_metrics(metrics, {'label_ids': tf.constant(LABELS)},
                       tf.constant([[1.0], [2.0], [2.0]]))
  assert [float(m.result()) for m in metrics] == [pytest.approx(4.0 / 3)]


def _one_regression_update(strategy, start):
  """Trainable weights after one SGD train_step on a batch of 4 from `start`
  (set explicitly: initialisers may draw per replica)."""
  features = {
      'input_word_ids': tf.constant([[2, 5, 7, 3], [2, 9, 3, 0],
                                     [2, 4, 4, 3], [2, 8, 6, 3]]),
      'input_mask': tf.constant([[1, 1, 1, 1], [1, 1, 1, 0],
                                 [1, 1, 1, 1], [1, 1, 1, 1]]),
      'input_type_ids': tf.zeros([4, 4], tf.int32),
      'label_ids': tf.constant([0.5, 3.0, 1.5, 4.0]),
  }
  with strategy.scope():
    tf_keras.utils.set_random_seed(7)
    task = _ours(1)
    model = task.build_model()
    model({k: v for k, v in features.items() if k != 'label_ids'})
    model.set_weights(start)
    optimizer = tf_keras.optimizers.SGD(0.1)
  batch = next(iter(strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensor_slices(features).batch(4))))
  strategy.run(tf.function(
      lambda inputs: task.train_step(inputs, model, optimizer)), args=(batch,))
  return [v.numpy().tolist() for v in model.trainable_variables]


def test_regression_update_under_mirrored_strategy_equals_one_device():
  """2 logical CPUs (fresh process): the update equals one device's."""
  proc = subprocess.run(
      [sys.executable, '-m',
       'tests.official_ext.finetuning.sentence_prediction_task_test'],
      cwd=REPO, capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert proc.returncode == 0, proc.stderr[-3000:]
  result = json.loads(proc.stdout.strip().splitlines()[-1])
  assert result['replicas'] == 2
  start, single, mirrored = (result['start'], result['one_device'],
                             result['mirrored'])
  moved = 0.0
  for s0, a, b in zip(start, single, mirrored):
    np.testing.assert_allclose(b, a, atol=1e-6)
    moved += float(np.abs(np.asarray(a) - np.asarray(s0)).sum())
  assert moved > 1e-3  # the step did change the weights


if __name__ == '__main__':
  _CPU = tf.config.list_physical_devices('CPU')[0]
  tf.config.set_logical_device_configuration(
      _CPU, [tf.config.LogicalDeviceConfiguration()] * 2)
  _mirrored = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
  with tf.distribute.OneDeviceStrategy('/cpu:0').scope():
    tf_keras.utils.set_random_seed(7)
    _start_model = _ours(1).build_model()
    _start_model({'input_word_ids': tf.zeros([1, 4], tf.int32),
                  'input_mask': tf.ones([1, 4], tf.int32),
                  'input_type_ids': tf.zeros([1, 4], tf.int32)})
  _start = _start_model.get_weights()
  print(json.dumps({
      'replicas': _mirrored.num_replicas_in_sync,
      'start': [v.numpy().tolist() for v in _start_model.trainable_variables],
      'one_device': _one_regression_update(
          tf.distribute.OneDeviceStrategy('/cpu:0'), _start),
      'mirrored': _one_regression_update(_mirrored, _start)}))
