"""TaskTrainer under orbit.Controller on a toy regression task (seconds):
logs, exact resume through the step-positioned data, and the NaN guard
keeping the last good checkpoint."""
import os

import numpy as np
import orbit
import pytest
import tensorflow as tf

from official_ext.trainer import checkpoint_manager
from official_ext.trainer import nan_guard
from tests.official_ext.trainer import trainer_fixtures as fx


def _trainer(xs):
  """Step k (1-based) reads xs[k - 1]."""
  return fx.regression_trainer(xs)


def _controller(trainer, model_dir, steps_per_loop, actions=()):
  manager = checkpoint_manager.make_manager(trainer.checkpoint, model_dir,
                                       trainer.global_step, steps_per_loop, 10)
  return orbit.Controller(global_step=trainer.global_step, trainer=trainer,
                          evaluator=trainer, steps_per_loop=steps_per_loop,
                          checkpoint_manager=manager, train_actions=actions,
                          summary_dir=os.path.join(model_dir, 'train'))


class _Crash(Exception):
  pass


def test_crash_and_resume_equals_uninterrupted(tmp_path):
  xs = np.random.default_rng(0).normal(size=12)
  full = _trainer(xs)
  _controller(full, str(tmp_path / 'full'), 2).train(steps=12)

  def crash(unused_logs):
    if int(crashed.global_step.numpy()) == 8:
      raise _Crash()

  crashed = _trainer(xs)
  with pytest.raises(_Crash):  # Actions run before checkpointing: ckpt-6.
    _controller(crashed, str(tmp_path / 'crashed'), 2, [crash]).train(12)
  resumed = _trainer(xs)
  controller = _controller(resumed, str(tmp_path / 'crashed'), 2)
  assert int(resumed.global_step.numpy()) == 6
  controller.train(steps=12)
  np.testing.assert_array_equal(full.model.get_weights()[0],
                                resumed.model.get_weights()[0])
  assert int(resumed.optimizer.iterations.numpy()) == 12


def test_logs_every_metric_learning_rate_and_throughput(tmp_path):
  trainer = _trainer([1.0] * 4)
  logs = trainer.train(tf.constant(4))
  assert sorted(logs) == ['examples_per_second', 'learning_rate', 'loss',
                          'mse_loss']
  assert float(logs['learning_rate']) == pytest.approx(0.01)
  # w: 0 -> 0.04 -> 0.0784 -> ...; the loss is (w - 2)^2 before each step.
  w, losses = 0.0, []
  for _ in range(4):
    losses.append((w - 2.0) ** 2)
    w += 0.01 * 2 * (2.0 - w)
  assert float(logs['mse_loss']) == pytest.approx(np.mean(losses), rel=1e-5)
  assert int(trainer.global_step.numpy()) == 4
  evaluated = trainer.evaluate(tf.constant(2))
  assert float(evaluated['loss']) == pytest.approx((w - 2.0) ** 2, rel=1e-5)


@pytest.mark.parametrize('steps_per_loop', [1, 2])
def test_non_finite_loss_stops_before_it_is_checkpointed(tmp_path,
                                                         steps_per_loop):
  model_dir = str(tmp_path)
  trainer = _trainer([1.0, 1.0, np.inf, 1.0, 1.0, 1.0])
  controller = _controller(trainer, model_dir, steps_per_loop)
  with pytest.raises(nan_guard.NonFiniteLossError,
                     match=r'non-finite loss at step 3: loss=nan, '
                     r'mse_loss=nan\. Training stopped'):
    controller.train(steps=6)
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-2')
  assert not tf.io.gfile.glob(os.path.join(model_dir, 'ckpt-3*'))
  reader = tf.train.load_checkpoint(os.path.join(model_dir, 'ckpt-2'))
  for key, _ in tf.train.list_variables(os.path.join(model_dir, 'ckpt-2')):
    if key.startswith('model/'):
      assert np.isfinite(reader.get_tensor(key)).all(), key
