"""`--strategy=multi_worker_mirrored`: two `official_ext.train` worker
processes on localhost (TF_CONFIG naming free loopback ports), over CPU.

  * after STEPS steps the chief's checkpoint equals a one_device run with
    the same global batch (8) -- tolerance: 1e-5 absolute on every weight
    and optimizer slot (float32 all-reduce sums in another order; measured:
    1.2e-7 after 16 steps of BERT-tiny, while training moved weights by
    >1e-3);
    the records of one file are split record-wise over the two workers, so
    each global batch is the single process's (`train_input`);
  * only the chief writes model_dir (checkpoints, summaries, operative
    config); the other worker's `workertemp_1/` is gone at the end;
  * killing one worker mid-run (SIGKILL; the chief then cannot go on and is
    stopped too) and rerunning both resumes at the chief's last checkpoint
    and ends with the uninterrupted run's weights (tolerance 1e-6).

That two workers never read the same record is tested at the input level
(`train_input_test.py`). Slow: every process starts TensorFlow (~20 s).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from official_ext.trainer import checkpointing
from tests.official_ext.trainer import trainer_fixtures as fx

STEPS = 16
TIMEOUT = 420  # Seconds for one run of the processes.
SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'


def _free_ports(count):
  sockets = []
  for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    sockets.append(s)
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def _command(model_dir, records, strategy):
  bindings = [
      'DATA_MANIFEST = None', f'pretrain_data.input_path = {records!r}',
      'pretrain_data.seq_length = 64',
      'pretrain_data.max_predictions_per_seq = 10',
      'pretrain_data.vocab_size = 7027', f'TRAIN_STEPS = {STEPS}',
      'LOG_INTERVAL = 2', 'CHECKPOINT_INTERVAL = 2',
      'Experiment.max_checkpoints = 100']
  return [sys.executable, '-m', 'official_ext.train',
          '--gin_file=gin/bert_tiny_mlm.gin', f'--model_dir={model_dir}',
          '--mode=train', f'--strategy={strategy}',
          *[f'--gin_bindings={b}' for b in bindings]]


def _env(**extra):
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', CUDA_VISIBLE_DEVICES='',
              PYTHONPATH=fx.REPO, **extra)


def _start(command, log_path, env):
  log = open(log_path, 'w')  # pylint: disable=consider-using-with
  return subprocess.Popen(command, cwd=fx.REPO, env=env, stdout=log,
                          stderr=subprocess.STDOUT)


def _tail(path):
  with open(path) as f:
    return f.read()[-3000:]


def _start_workers(model_dir, records, logs):
  ports = _free_ports(2)
  cluster = {'worker': [f'127.0.0.1:{p}' for p in ports]}
  return [_start(_command(model_dir, records, 'multi_worker_mirrored'),
                 logs[i], _env(TF_CONFIG=json.dumps(
                     {'cluster': cluster,
                      'task': {'type': 'worker', 'index': i}})))
          for i in range(2)]


def _wait(procs, logs):
  deadline = time.time() + TIMEOUT
  try:
    for proc, log in zip(procs, logs):
      proc.wait(timeout=max(1, deadline - time.time()))
      assert proc.returncode == 0, _tail(log)
  finally:
    for proc in procs:
      if proc.poll() is None:
        proc.kill()
        proc.wait()


def _variables(prefix):
  reader = checkpointing.reader(prefix)
  return {k: reader.get_tensor(k)
          for k in reader.get_variable_to_shape_map() if k.endswith(SUFFIX)}


def _assert_close(actual_prefix, expected_prefix, atol):
  actual, expected = _variables(actual_prefix), _variables(expected_prefix)
  assert sorted(actual) == sorted(expected)
  assert len(actual) > 100  # Weights and optimizer state.
  for key, value in expected.items():
    np.testing.assert_allclose(actual[key], value, rtol=0, atol=atol,
                               err_msg=key)


def _max_diff(a_prefix, b_prefix):
  a, b = _variables(a_prefix), _variables(b_prefix)
  return max(float(np.max(np.abs(a[k] - b[k]))) for k in a
             if 'step' not in k and 'iteration' not in k)


@pytest.mark.slow
def test_two_workers_match_one_process_and_resume_after_a_kill(tmp_path):
  records = fx.write_uniform_records(str(tmp_path / 'uniform.tfrecord'), 64,
                                     64, 10, 7027)
  single, workers, killed = (str(tmp_path / n)
                             for n in ('single', 'workers', 'killed'))

  # One process, one device, global batch 8.
  log = str(tmp_path / 'single.log')
  proc = _start(_command(single, records, 'one_device'), log, _env())
  _wait([proc], [log])

  # Two workers (one replica each): the same global batch.
  logs = [str(tmp_path / f'workers-{i}.log') for i in range(2)]
  _wait(_start_workers(workers, records, logs), logs)
  ckpt = f'ckpt-{STEPS}'
  _assert_close(os.path.join(workers, ckpt), os.path.join(single, ckpt),
                atol=1e-5)
  # Training moved well beyond the tolerance.
  assert _max_diff(os.path.join(single, ckpt),
                   os.path.join(single, 'ckpt-2')) > 1e-3
  for text in map(_tail, logs):
    assert f'step {STEPS}/{STEPS}' in text
  # Only the chief wrote model_dir; worker 1's temporary dir is gone.
  names = {n.rstrip('/') for n in tf.io.gfile.listdir(workers)}
  assert {'operative_config.gin', 'train', 'checkpoint'} <= names
  assert not [n for n in names if n.startswith('workertemp')], names
  assert tf.io.gfile.listdir(os.path.join(workers, 'train'))

  # Kill worker 1 after the chief's first checkpoint, then the chief.
  logs = [str(tmp_path / f'killed-{i}.log') for i in range(2)]
  procs = _start_workers(killed, records, logs)
  deadline = time.time() + TIMEOUT
  while (not tf.train.latest_checkpoint(killed) and time.time() < deadline
         and procs[0].poll() is None):
    time.sleep(0.02)
  procs[1].send_signal(signal.SIGKILL)
  procs[1].wait()
  try:
    procs[0].wait(timeout=15)  # It cannot finish without its peer.
  except subprocess.TimeoutExpired:
    procs[0].kill()
    procs[0].wait()
  reached = checkpointing.step_of(tf.train.latest_checkpoint(killed))
  assert reached and reached < STEPS, (reached, _tail(logs[0]))
  logs = [str(tmp_path / f'rerun-{i}.log') for i in range(2)]
  _wait(_start_workers(killed, records, logs), logs)
  # Both resumed at the chief's checkpoint (worker 1 restored it from the
  # chief's model_dir), and ended with the uninterrupted weights.
  for path in logs:
    with open(path) as f:
      steps = [int(m) for m in re.findall(r'^step (\d+)/', f.read(), re.M)]
    assert steps[0] == reached + 2 and steps[-1] == STEPS, (steps, reached)
  _assert_close(os.path.join(killed, ckpt), os.path.join(workers, ckpt),
                atol=1e-6)
  assert not [n for n in tf.io.gfile.listdir(killed)
              if n.startswith('workertemp')]
