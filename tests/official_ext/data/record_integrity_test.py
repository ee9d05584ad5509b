"""official_ext/data/record_integrity.py: the shard and frame behind
TensorFlow's `DataLossError` (a flipped data byte, a flipped length byte, a
truncated file), the repaired copy (good frames verbatim), the size check."""
import os

import pytest
import tensorflow as tf

from official_ext.data import record_integrity as ri

RECORD = 12 + 101 + 4  # Frame bytes of each record below.


def _shard(path, n=5):
  with tf.io.TFRecordWriter(path) as writer:
    for i in range(n):
      writer.write(b'x' * 100 + bytes([i]))
  return path


def _flip(path, offset):
  with open(path, 'r+b') as f:
    f.seek(offset)
    byte = f.read(1)
    f.seek(offset)
    f.write(bytes([byte[0] ^ 0xFF]))


def _tf_error(path):
  with pytest.raises(tf.errors.DataLossError) as e:
    list(tf.data.TFRecordDataset(path))
  return e.value.message


def _records(path):
  return [r[-1] for r in tf.data.TFRecordDataset(path).as_numpy_iterator()]


@pytest.fixture
def shards(tmp_path):
  return [_shard(str(tmp_path / f'part-{i}.tfrecord')) for i in range(3)]


def test_flipped_data_byte(shards, tmp_path):
  _flip(shards[1], 2 * RECORD + 40)
  message = _tf_error(shards[1])
  assert f'corrupted record at {2 * RECORD + 12}' in message  # Data offset.
  bad = ri.locate(shards, message)
  assert bad == ri.BadRecord(shards[1], 2 * RECORD, 'data CRC mismatch',
                             3 * RECORD)
  assert bad.describe() == (f'{shards[1]} at byte offset {2 * RECORD} (data '
                            'CRC mismatch)')
  copy = str(tmp_path / 'copy.tfrecord')
  assert ri.copy_good_records(shards[1], copy) == [bad]
  assert _records(copy) == [0, 1, 3, 4]
  with open(shards[1], 'rb') as f, open(copy, 'rb') as g:  # Verbatim.
    original = f.read()
    assert g.read() == original[:2 * RECORD] + original[3 * RECORD:]


def test_flipped_length_byte_resyncs(shards, tmp_path):
  _flip(shards[2], RECORD + 3)
  message = _tf_error(shards[2])
  assert f'corrupted record at {RECORD}' in message
  bad = ri.locate(shards, message)  # Found by the walk, not the probe.
  assert bad == ri.BadRecord(shards[2], RECORD, 'length CRC mismatch',
                             2 * RECORD)
  copy = str(tmp_path / 'copy.tfrecord')
  ri.copy_good_records(shards[2], copy)
  assert _records(copy) == [0, 2, 3, 4]


def test_truncated_shard(shards, tmp_path):
  os.truncate(shards[0], 3 * RECORD + 50)
  message = _tf_error(shards[0])
  assert f'truncated record at {3 * RECORD}' in message
  bad = ri.locate(shards, message)
  assert bad == ri.BadRecord(
      shards[0], 3 * RECORD, 'truncated: a record of 101 bytes, the file ends '
      f'at byte {3 * RECORD + 50}', None)
  copy = str(tmp_path / 'copy.tfrecord')
  assert len(ri.copy_good_records(shards[0], copy)) == 1
  assert _records(copy) == [0, 1, 2]


def test_nothing_to_find(shards):
  assert ri.locate(shards, 'corrupted record at 234') is None
  assert ri.locate(shards, 'no offset here') is None


def test_size_problem(shards):
  size = os.path.getsize(shards[0])
  assert ri.size_problem(shards[0], size) is None
  assert ri.size_problem(shards[0], None) is None
  assert ri.size_problem(shards[0], size + 10) == (
      f'manifest says {size + 10} bytes, found {size} (truncated or still '
      'being copied)')
  assert 'changed since the build' in ri.size_problem(shards[0], size - 1)


def test_remote_shard():
  path = 'ram://record_integrity_test/part.tfrecord'
  tf.io.gfile.makedirs('ram://record_integrity_test')
  _shard(path)
  with tf.io.gfile.GFile(path, 'rb') as f:
    data = bytearray(f.read())
  data[RECORD + 30] ^= 0xFF
  tf.io.gfile.remove(path)  # ram:// 'wb' appends to an existing file.
  with tf.io.gfile.GFile(path, 'wb') as f:
    f.write(bytes(data))
  bad = ri.locate([path], _tf_error(path))
  assert (bad.path, bad.offset) == (path, RECORD)
  ri.copy_good_records(path, path + '.fixed')
  assert _records(path + '.fixed') == [0, 2, 3, 4]
  tf.io.gfile.rmtree('ram://record_integrity_test')
