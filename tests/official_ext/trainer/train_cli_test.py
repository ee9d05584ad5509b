"""`python -m official_ext.train` on tiny records: SIGKILL then rerun, and
SIGTERM (preemption) then rerun, resume exactly (slow: five ~15 s runs), bad
input exits with a message, --helpfull
documents every flag. (TensorBoard scalars and console lines of a real run:
runner_test.py.)"""
import ast
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.official_ext.trainer import trainer_fixtures as fx

def _command(model_dir, manifest, *extra):
  # teams_tiny: 20 steps of 8 records, a log line every 5; checkpoints every
  # 5 here so the kill below has 15 steps of margin. Dropout is 0 in tiny
  # configs, and the sampler is seeded per row and step, so the run is
  # deterministic; the data position follows the step (train_input.py).
  return [sys.executable, '-m', 'official_ext.train',
          '--gin_file=gin/teams_tiny.gin', f'--data_manifest={manifest}',
          f'--model_dir={model_dir}', '--gin_bindings=CHECKPOINT_INTERVAL = 5',
          *extra]


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')


def _run(*args, **kwargs):
  return subprocess.run(list(args), cwd=fx.REPO, capture_output=True,
                        text=True, timeout=600, env=_env(), **kwargs)


def _kill_after_first_checkpoint(command, model_dir):
  """Starts `command`, SIGKILLs it once a checkpoint is recorded."""
  proc = subprocess.Popen(command, cwd=fx.REPO, env=_env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
  index = os.path.join(model_dir, 'checkpoint')
  while proc.poll() is None and not os.path.exists(index):
    time.sleep(0.01)
  proc.send_signal(signal.SIGKILL)
  _, err = proc.communicate(timeout=60)
  assert proc.returncode == -signal.SIGKILL, err[-3000:]
  return tf.train.latest_checkpoint(model_dir)


def _sigterm_after_first_line(command):
  """Starts `command`, SIGTERMs it once it prints its first progress line
  (step 5 of 20, no checkpoint yet: the interval is 20); returns the
  CompletedProcess-like (returncode, stdout)."""
  proc = subprocess.Popen(command, cwd=fx.REPO, env=_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
  first, line = '', ''
  while not line.startswith('step ') and proc.poll() is None:
    line = proc.stdout.readline()
    first += line
  proc.send_signal(signal.SIGTERM)
  out, err = proc.communicate(timeout=120)
  return proc.returncode, first + out, err


@pytest.fixture(scope='module')
def runs(tiny_manifest, tmp_path_factory):
  """An uninterrupted 20-step run, a killed-then-rerun one and a
  SIGTERMed-then-rerun one (in parallel to cut the wall time)."""
  full = str(tmp_path_factory.mktemp('full'))
  killed = str(tmp_path_factory.mktemp('killed'))
  preempted = str(tmp_path_factory.mktemp('preempted'))
  uninterrupted = subprocess.Popen(_command(full, tiny_manifest), cwd=fx.REPO,
                                   env=_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
  kill_point = _kill_after_first_checkpoint(_command(killed, tiny_manifest),
                                            killed)
  resumed = _run(*_command(killed, tiny_manifest))
  preempt_command = _command(preempted, tiny_manifest,
                             '--gin_bindings=CHECKPOINT_INTERVAL = 20')
  sigterm = _sigterm_after_first_line(preempt_command)
  sigterm_point = tf.train.latest_checkpoint(preempted)
  rerun = _run(*preempt_command)
  _, err = uninterrupted.communicate(timeout=600)
  assert uninterrupted.returncode == 0, err[-3000:]
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  return dict(full=full, killed=killed, kill_point=kill_point,
              resumed_stdout=resumed.stdout, preempted=preempted,
              sigterm=sigterm, sigterm_point=sigterm_point,
              rerun_stdout=rerun.stdout)


def _assert_same_final_weights(runs, other):
  final = [tf.train.load_checkpoint(os.path.join(runs[k], 'ckpt-20'))
           for k in ('full', other)]
  keys = [k for k, _ in tf.train.list_variables(
      os.path.join(runs['full'], 'ckpt-20')) if k.endswith('VARIABLE_VALUE')
          and not k.startswith('save_counter/')]  # Saves differ, not state.
  assert any(k.startswith('optimizer/') for k in keys)  # Adam slots, step.
  for key in keys:
    # Tolerance 1e-6; in practice the two runs are bitwise equal.
    np.testing.assert_allclose(final[1].get_tensor(key),
                               final[0].get_tensor(key), rtol=1e-6,
                               atol=1e-6, err_msg=key)


@pytest.mark.slow
def test_sigkill_then_rerun_resumes_and_matches_uninterrupted(runs):
  kill_step = int(runs['kill_point'].rsplit('-', 1)[1])
  assert kill_step in (5, 10, 15), runs['kill_point']
  assert f'restored from checkpoint: {runs["kill_point"]}' in (
      runs['resumed_stdout'])
  assert f'step {kill_step + 5}/20 |' in runs['resumed_stdout']
  _assert_same_final_weights(runs, 'killed')


@pytest.mark.slow
def test_sigterm_checkpoints_mid_interval_exits_0_and_rerun_matches(runs):
  code, out, err = runs['sigterm']
  assert code == 0, err[-3000:]
  # Checkpoints are every 20 steps: the one found is the preemption's, at
  # the end of the inner loop running when SIGTERM came (step 5 or 10).
  step = int(runs['sigterm_point'].rsplit('-', 1)[1])
  assert step in (5, 10), runs['sigterm_point']
  assert out.strip().splitlines()[-1] == (
      f"preempted (SIGTERM) at step {step}: checkpoint "
      f"{runs['sigterm_point']} written; rerun the same command to resume.")
  assert f'restored from checkpoint: {runs["sigterm_point"]}' in (
      runs['rerun_stdout'])
  _assert_same_final_weights(runs, 'preempted')


def test_bad_input_exits_with_a_message(tmp_path):
  # Each kind of bad input is tested in-process (gin_setup_test,
  # data_setup_test, checkpointing_test); this checks the CLI's reporting.
  proc = _run(sys.executable, '-m', 'official_ext.train',
              '--gin_file=gin/teams_tiny.gin', f'--model_dir={tmp_path}',
              '--data_manifest=/nonexistent/manifest.json')
  assert proc.returncode == 1, proc.stderr[-3000:]
  assert ("official_ext.train: error: data manifest "
          "'/nonexistent/manifest.json' does not exist") in proc.stderr
  assert 'Traceback' not in proc.stderr
  assert not os.listdir(tmp_path)  # Nothing written.


def test_helpfull_documents_every_flag():
  proc = _run(sys.executable, '-m', 'official_ext.train', '--helpfull')
  assert proc.returncode == 1, proc.stderr[-3000:]  # absl's help exit code.
  # Its own flags and the shared ones (encoder_flags, gin_flags,
  # distribution_flags), each module's section of the help.
  ours = '\n'.join(
      proc.stdout.split(f'{section}:\n')[1].split('\n\n')[0]
      for section in ('official_ext/train.py', 'official_ext.encoder_flags',
                      'official_ext.gin_flags',
                      'official_ext.distribution_flags'))
  for flag in ('gin_file', 'gin_bindings', 'model_dir', 'mode', 'strategy',
               'tpu', 'all_reduce_alg', 'data_manifest', 'eval_data_manifest',
               'mixed_precision', 'jit_compile', 'init_checkpoint',
               'init_generator_checkpoint', 'metrics_json'):
    assert re.search(rf'--(\[no\])?{flag}:', ours), flag
  assert 'train|eval|train_and_eval|continuous_eval' in ours.replace(
      '<', '').replace('>', '')


@pytest.mark.slow
def test_eval_writes_metrics_json(runs, tiny_manifest, tmp_path):
  path = str(tmp_path / 'metrics.json')
  proc = _run(*_command(runs['full'], tiny_manifest, '--mode=eval',
                        f'--eval_data_manifest={tiny_manifest}',
                        f'--metrics_json={path}'))
  assert proc.returncode == 0, proc.stderr[-3000:]
  with open(path) as f:
    metrics = json.load(f)
  # The file holds what the run printed.
  printed = proc.stdout.split('final evaluation: ')[1].splitlines()[0]
  assert ast.literal_eval(printed) == metrics
  for name in ('mlm_accuracy', 'rtd_auc'):
    assert 0.0 <= metrics[name] <= 1.0, name
