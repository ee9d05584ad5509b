"""A pre-finetuning stage on the training spine, through the real CLI in
subprocesses: progress lines with ETA, and a stage killed with SIGKILL then
rerun ends where an uninterrupted one does.

The stage is `gin/multitask/muppet_tiny.gin` shrunk (random tiny encoder,
12 heterogeneous updates of 4 sub-batches of 4 over the bundled SST-2 and
AG News samples, a check every 6 updates, dropout 0), so two runs are the
same computation. Slow (three CLI processes; the in-process CLI test
checks the progress lines by default).
"""

import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.official_ext.multitask import multitask_fixtures as mfx

pytestmark = pytest.mark.slow

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')
BINDINGS = [
    'muppet/TrainerConfig.total_updates = 12',
    'muppet/TrainerConfig.eval_interval = 6',
    'muppet/TrainerConfig.checkpoint_interval = 2',
    'muppet/TrainerConfig.log_interval = 2',
    'muppet/TrainerConfig.batch_size = 4',
    'muppet/TrainerConfig.eval_batch_size = 256',
    'muppet/TrainerConfig.dropout_rate = 0.0',
    'MAX_SEQ_LENGTH = 32',
]
PROGRESS = re.compile(r'^1-muppet: step (\d+)/12 \| (\S+/loss \S+ ?)+ \| '
                      r'\S+ ex/s \| ETA (\?|\d+:\d\d:\d\d)$')


def _command(model_dir):
  return ([sys.executable, '-m', 'official_ext.prefinetune',
           '--gin_file=gin/multitask/muppet_tiny.gin',
           f'--model_dir={model_dir}'] +
          [f'--gin_bindings={b}' for b in BINDINGS])


def _cli(model_dir):
  proc = subprocess.run(_command(model_dir), cwd=mfx.REPO,
                        capture_output=True, text=True, timeout=900, env=ENV)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc.stdout


def _steps(out):
  return [int(m.group(1)) for m in map(PROGRESS.match, out.splitlines())
          if m]


def _summary(model_dir):
  with open(os.path.join(model_dir, '1-muppet', 'summary.json')) as f:
    return json.load(f)


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp('uninterrupted'))
  return _cli(model_dir), _summary(model_dir)


def test_progress_lines_with_eta(uninterrupted):
  out, summary = uninterrupted
  assert _steps(out) == [2, 4, 6, 8, 10, 12], out
  assert re.search(r'^1-muppet: step 12/12 \| .*agnews/loss \S+ sst2/loss '
                   r'\S+ \| .* ETA 0:00:00$', out, re.M), out
  assert summary['updates'] == 12
  assert sum(t['sub_batches_trained']
             for t in summary['tasks'].values()) == 12 * 4


def test_sigkill_mid_stage_resumes_to_the_uninterrupted_score(uninterrupted,
                                                             tmp_path):
  _, one = uninterrupted
  model_dir = str(tmp_path)
  proc = subprocess.Popen(_command(model_dir), cwd=mfx.REPO, env=ENV,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
  killed = False
  for line in proc.stdout:  # Kill after the progress line of update 8.
    if line.startswith('1-muppet: step 8/12'):
      proc.send_signal(signal.SIGKILL)
      killed = True
      break
  proc.wait(timeout=300)
  assert killed and proc.returncode == -signal.SIGKILL
  stage = os.path.join(model_dir, '1-muppet')
  steps = {int(m.group(1)) for n in os.listdir(stage)
           for m in [re.match(r'ckpt-(\d+)\.index', n)] if m}
  assert steps and max(steps) >= 6, steps
  assert not os.path.exists(os.path.join(stage, 'summary.json'))

  out = _cli(model_dir)
  # Resumed from the newest checkpoint: no update before it is redone.
  assert _steps(out)[0] > max(steps), out
  resumed = _summary(model_dir)
  assert resumed['updates'] == 12
  with open(os.path.join(stage, 'evals.jsonl')) as f:
    assert [json.loads(l)['update'] for l in f] == [6, 12]
  np.testing.assert_allclose(resumed['last_eval']['mean_score'],
                             one['last_eval']['mean_score'], rtol=1e-5)
  for task, scores in one['last_eval']['tasks'].items():
    np.testing.assert_allclose(resumed['last_eval']['tasks'][task]['score'],
                               scores['score'], rtol=1e-5)
  assert resumed['best']['best'] == pytest.approx(one['best']['best'],
                                                  rel=1e-5)
