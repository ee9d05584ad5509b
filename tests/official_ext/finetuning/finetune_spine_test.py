"""Fine-tuning on the training spine, through the real CLI in subprocesses:
progress lines, MirroredStrategy = one device, SIGKILL + rerun = one run.

Every run fine-tunes a random tiny encoder on the known-answer regression
task (`known_answer_data.count_examples`) with dropout 0, so two runs of one
configuration are the same computation.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tf_keras

from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.finetuning import known_answer_data as kad

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
  root = tmp_path_factory.mktemp('spine')
  tf_keras.utils.set_random_seed(0)
  export = ffx.export_tiny_encoder(root / 'export')
  ffx.write_glue(root / 'data', 'stsb', kad.count_examples(256, 0),
                 kad.count_examples(64, 1))
  return export, str(root / 'data')


def _argv(setup, model_dir, **overrides):
  export, data_dir = setup
  flags = dict(task='glue/stsb', init_checkpoint=export,
               vocab_file=ffx.VOCAB_FILE, data_dir=data_dir,
               model_dir=model_dir, seeds=1, learning_rates='1e-3',
               batch_sizes=16, epochs=3, max_seq_length=32,
               eval_batch_size=64, log_every=4, checkpoint_every=4,
               dropout_rate=0.0)
  flags.update(overrides)
  return [f'--{k}={v}' for k, v in flags.items()]


def _cli(setup, model_dir, module='official_ext.finetune', **overrides):
  proc = subprocess.run(
      [sys.executable, '-m', module] + _argv(setup, model_dir, **overrides),
      cwd=ffx.REPO, capture_output=True, text=True, timeout=900, env=ENV)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc.stdout


def _record(model_dir):
  paths = [os.path.join(d, 'run.json') for d, _, f in os.walk(model_dir)
           if 'run.json' in f]
  assert len(paths) == 1, paths
  with open(paths[0]) as f:
    return json.load(f)


@pytest.fixture(scope='module')
def uninterrupted(setup, tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp('uninterrupted'))
  return _cli(setup, model_dir), _record(model_dir)


def test_progress_lines_with_eta_and_no_checkpoint_left(uninterrupted):
  out, record = uninterrupted
  lines = [l for l in out.splitlines()
           if re.match(r'glue_stsb seed 0: step \d+/48 \| loss \S+ .*'
                       r'ex/s \| ETA ', l)]
  assert [int(re.search(r'step (\d+)/', l).group(1)) for l in lines] == list(
      range(4, 49, 4))
  assert record['train_steps'] == 48 and record['replicas'] == 1
  assert not record['resumed']
  assert record['metrics']['pearson'] > 20  # it learns (48 steps)
  assert not os.path.exists(os.path.join(record['run_dir'], 'checkpoints'))


@pytest.mark.slow
def test_mirrored_two_logical_cpus_equals_one_device(setup, uninterrupted,
                                                     tmp_path):
  """Tolerance: 0.25 points on the dev correlations and 3% on the last
  loop's training loss: the all-reduce sums gradients in another order, and
  48 Adam steps carry those rounding differences (measured: 0.05 points,
  1.2% on the loss)."""
  _, one = uninterrupted
  _cli(setup, str(tmp_path), module='tests.official_ext.finetuning.'
       'finetune_worker', strategy='mirrored')
  mirrored = _record(str(tmp_path))
  assert mirrored['replicas'] == 2
  for key in ('pearson', 'spearman'):
    np.testing.assert_allclose(mirrored['metrics'][key],
                               one['metrics'][key], atol=0.25)
  np.testing.assert_allclose(mirrored['final_train_loss'],
                             one['final_train_loss'], rtol=3e-2)


def test_sigkill_mid_run_resumes_to_the_uninterrupted_score(
    setup, uninterrupted, tmp_path):
  _, one = uninterrupted
  model_dir = str(tmp_path)
  proc = subprocess.Popen(
      [sys.executable, '-m', 'official_ext.finetune'] +
      _argv(setup, model_dir), cwd=ffx.REPO, env=ENV,
      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
  killed_at = None
  for line in proc.stdout:  # Kill after the progress line of step 20.
    if 'step 20/48' in line:
      proc.send_signal(signal.SIGKILL)
      killed_at = 20
      break
  proc.wait(timeout=300)
  assert killed_at and proc.returncode == -signal.SIGKILL
  ckpt_dir = [d for d, _, f in os.walk(model_dir)
              if any(n.startswith('ckpt-') for n in f)]
  assert ckpt_dir, 'no checkpoint survived the kill'
  steps = {int(m.group(1)) for n in os.listdir(ckpt_dir[0])
           for m in [re.match(r'ckpt-(\d+)\.index', n)] if m}
  assert steps and max(steps) >= 16
  time.sleep(0.1)
  out = _cli(setup, model_dir)
  resumed = _record(model_dir)
  assert resumed['resumed']
  first = re.search(r'step (\d+)/48', out)
  assert first and int(first.group(1)) > 16  # no step before it redone
  for key in ('pearson', 'spearman'):
    np.testing.assert_allclose(resumed['metrics'][key], one['metrics'][key],
                               rtol=1e-5)


@pytest.mark.slow
def test_sigterm_mid_interval_checkpoints_exits_0_and_resumes(
    setup, uninterrupted, tmp_path):
  """Preemption (trainer/preemption.py) through the spine: checkpoints only
  every 40 steps, SIGTERM after step 20's line -> ckpt-20 or ckpt-24."""
  _, one = uninterrupted
  model_dir = str(tmp_path)
  proc = subprocess.Popen(
      [sys.executable, '-m', 'official_ext.finetune'] +
      _argv(setup, model_dir, checkpoint_every=40), cwd=ffx.REPO, env=ENV,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  for line in proc.stdout:
    if 'step 20/48' in line:
      proc.send_signal(signal.SIGTERM)
      break
  out, err = proc.communicate(timeout=300)
  assert proc.returncode == 0, err[-3000:]
  message = out.strip().splitlines()[-1]
  match = re.fullmatch(r'glue_stsb seed 0: preempted \(SIGTERM\) at step '
                       r'(\d+): checkpoint (\S+) written; rerun the same '
                       r'command to resume\.', message)
  assert match and match.group(1) in ('20', '24'), message
  assert os.path.exists(match.group(2) + '.index')
  _cli(setup, model_dir, checkpoint_every=40)
  resumed = _record(model_dir)
  assert resumed['resumed']
  for key in ('pearson', 'spearman'):
    np.testing.assert_allclose(resumed['metrics'][key], one['metrics'][key],
                               rtol=1e-5)
