"""`official_ext.train` (BERT-tiny, tiny records) meets each fault a week-long
job meets besides a kill, in-process through the CLI's `main`: a truncated
checkpoint, a flipped byte in a shard, a truncated shard copy, a batch that
makes the loss NaN, a full disk, another job on the model_dir. Each test
checks the one line, the exit code and what is kept (step, weights). Two
real processes on one model_dir (and SIGTERM releasing the lock): slow."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from official_ext import train
from official_ext.trainer import model_dir_lock
from tests import cli_harness
from tests.official_ext.trainer import fault_fixtures as faults
from tests.official_ext.trainer import trainer_fixtures as fx

FLAGS = train.FLAGS


def _run(capsys, model_dir, *flags, steps=10, manifest=None, bindings=()):
  """The train CLI on BERT-tiny: `steps` steps of 8 records, a loop and a
  checkpoint every 5; (exit code, stdout, stderr)."""
  argv = ['train', '--gin_file=gin/bert_tiny_mlm.gin',
          f'--model_dir={model_dir}',
          f'--gin_bindings=TRAIN_STEPS = {steps}',
          '--gin_bindings=CHECKPOINT_INTERVAL = 5',
          *[f'--gin_bindings={b}' for b in bindings], *flags]
  if manifest:
    argv.append(f'--data_manifest={manifest}')
  return cli_harness.run_main(train.main, FLAGS, argv, capsys)


@pytest.fixture(name='records')
def fixture_records(tiny_manifest, tmp_path):
  """A copy of the tiny build (3 shards) that a test may damage."""
  data = str(tmp_path / 'data')
  shutil.copytree(os.path.dirname(tiny_manifest), data)
  return os.path.join(data, 'manifest.json')


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
  monkeypatch.chdir(fx.REPO)


def _shard(manifest, index):
  with open(manifest) as f:
    name = json.load(f)['shards'][index]['file']
  return os.path.join(os.path.dirname(manifest), name)


def _weights(prefix):
  reader = tf.train.load_checkpoint(prefix)
  return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
          if k.startswith(('model/', 'optimizer/')) and
          k.endswith('VARIABLE_VALUE')}


def _assert_same_weights(a, b):
  assert a.keys() == b.keys() and a
  for key in a:
    np.testing.assert_allclose(a[key], b[key], rtol=1e-6, atol=1e-6,
                               err_msg=key)


def _scalars(directory, tag):
  out = {}
  for path in tf.io.gfile.glob(os.path.join(directory, 'events.out.*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == tag:
          out[event.step] = float(tf.make_ndarray(value.tensor))
  return out


def test_truncated_checkpoint_resumes_from_the_previous_one(
    capsys, tiny_manifest, tmp_path):
  model_dir = str(tmp_path / 'model')
  code, _, err = _run(capsys, model_dir, manifest=tiny_manifest)
  assert code == 0, err
  ckpt5, ckpt10 = (os.path.join(model_dir, f'ckpt-{s}') for s in (5, 10))
  original10 = _weights(ckpt10)
  faults.truncate(faults.data_file(ckpt10), 100)  # The case.

  code, out, err = _run(capsys, model_dir, manifest=tiny_manifest)
  assert code == 0, err
  assert (f'checkpoint {ckpt10} is unreadable (IndexError: Read less bytes '
          'than requested); falling back to the previous one.') in out
  assert f'restored from checkpoint: {ckpt5}' in out
  assert 'step 10/10 |' in out  # Trained on from step 5, not 0 or 10.
  # The redone step 10 equals the lost one (the run is deterministic; the
  # schedule's length is the same).
  _assert_same_weights(_weights(ckpt10), original10)


def test_no_readable_checkpoint_stops_in_one_line(capsys, tiny_manifest,
                                                  tmp_path):
  model_dir = str(tmp_path / 'model')
  assert _run(capsys, model_dir, manifest=tiny_manifest, steps=5)[0] == 0
  faults.truncate(faults.data_file(os.path.join(model_dir, 'ckpt-5')), 10)
  code, _, err = _run(capsys, model_dir, manifest=tiny_manifest)
  assert code == 1
  assert err.strip().splitlines()[-1] == (
      f'official_ext.train: error: no readable checkpoint in {model_dir}: '
      'ckpt-5 (IndexError: Read less bytes than requested). Not starting '
      'over from step 0 beside them: put back a good copy, or move them away '
      '(or use another --model_dir) to start afresh.')


def test_flipped_byte_in_a_shard_stops_then_is_skipped(capsys, records,
                                                       tmp_path):
  shard = _shard(records, 1)
  offset = faults.flip_record(shard, 3)  # A byte of the record's data.
  model_dir = str(tmp_path / 'model')
  code, _, err = _run(capsys, model_dir, manifest=records)
  assert code == 1
  assert err.strip().splitlines()[-1] == (
      f'official_ext.train: error: corrupt record in {shard} at byte offset '
      f'{offset} (data CRC mismatch), met after step 1; rerun with '
      '--skip_corrupt_records to skip such records, or recopy (or rebuild) '
      'the shard.')
  assert 'Traceback' not in err

  code, out, err = _run(capsys, model_dir, '--skip_corrupt_records',
                        manifest=records)
  assert code == 0, err
  with open(os.path.join(model_dir, 'repaired_records.json')) as f:
    repairs = json.load(f)
  copy = repairs[shard]['copy']
  assert repairs[shard]['bad'] == [{'offset': offset,
                                    'reason': 'data CRC mismatch'}]
  assert (f'skipping 1 corrupt record(s) of {shard} at byte offset {offset} '
          '(data CRC mismatch): training goes on from step 1 on a repaired '
          f'copy, {copy} (1 corrupt record(s) skipped in this job).') in out
  assert 'step 10/10 |' in out
  # Loops realigned after the one cut short: checkpoints on the interval.
  assert tf.train.get_checkpoint_state(model_dir).all_model_checkpoint_paths[
      -2:] == [f'{model_dir}/ckpt-5', f'{model_dir}/ckpt-10']
  assert _scalars(os.path.join(model_dir, 'train'),
                  'corrupt_records_skipped') == {1: 1.0}
  # The copy is the shard less that one frame, every other byte kept.
  with open(shard, 'rb') as f:
    original = f.read()
  with open(copy, 'rb') as f:
    repaired = f.read()
  lost = len(original) - len(repaired)
  assert 0 < lost < 1000
  assert repaired == original[:offset] + original[offset + lost:]


def test_truncated_shard_copy_is_caught_before_step_1(capsys, records,
                                                      tmp_path):
  shard = _shard(records, 2)
  size = os.path.getsize(shard)
  faults.truncate(shard, size - 1000)
  model_dir = str(tmp_path / 'model')
  code, _, err = _run(capsys, model_dir, manifest=records)
  assert code == 1
  assert (f"official_ext.train: error: data file {shard!r} listed in "
          f"{records!r}: manifest says {size} bytes, found {size - 1000} "
          '(truncated or still being copied) (1 of 3 shards differ).\n') in err
  assert not tf.io.gfile.glob(os.path.join(model_dir, 'ckpt-*'))


def _poisoned_records(path, poisoned, num_records=128):
  """`num_records` uniform records; record `poisoned` has NaN loss weights
  (its batch's masked-LM loss is NaN)."""
  fx.write_uniform_records(path, num_records, 64, 10, 7027)
  records = list(tf.data.TFRecordDataset(path).as_numpy_iterator())
  example = tf.train.Example.FromString(records[poisoned])
  example.features.feature['masked_lm_weights'].float_list.value[:] = (
      [float('nan')] * 10)
  records[poisoned] = example.SerializeToString()
  with tf.io.TFRecordWriter(path) as writer:
    for record in records:
      writer.write(record)
  return records


def _input_bindings(path):
  return ['DATA_MANIFEST = None', f'pretrain_data.input_path = {path!r}',
          'pretrain_data.seq_length = 64',
          'pretrain_data.max_predictions_per_seq = 10',
          'pretrain_data.vocab_size = 7027',
          'train/pretrain_data.shuffle_buffer_size = 1']  # Record i: step
                                                          # i // 8 + 1.


def test_nan_batch_rolls_back_past_its_window(capsys, tmp_path):
  path = str(tmp_path / 'records.tfrecord')
  records = _poisoned_records(path, poisoned=50)  # In step 7's batch.
  model_dir = str(tmp_path / 'model')
  code, out, err = _run(capsys, model_dir, '--on_nonfinite=rollback',
                        bindings=_input_bindings(path))
  assert code == 0, err
  line = next(l for l in out.splitlines() if 'rolled back' in l)
  assert line.startswith('non-finite loss at step 7: loss=nan')
  assert line.endswith(f'; rolled back to {model_dir}/ckpt-5 (step 5), '
                       'skipping the data of steps 6-7 (rollback 1 of at '
                       'most 3 in this run).')
  with open(os.path.join(model_dir, 'skipped_data.json')) as f:
    assert [(w['after_step'], w['bad_step'])
            for w in json.load(f)['windows']] == [(5, 7)]
  # Steps 6-10 read the batches of steps 8-12: the run equals one on the
  # records without those of steps 6 and 7 (records 40-55).
  clean = str(tmp_path / 'clean.tfrecord')
  with tf.io.TFRecordWriter(clean) as writer:
    for record in records[:40] + records[56:]:
      writer.write(record)
  clean_dir = str(tmp_path / 'clean_model')
  assert _run(capsys, clean_dir, bindings=_input_bindings(clean))[0] == 0
  _assert_same_weights(_weights(os.path.join(model_dir, 'ckpt-10')),
                       _weights(os.path.join(clean_dir, 'ckpt-10')))


def test_full_disk_keeps_the_previous_checkpoint_and_exits_1(
    capsys, tiny_manifest, tmp_path):
  model_dir = str(tmp_path / 'model')
  with faults.enospc_on_save(after=1):  # ckpt-5 saves, ckpt-10 fails.
    code, _, err = _run(capsys, model_dir, manifest=tiny_manifest)
  assert code == 1
  assert err.strip().splitlines()[-1] == (
      f'official_ext.train: error: saving checkpoint {model_dir}/ckpt-10 '
      f'failed (ResourceExhaustedError: {model_dir}/ckpt-10_temp/'
      'part-00000-of-00001.data-00000-of-00001; No space left on device); '
      f'the newest checkpoint, {model_dir}/ckpt-5, is intact and readable; '
      'stopping. Free space (or fix the storage), then rerun the same '
      'command to resume from it.')
  assert sorted(f for f in os.listdir(model_dir) if f.startswith('ckpt')) == [
      'ckpt-5.data-00000-of-00001', 'ckpt-5.index']
  assert not os.path.exists(os.path.join(model_dir, 'job.lock'))
  code, out, err = _run(capsys, model_dir, manifest=tiny_manifest)
  assert code == 0, err
  assert f'restored from checkpoint: {model_dir}/ckpt-5' in out


def test_another_live_job_on_the_model_dir_is_refused(capsys, tiny_manifest,
                                                      tmp_path):
  model_dir = str(tmp_path / 'model')
  os.makedirs(model_dir)
  other = subprocess.Popen([sys.executable, '-c',
                            'import time; time.sleep(120)'])
  try:
    with open(os.path.join(model_dir, 'job.lock'), 'w') as f:
      json.dump({'host': socket.gethostname(), 'pid': other.pid,
                 'started': time.time(), 'heartbeat': time.time()}, f)
    code, _, err = _run(capsys, model_dir, manifest=tiny_manifest)
  finally:
    other.kill()
    other.wait()
  assert code == 1
  assert err.strip().splitlines()[-1].startswith(
      f'official_ext.train: error: --model_dir {model_dir} is in use by '
      f'process {other.pid} on {socket.gethostname()} (started ')
  assert os.listdir(model_dir) == ['job.lock']  # Nothing else written.
  # Its holder gone, the lock is taken over with a line.
  code, out, err = _run(capsys, model_dir, manifest=tiny_manifest, steps=5)
  assert code == 0, err
  assert (f'taking over the lock {model_dir}/job.lock of process {other.pid} '
          f'on {socket.gethostname()}: its process {other.pid} on this host '
          'is gone.') in out
  assert not os.path.exists(os.path.join(model_dir, 'job.lock'))


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='',
              PYTHONPATH=fx.REPO)


