"""official_ext/trainer/checkpoint_manager.py: saves at interval multiples;
the restore falls back past an unreadable newest checkpoint (step and weights
those of the one before); a save that fails like a full disk keeps the
previous checkpoint and stops in one line."""
import os

import numpy as np
import pytest
import tensorflow as tf

from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import checkpoint_manager
from official_ext.trainer import checkpoint_save
from official_ext.trainer import checkpointing
from official_ext.trainer import spine
from tests.official_ext.trainer import fault_fixtures as faults
from tests.official_ext.trainer import trainer_fixtures as fx

XS = np.random.default_rng(0).normal(size=20)


def test_saves_at_multiples_of_the_interval(tmp_path):
  step = tf.Variable(0, dtype=tf.int64)
  manager = checkpoint_manager.make_manager(tf.train.Checkpoint(step=step),
                                            str(tmp_path), step, 10, 5)
  saved = []
  for value in (5, 10, 15, 20, 23):
    step.assign(value)
    saved.append(manager.save() is not None)
  assert saved == [False, True, False, True, False]
  assert manager.save(check_interval=False).endswith('ckpt-23')
  assert manager.save(check_interval=False) is None  # Same step: no copy.


def test_save_decision_follows_the_restored_step_not_the_dir(tmp_path):
  # A non-chief worker writes to an empty temporary dir after restoring the
  # chief's ckpt-20: like the chief, it must not save again at step 20 (a
  # save is a collective every worker joins), and saves at 30.
  step = tf.Variable(20, dtype=tf.int64)
  manager = checkpoint_manager.make_manager(
      tf.train.Checkpoint(step=step), str(tmp_path / 'workertemp_1'), step,
      10, 1, saved_step=20)
  assert manager.save() is None
  assert manager.save(check_interval=False) is None
  step.assign(30)
  assert manager.save().endswith('ckpt-30')
  assert checkpointing.step_of(manager.latest_checkpoint) == 30
  assert checkpointing.step_of(str(tmp_path / 'model')) is None


def _controller(trainer, model_dir, lines):
  return spine.make_controller(trainer, model_dir, total_steps=20,
                               steps_per_loop=5, checkpoint_interval=5,
                               max_checkpoints=5, print_fn=lines.append)


def test_truncated_newest_checkpoint_resumes_from_the_previous(tmp_path):
  model_dir = str(tmp_path)
  first = fx.regression_trainer(XS)
  _controller(first, model_dir, []).train(steps=10)
  faults.truncate(faults.data_file(os.path.join(model_dir, 'ckpt-10')), 100)
  kept = tf.train.load_checkpoint(os.path.join(model_dir, 'ckpt-5'))
  weight_key = [k for k in kept.get_variable_to_shape_map()
                if k.startswith('model/') and 'VARIABLE_VALUE' in k][0]

  resumed, lines = fx.regression_trainer(XS), []
  controller = _controller(resumed, model_dir, lines)
  assert int(resumed.global_step.numpy()) == 5  # Not 10, not 0.
  np.testing.assert_array_equal(resumed.model.get_weights()[0],
                                kept.get_tensor(weight_key))
  assert lines == [f'checkpoint {model_dir}/ckpt-10 is unreadable '
                   '(IndexError: Read less bytes than requested); falling '
                   'back to the previous one.']
  # Step 10 is saved again (over the bad files), and training goes on to
  # the uninterrupted result.
  controller.train(steps=20)
  assert checkpoint_fallback.readable(os.path.join(model_dir, 'ckpt-10')) is (
      None)
  full = fx.regression_trainer(XS)
  _controller(full, str(tmp_path / 'full'), []).train(steps=20)
  np.testing.assert_array_equal(full.model.get_weights()[0],
                                resumed.model.get_weights()[0])


def test_full_disk_keeps_the_previous_checkpoint_and_stops(tmp_path):
  model_dir = str(tmp_path)
  trainer, lines = fx.regression_trainer(XS), []
  controller = _controller(trainer, model_dir, lines)
  with faults.enospc_on_save(after=1):  # ckpt-5 saves, ckpt-10 fails.
    with pytest.raises(checkpoint_save.CheckpointSaveError) as e:
      controller.train(steps=20)
  assert str(e.value) == (
      f'saving checkpoint {model_dir}/ckpt-10 failed (ResourceExhaustedError: '
      f'{model_dir}/ckpt-10_temp/part-00000-of-00001.data-00000-of-00001; No '
      f'space left on device); the newest checkpoint, {model_dir}/ckpt-5, is '
      'intact and readable; stopping. Free space (or fix the storage), then '
      'rerun the same command to resume from it.')
  # Nothing of the failed save is left; ckpt-5 is the one recorded.
  assert sorted(os.listdir(model_dir)) == [
      'checkpoint', 'ckpt-5.data-00000-of-00001', 'ckpt-5.index']
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-5')
  resumed = fx.regression_trainer(XS)
  _controller(resumed, model_dir, []).train(steps=20)
  full = fx.regression_trainer(XS)
  _controller(full, str(tmp_path / 'full'), []).train(steps=20)
  np.testing.assert_array_equal(full.model.get_weights()[0],
                                resumed.model.get_weights()[0])


def test_transient_errors_are_retried(tmp_path, monkeypatch):
  monkeypatch.setattr(checkpoint_save, 'BACKOFF_SECONDS', 0.0)
  step = tf.Variable(10, dtype=tf.int64)
  manager = checkpoint_manager.make_manager(
      tf.train.Checkpoint(step=step), str(tmp_path), step, 10, 5)
  real, failures = tf.train.CheckpointManager.save, [2]

  def flaky(self, *args, **kwargs):
    if failures[0]:
      failures[0] -= 1
      raise tf.errors.UnavailableError(None, None, '503 Service Unavailable')
    return real(self, *args, **kwargs)

  monkeypatch.setattr(tf.train.CheckpointManager, 'save', flaky)
  lines = []
  manager._print = lines.append  # pylint: disable=protected-access
  assert manager.save() == str(tmp_path / 'ckpt-10')
  assert lines == [
      f'saving checkpoint {tmp_path}/ckpt-10 failed (UnavailableError: 503 '
      f'Service Unavailable); retrying in 0 s (retry {i} of 3).'
      for i in (1, 2)]


def test_a_checkpoint_the_state_file_missed_is_restored_and_managed(
    tmp_path):
  # A save that wrote its index but died before the `checkpoint` state file.
  step = tf.Variable(0, dtype=tf.int64)
  manager = checkpoint_manager.make_manager(
      tf.train.Checkpoint(step=step), str(tmp_path), step, 10, 2)
  for value in (10, 20):
    step.assign(value)
    manager.save()
  state = (tmp_path / 'checkpoint').read_text()
  step.assign(30)
  manager.save()
  (tmp_path / 'checkpoint').write_text(state)  # Names ckpt-20 as latest.
  restored = checkpoint_manager.make_manager(
      tf.train.Checkpoint(step=step), str(tmp_path), step, 10, 2)
  assert restored.restore_or_initialize() == str(tmp_path / 'ckpt-30')
  assert int(step.numpy()) == 30
  for value in (40, 50):
    step.assign(value)
    restored.save()  # Keeps two: ckpt-30 is swept like any other.
  assert sorted(p.name for p in tmp_path.glob('*.index')) == [
      'ckpt-40.index', 'ckpt-50.index']
