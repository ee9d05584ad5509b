"""official_ext/trainer/checkpoint_fallback.py: the newest complete checkpoint
that reads in full; an unreadable one is named in one line and passed over;
none readable stops with the list."""
import os

import numpy as np
import pytest
import tensorflow as tf

from official_ext.trainer import checkpoint_fallback as fallback
from tests.official_ext.trainer import fault_fixtures as faults


def _saves(directory, steps=(10, 20)):
  """ckpt-<step> for each step; a variable holds the step's value."""
  value = tf.Variable(np.zeros(256, np.float32))
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(value=value),
                                       directory, max_to_keep=10)
  for step in steps:
    value.assign(np.full(256, step, np.float32))
    manager.save(checkpoint_number=step)
  return [os.path.join(directory, f'ckpt-{s}') for s in steps]


def test_complete_checkpoints_newest_first_and_partial_saves_left_out(
    tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  assert fallback.complete_checkpoints(str(tmp_path)) == [ckpt20, ckpt10]
  # A save cut short: data written, no index (TF writes the index last).
  os.remove(ckpt20 + '.index')
  os.makedirs(str(tmp_path / 'ckpt-30_temp'))
  assert fallback.complete_checkpoints(str(tmp_path)) == [ckpt10]
  assert fallback.incomplete_saves(str(tmp_path)) == [
      str(tmp_path / 'ckpt-30'), ckpt20]
  lines = []
  assert fallback.newest_readable(str(tmp_path), lines.append) == ckpt10
  assert lines == [
      f'ignoring the incomplete save {tmp_path}/ckpt-30 (no data file: a '
      'save cut short).',
      f'ignoring the incomplete save {ckpt20} (no index: a save cut short).']


def test_truncated_data_falls_back_with_one_line_per_checkpoint(tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  faults.truncate(faults.data_file(ckpt20), 100)  # The case.
  lines = []
  assert fallback.newest_readable(str(tmp_path), lines.append) == ckpt10
  assert lines == [f'checkpoint {ckpt20} is unreadable (IndexError: Read '
                   'less bytes than requested); falling back to the previous '
                   'one.']
  # Asked again (restore after the architecture check): no second read of
  # the files, no second line.
  assert fallback.newest_readable(str(tmp_path), lines.append) == ckpt10
  assert len(lines) == 1


def test_flipped_byte_is_caught_by_the_crc(tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  faults.flip_byte(faults.data_file(ckpt20), 40)
  reason = fallback.readable(ckpt20)
  assert reason.startswith('DataLossError: ') or reason.startswith(
      'OpError: '), reason
  assert 'Checksum does not match' in reason
  assert fallback.readable(ckpt10) is None
  assert fallback.newest_readable(str(tmp_path), lambda _: None) == ckpt10


def test_truncated_index_falls_back(tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  faults.truncate(ckpt20 + '.index', 20)
  assert 'too short to be an sstable' in fallback.readable(ckpt20)
  assert fallback.newest_readable(str(tmp_path), lambda _: None) == ckpt10


def test_missing_data_shard_is_incomplete(tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  os.remove(faults.data_file(ckpt20))
  assert fallback.missing_shards(ckpt20) == 'no data file'
  os.rename(faults.data_file(ckpt10), ckpt10 + '.data-00001-of-00002')
  assert fallback.missing_shards(ckpt10) == 'data shard 0 of 2 missing'
  assert fallback.complete_checkpoints(str(tmp_path)) == []


def test_none_readable_stops_listing_each(tmp_path):
  ckpt10, ckpt20 = _saves(str(tmp_path))
  for prefix in (ckpt10, ckpt20):
    faults.truncate(faults.data_file(prefix), 100)
  with pytest.raises(fallback.NoReadableCheckpointError) as e:
    fallback.newest_readable(str(tmp_path), lambda _: None)
  assert str(e.value) == (
      f'no readable checkpoint in {tmp_path}: ckpt-20 (IndexError: Read less '
      'bytes than requested); ckpt-10 (IndexError: Read less bytes than '
      'requested). Not starting over from step 0 beside them: put back a '
      'good copy, or move them away (or use another --model_dir) to start '
      'afresh.')


def test_no_checkpoint_is_none(tmp_path):
  assert fallback.newest_readable(str(tmp_path / 'absent')) is None
  assert fallback.newest_readable(str(tmp_path)) is None


def test_remote_directory():
  """ram:// stands in for gs:// (every access through tf.io.gfile)."""
  directory = 'ram://checkpoint_fallback_test/model'
  ckpt10, ckpt20 = _saves(directory)
  with tf.io.gfile.GFile(faults.data_file(ckpt20), 'rb') as f:
    data = f.read()
  tf.io.gfile.remove(faults.data_file(ckpt20))  # ram:// 'wb' appends.
  with tf.io.gfile.GFile(ckpt20 + '.data-00000-of-00001', 'wb') as f:
    f.write(data[:100])
  lines = []
  assert fallback.newest_readable(directory, lines.append) == ckpt10
  assert lines[0].startswith(f'checkpoint {ckpt20} is unreadable')
  tf.io.gfile.rmtree(directory)