def _command(model_dir, manifest, *extra, steps=400):
  return [sys.executable, '-m', 'official_ext.train',
          '--gin_file=gin/bert_tiny_mlm.gin', f'--data_manifest={manifest}',
          f'--model_dir={model_dir}', f'--gin_bindings=TRAIN_STEPS = {steps}',
          '--gin_bindings=CHECKPOINT_INTERVAL = 1000', *extra]


@pytest.mark.slow
def test_two_processes_one_model_dir_and_sigterm_releases(tiny_manifest,
                                                          tmp_path):
  """A second process started while the first trains refuses in one line;
  SIGTERM (preemption) checkpoints and releases the lock; a rerun goes on."""
  model_dir = str(tmp_path / 'model')
  first = subprocess.Popen(_command(model_dir, tiny_manifest), cwd=fx.REPO,
                           env=_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
  line = ''
  while not line.startswith('step ') and first.poll() is None:
    line = first.stdout.readline()
  first.send_signal(signal.SIGSTOP)  # Alive, holding the lock.
  try:
    second = subprocess.run(_command(model_dir, tiny_manifest), cwd=fx.REPO,
                            env=_env(), capture_output=True, text=True,
                            timeout=600)
  finally:
    first.send_signal(signal.SIGCONT)
  assert second.returncode == 1
  assert second.stderr.strip().splitlines()[-1].startswith(
      f'official_ext.train: error: --model_dir {model_dir} is in use by '
      f'process {first.pid} on {socket.gethostname()}')
  first.send_signal(signal.SIGTERM)
  out, err = first.communicate(timeout=120)
  assert first.returncode == 0, err[-3000:]
  assert 'preempted (SIGTERM) at step' in out
  assert not os.path.exists(os.path.join(model_dir, model_dir_lock.LOCK_FILE))
  rerun = subprocess.run(_command(model_dir, tiny_manifest, steps=5),
                         cwd=fx.REPO, env=_env(), capture_output=True,
                         text=True, timeout=600)
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  assert 'restored from checkpoint:' in rerun.stdout


@pytest.mark.slow
def test_full_disk_through_the_command(tiny_manifest, tmp_path):
  """The ENOSPC writer installed in a real `python -m official_ext.train`
  process (fault_fixtures' command line)."""
  model_dir = str(tmp_path / 'model')
  proc = subprocess.run(
      [sys.executable, '-m', 'tests.official_ext.trainer.fault_fixtures',
       'enospc', '1', '--', 'official_ext.train',
       *_command(model_dir, tiny_manifest, steps=10)[3:],
       '--gin_bindings=CHECKPOINT_INTERVAL = 5'],
      cwd=fx.REPO, env=_env(), capture_output=True, text=True, timeout=600)
  assert proc.returncode == 1, proc.stderr[-3000:]
  assert proc.stderr.strip().splitlines()[-1].startswith(
      f'official_ext.train: error: saving checkpoint {model_dir}/ckpt-10 '
      'failed (ResourceExhaustedError: ')
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-5')
