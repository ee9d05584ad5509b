"""masked_lm_task: Model Garden's MLM task on our data config, no NSP head;
a loss-scaled step (mixed_float16's path) moves the weights exactly as an
unscaled one (float32 here, so scaling is exact)."""
import numpy as np
import pytest
import tf_keras

from official_ext.data import pretrain_reader
from official_ext.tasks import masked_lm_task
from tests.official_ext.modeling import modeling_fixtures as mfx


def _task(**kwargs):
  data = pretrain_reader.AuxPretrainDataConfig(
      input_path='unused', global_batch_size=mfx.BATCH,
      seq_length=mfx.SEQ, max_predictions_per_seq=mfx.PREDICTIONS,
      use_next_sentence_label=False)
  return masked_lm_task.masked_lm_task(data, None, vocab_size=mfx.VOCAB,
                                       size='tiny', dropout_rate=0.0,
                                       max_seq_length=mfx.SEQ, **kwargs)


def test_config():
  task = _task()
  config = task.task_config
  assert config.model.cls_heads == [] and config.scale_loss
  assert config.model.encoder.bert.vocab_size == mfx.VOCAB
  assert isinstance(config.train_data, pretrain_reader.AuxPretrainDataConfig)
  assert [m.name for m in task.build_metrics()] == ['masked_lm_accuracy',
                                                    'lm_example_loss']
  with pytest.raises(ValueError, match='records hold 16 tokens'):
    masked_lm_task.masked_lm_task(config.train_data, None, 60, size='tiny',
                                  max_seq_length=8)


def test_loss_scaled_step_equals_plain_step():
  task = _task()
  batch = mfx.tiny_batch()
  models = [task.build_model() for _ in range(2)]
  models[0](batch)
  models[1](batch)
  models[1].set_weights(models[0].get_weights())
  initial = models[0].get_weights()
  plain = tf_keras.optimizers.SGD(0.5)
  scaled = tf_keras.mixed_precision.LossScaleOptimizer(
      tf_keras.optimizers.SGD(0.5), dynamic=False, initial_scale=1024.0)
  logs = [task.train_step(batch, m, o, task.build_metrics())
          for m, o in zip(models, (plain, scaled))]
  assert float(logs[0]['loss']) == pytest.approx(float(logs[1]['loss']))
  assert float(logs[0]['loss']) == pytest.approx(np.log(mfx.VOCAB), rel=0.1)
  for a, b in zip(models[0].get_weights(), models[1].get_weights()):
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
  moved = [not np.array_equal(a, b)
           for a, b in zip(initial, models[0].get_weights())]
  assert sum(moved) > len(moved) // 2  # The step did update the model.
