"""official_ext/trainer/checkpoint_save.py: a failed save's leftovers are
removed, the newest checkpoint is named (read back), transient storage errors
are retried a stated number of times, then the job stops in one line.
(Through the manager and a full-disk writer: checkpoint_manager_test.py; the
CLI: fault_cli_test.py.)"""
import errno
import os

import pytest
import tensorflow as tf

from official_ext.trainer import checkpoint_save


def _checkpoint(directory, step):
  value = tf.Variable(float(step))
  return tf.train.Checkpoint(value=value).write(
      os.path.join(directory, f'ckpt-{step}'))


def test_oserror_enospc_leaves_the_previous_checkpoint(tmp_path):
  _checkpoint(str(tmp_path), 10)
  prefix = str(tmp_path / 'ckpt-20')

  def attempt():  # A save cut short: temp dir and a data file, no index.
    os.makedirs(prefix + '_temp')
    with open(prefix + '.data-00000-of-00001', 'wb') as f:
      f.write(b'partial')
    raise OSError(errno.ENOSPC, 'No space left on device')

  with pytest.raises(checkpoint_save.CheckpointSaveError) as e:
    checkpoint_save.save(attempt, prefix, print_fn=lambda _: None)
  assert str(e.value) == (
      f'saving checkpoint {prefix} failed (OSError: [Errno 28] No space left '
      f'on device); the newest checkpoint, {tmp_path}/ckpt-10, is intact and '
      'readable; stopping. Free space (or fix the storage), then rerun the '
      'same command to resume from it.')
  assert sorted(os.listdir(tmp_path)) == ['ckpt-10.data-00000-of-00001',
                                          'ckpt-10.index']


def test_no_earlier_checkpoint_is_said(tmp_path):
  def attempt():
    raise tf.errors.PermissionDeniedError(None, None, 'bucket is read-only')

  with pytest.raises(checkpoint_save.CheckpointSaveError,
                     match='bucket is read-only.; there is no earlier '
                     'checkpoint; stopping'):
    checkpoint_save.save(attempt, str(tmp_path / 'ckpt-5'))


def test_transient_errors_retried_then_stop(tmp_path):
  calls, sleeps, lines = [], [], []

  def attempt():
    calls.append(1)
    raise tf.errors.DeadlineExceededError(None, None, 'timed out')

  with pytest.raises(checkpoint_save.CheckpointSaveError,
                     match=r'failed \(DeadlineExceededError: timed out\)'):
    checkpoint_save.save(attempt, str(tmp_path / 'ckpt-5'), lines.append,
                         sleep=sleeps.append)
  assert len(calls) == 1 + checkpoint_save.RETRIES == 4
  assert sleeps == [2.0, 4.0, 8.0]
  assert [line.split('; ')[-1] for line in lines] == [
      'retrying in 2 s (retry 1 of 3).', 'retrying in 4 s (retry 2 of 3).',
      'retrying in 8 s (retry 3 of 3).']


def test_other_errors_are_not_caught(tmp_path):
  def attempt():
    raise ValueError('a bug, not storage')

  with pytest.raises(ValueError, match='a bug'):
    checkpoint_save.save(attempt, str(tmp_path / 'ckpt-5'))


def test_discard_partial_keeps_a_complete_readable_save(tmp_path):
  prefix = _checkpoint(str(tmp_path), 10)
  os.makedirs(prefix + '_temp')
  checkpoint_save.discard_partial(prefix)
  assert sorted(os.listdir(tmp_path)) == ['ckpt-10.data-00000-of-00001',
                                          'ckpt-10.index']
  os.truncate(prefix + '.data-00000-of-00001', 3)  # Now unreadable.
  checkpoint_save.discard_partial(prefix)
  assert os.listdir(tmp_path) == []
