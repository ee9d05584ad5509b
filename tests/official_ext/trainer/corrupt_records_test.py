"""official_ext/trainer/corrupt_records.py without training: a DataLossError
is traced to its shard and stops in one line, or (skip) the shard is
repaired, listed for `substitute`, counted (line and TensorBoard); an error
no record file explains is re-raised. (Through the CLIs: fault_cli_test.py,
finetune_cli_test.py, prefinetune_cli_test.py.)"""
import os

import pytest
import tensorflow as tf

from official_ext.trainer import corrupt_records
from tests.official_ext.trainer import fault_fixtures as faults


def _shard(path, n=6):
  with tf.io.TFRecordWriter(path) as writer:
    for i in range(n):
      writer.write(bytes([i]) * 50)
  return path


def _error(path):
  with pytest.raises(tf.errors.DataLossError) as e:
    list(tf.data.TFRecordDataset(path))
  return e.value


@pytest.fixture(name='setup')
def fixture_setup(tmp_path):
  files = [_shard(str(tmp_path / f'part-{i}.tfrecord')) for i in range(2)]
  offset = faults.flip_record(files[1], 2)
  model_dir = str(tmp_path / 'model')
  os.makedirs(model_dir)
  return files, offset, model_dir


def test_stop_names_the_shard_and_offset(setup):
  files, offset, model_dir = setup
  handler = corrupt_records.CorruptRecords(model_dir, files, skip=False)
  with pytest.raises(corrupt_records.CorruptRecordError) as e:
    handler(_error(files[1]), step=42)
  assert str(e.value) == (
      f'corrupt record in {files[1]} at byte offset {offset} (data CRC '
      'mismatch), met after step 42; rerun with --skip_corrupt_records to '
      'skip such records, or recopy (or rebuild) the shard.')
  assert corrupt_records.substitute(model_dir, files) == files


def test_skip_repairs_lists_and_counts(setup):
  files, offset, model_dir = setup
  lines = []
  handler = corrupt_records.CorruptRecords(
      model_dir, files, skip=True, summary_dir=os.path.join(model_dir, 'tb'),
      print_fn=lines.append)
  handler(_error(files[1]), step=7)
  substituted = corrupt_records.substitute(model_dir, files)
  assert substituted[0] == files[0]
  copy = substituted[1]
  assert copy.startswith(os.path.join(model_dir, 'repaired_records', ''))
  assert copy.endswith('-part-1.tfrecord')
  assert [r[0] for r in tf.data.TFRecordDataset(copy).as_numpy_iterator()] == [
      0, 1, 3, 4, 5]
  assert corrupt_records.skipped(model_dir) == 1
  assert lines == [
      f'skipping 1 corrupt record(s) of {files[1]} at byte offset {offset} '
      '(data CRC mismatch): training goes on from step 7 on a repaired copy, '
      f'{copy} (1 corrupt record(s) skipped in this job).']
  events = tf.io.gfile.glob(os.path.join(model_dir, 'tb', 'events.*'))
  values = [(e.step, float(tf.make_ndarray(v.tensor)))
            for path in events
            for e in tf.compat.v1.train.summary_iterator(path)
            for v in e.summary.value if v.tag == 'corrupt_records_skipped']
  assert values == [(7, 1.0)]


def test_an_error_no_record_file_explains_is_raised_again(setup, tmp_path):
  files, _, model_dir = setup
  other = _shard(str(tmp_path / 'other.tfrecord'))
  faults.flip_record(other, 1)
  error = _error(other)  # Not one of the job's files.
  handler = corrupt_records.CorruptRecords(model_dir, files[:1], skip=True)
  with pytest.raises(tf.errors.DataLossError):
    handler(error, step=0)


def test_no_directory_substitutes_nothing(setup):
  files, _, _ = setup
  assert corrupt_records.substitute(None, files) == files
  assert corrupt_records.skipped(None) == 0
