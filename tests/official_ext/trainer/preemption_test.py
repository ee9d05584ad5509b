"""SIGTERM on the spine (in-process, toy regression task, seconds): the job
checkpoints at the step reached, exits 0 with one line, and the same call
resumes to the uninterrupted result. (The CLI subprocess version:
train_cli_test.py.)"""
import os
import signal

import numpy as np
import pytest
import tensorflow as tf

from official_ext.trainer import spine
from tests.official_ext.trainer import trainer_fixtures as fx

XS = np.random.default_rng(0).normal(size=12)


def _controller(trainer, model_dir, lines, actions=()):
  # Checkpoints only at multiples of 10 (and the end): step 3 is mid-interval.
  return spine.make_controller(trainer, model_dir, total_steps=12,
                               steps_per_loop=1, checkpoint_interval=10,
                               max_checkpoints=5, print_fn=lines.append,
                               train_actions=actions)


@pytest.fixture(autouse=True)
def _restore_sigterm():
  previous = signal.getsignal(signal.SIGTERM)
  yield
  signal.signal(signal.SIGTERM, previous)


def test_sigterm_checkpoints_the_step_reached_and_resume_is_exact(tmp_path):
  full = fx.regression_trainer(XS)
  _controller(full, str(tmp_path / 'full'), []).train(steps=12)

  def sigterm_at_step_3(unused_logs):
    if int(stopped.global_step.numpy()) == 3:
      os.kill(os.getpid(), signal.SIGTERM)

  stopped, lines = fx.regression_trainer(XS), []
  model_dir = str(tmp_path / 'stopped')
  with pytest.raises(SystemExit) as exit_info:
    _controller(stopped, model_dir, lines, [sigterm_at_step_3]).train(12)
  assert exit_info.value.code == 0
  assert tf.train.latest_checkpoint(model_dir) == os.path.join(
      model_dir, 'ckpt-3')
  assert lines[-1] == (
      f'preempted (SIGTERM) at step 3: checkpoint {model_dir}/ckpt-3 '
      'written; rerun the same command to resume.')

  resumed = fx.regression_trainer(XS)
  controller = _controller(resumed, model_dir, [])
  assert int(resumed.global_step.numpy()) == 3
  controller.train(steps=12)
  np.testing.assert_array_equal(full.model.get_weights()[0],
                                resumed.model.get_weights()[0])
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-12')


def test_no_signal_no_extra_checkpoint(tmp_path):
  trainer = fx.regression_trainer(XS)
  _controller(trainer, str(tmp_path), []).train(steps=12)
  names = sorted(tf.train.get_checkpoint_state(
      str(tmp_path)).all_model_checkpoint_paths)
  assert [os.path.basename(n) for n in names] == ['ckpt-10', 'ckpt-12']
