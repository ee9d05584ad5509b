"""`python -m official_ext.compare` through the real CLI: bad input stops
with one line before anything is written; (slow) a 2-arm, 1-task, 2-seed
tiny comparison runs end to end, and one killed mid-pretraining finishes on
a rerun without redoing finished stages."""
import csv
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
ERROR = 'official_ext.compare: error: '

# Tiny MLM (exportable multi-objective task) vs the same trunk untrained.
TINY_GIN = """
Comparison.arms = [@mlm/compare_arm(), @random/compare_arm()]
Comparison.tasks = ['glue/sst2']
Comparison.seeds = [0, 1]
Comparison.baseline = 'random'
Comparison.budget_kind = 'steps'
Comparison.budget_value = %STEPS
Comparison.seq_length = 64
Comparison.batch_size = 8
Comparison.max_predictions = 10
Comparison.vocab_size = 7027
Comparison.vocab = 'data/wikitext2/vocab_uncased_8k.txt'
Comparison.corpus = %CORPUS
Comparison.heldout_every = 5
Comparison.record_sets = {'main': ['--dupe_factor=2']}
Comparison.records = 'main'
Comparison.checkpoints = 4
Comparison.finetune_flags = %FINETUNE
TINY = ["SIZE = 'tiny'", 'LEARNING_RATE = 1e-3', 'MAX_SEQ_LENGTH = 64',
        'BATCH_SIZE = 8']
mlm/compare_arm.name = 'mlm'
mlm/compare_arm.gin_files = ['gin/common/pretrain.gin', 'gin/sizes/tiny.gin',
                             'gin/objectives/bert_mlm_trunk.gin']
mlm/compare_arm.bindings = %TINY
mlm/compare_arm.objective = 'mlm'
mlm/compare_arm.size = 'tiny'
random/compare_arm.name = 'random'
random/compare_arm.init = 'random'
random/compare_arm.gin_files = ['gin/common/pretrain.gin',
                                'gin/sizes/tiny.gin',
                                'gin/objectives/bert_mlm_trunk.gin']
random/compare_arm.bindings = %TINY
"""


def _setup(tmp_path, steps=20):
  """The gin file (+ its small corpus and SST-2 slice); returns its path."""
  with open(os.path.join(REPO, 'data', 'wikitext2', 'valid.bert.txt')) as f:
    docs = f.read().split('\n\n')[:15]
  corpus = tmp_path / 'corpus.txt'
  corpus.write_text('\n\n'.join(docs) + '\n')
  sst2 = tmp_path / 'sst2'
  sst2.mkdir()
  for name, rows in (('train.tsv', 65), ('dev.tsv', 41)):
    with open(os.path.join(REPO, 'data', 'sst2', name)) as f:
      (sst2 / name).write_text(''.join(f.readlines()[:rows]))
  finetune = [f'--data_dir={sst2}', '--epochs=1', '--learning_rates=1e-3',
              '--max_seq_length=64', '--log_every=4', '--batch_sizes=16']
  gin_file = tmp_path / 'tiny.gin'
  gin_file.write_text(f'STEPS = {steps}\nCORPUS = {str(corpus)!r}\n'
                      f'FINETUNE = {finetune!r}\n' + TINY_GIN)
  return str(gin_file)


def _cli(gin_file, out, *extra, wait=True):
  args = [sys.executable, '-m', 'official_ext.compare',
          f'--gin_file={gin_file}', f'--output_dir={out}'] + list(extra)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=REPO)
  if not wait:  # its own process group, so the test can kill all of it
    return subprocess.Popen(args, cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
  return subprocess.run(args, cwd=REPO, env=env, capture_output=True,
                        text=True, timeout=1800)


def _manifest(tmp_path, name, input_name):
  path = tmp_path / name / 'manifest.json'
  path.parent.mkdir()
  path.write_text(json.dumps({
      'vocab': {'sha256': 'abc'}, 'inputs': [{'path': input_name,
                                              'bytes': 10}],
      'totals': {'documents': 3}}))
  return str(path)


# Runs the CLI's main() on several argument lists in one process (one
# TensorFlow import instead of one per case); prints [[exit code, stderr]].
DRIVER = """
import contextlib, io, json, sys
from absl import flags
from official_ext.compare import __main__ as cli
cli.define_flags()
results = []
for argv in json.loads(sys.argv[1]):
  flags.FLAGS.unparse_flags()
  flags.FLAGS(['compare'] + argv)
  err = io.StringIO()
  with contextlib.redirect_stderr(err):
    try:
      cli.main(['compare'])
      code = 0
    except SystemExit as e:
      code = e.code
  results.append([code, err.getvalue()])
print(json.dumps(results))
"""

BAD_INPUT = [
    (["random/compare_arm.name = 'mlm'"], "two arms are named 'mlm'"),
    (["Comparison.tasks = ['glue/sst2', 'glue/imdb']"],
     "task suite: unknown task 'glue/imdb'"),
    (["Comparison.budget_kind = 'flops'", 'Comparison.budget_value = 1'],
     "arm 'mlm': budget flops = 1 FLOPs is less than one of its steps"),
    (['DIFFERENT_CORPUS'], "arm 'random2' reads "),
    (['--arms=mlm,bert'], "--arms: ['bert'] not among the arms"),
    (["mlm/compare_arm.gin_files = ['gin/nope.gin']"],
     "arm 'mlm': gin file 'gin/nope.gin' does not exist"),
    (["FINETUNE = ['--data_dir=/no/glue']"],
     'finetune_flags --data_dir=/no/glue: no such directory'),
]


def test_bad_input_one_line_before_anything(tmp_path):
  gin_file = _setup(tmp_path)
  # Two pretraining arms reading given manifests of different corpora.
  other = tmp_path / 'other.gin'
  with open(gin_file) as f:
    other.write_text(
        f.read() + "Comparison.record_sets = {}\n"
        f"Comparison.records = {_manifest(tmp_path, 'a', 'x.txt')!r}\n"
        'Comparison.arms = [@mlm/compare_arm(), @random2/compare_arm()]\n'
        'Comparison.baseline = None\n'
        "random2/compare_arm.name = 'random2'\n"
        "random2/compare_arm.gin_files = ['gin/bert_tiny_mlm.gin']\n"
        "random2/compare_arm.objective = 'mlm'\n"
        "random2/compare_arm.size = 'tiny'\n"
        'random2/compare_arm.records = '
        f"{_manifest(tmp_path, 'b', 'y.txt')!r}\n")
  out = tmp_path / 'out'
  argvs = []
  for bindings, _ in BAD_INPUT:
    argv = [f'--gin_file={gin_file}', f'--output_dir={out}']
    if bindings == ['DIFFERENT_CORPUS']:
      argv[0], bindings = f'--gin_file={other}', []
    argv += [b for b in bindings if b.startswith('--')]
    argv += [f'--gin_bindings={b}' for b in bindings
             if not b.startswith('--')]
    argvs.append(argv)
  proc = subprocess.run(
      [sys.executable, '-c', DRIVER, json.dumps(argvs)], cwd=REPO,
      capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=REPO))
  assert proc.returncode == 0, proc.stderr[-3000:]
  results = json.loads(proc.stdout.strip().splitlines()[-1])
  for (code, stderr), (_, message) in zip(results, BAD_INPUT):
    lines = [l for l in stderr.splitlines() if l.startswith(ERROR)]
    assert code == 2, (message, stderr)
    assert len(lines) == 1 and message in lines[0], (message, stderr)
  assert not out.exists()  # nothing written, no training dir


def _done(out):
  """stage name -> its stage.json 'finished' time."""
  done = {}
  for path in glob.glob(os.path.join(out, '**', 'stage.json'),
                        recursive=True):
    with open(path) as f:
      record = json.load(f)
    done[os.path.relpath(os.path.dirname(path), out)] = record['finished']
  return done


@pytest.mark.slow
def test_tiny_comparison_killed_mid_pretraining_then_finished(tmp_path):
  # 2,000 steps, 4 checkpoints: every 500 (a multiple of the log interval).
  gin_file = _setup(tmp_path, steps=2000)
  out = str(tmp_path / 'out')
  proc = _cli(gin_file, out, wait=False)
  first_checkpoint = os.path.join(out, 'mlm', 'pretrain', 'ckpt-500.index')
  deadline = time.time() + 600
  while not os.path.exists(first_checkpoint):
    assert proc.poll() is None, proc.stdout.read()[-3000:]
    assert time.time() < deadline, 'no checkpoint within 10 minutes'
    time.sleep(0.05)
  os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its stage process
  proc.wait()
  before = _done(out)
  # The data stages had finished; the pretraining had not.
  assert set(before) == {'data/stages/split', 'data/stages/main_train',
                         'data/stages/main_heldout'}
  assert not os.path.exists(os.path.join(out, 'mlm', 'pretrain',
                                         'ckpt-2000.index'))

  rerun = _cli(gin_file, out, '--parallel=2')  # both arms' chains at once
  assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
  after = _done(out)
  for stage, finished in before.items():  # not redone
    assert after[stage] == finished, stage
  assert rerun.stdout.count('done before') == 3
  assert 'mlm/stages/pretrain' in after
  # The pretraining resumed from its checkpoint (step 500), not from 0.
  with open(os.path.join(out, 'mlm', 'stages', 'pretrain',
                         'pretrain.log')) as f:
    log = f.read()
  assert re.search(r'step:\s+500 \| training until step 2000', log), log[-2000:]
  assert not re.search(r'step:\s+0 \| training until', log)

  for name in ('leaderboard.md', 'leaderboard.csv', 'score_vs_flops.png',
               'seed_spreads.png'):
    assert os.path.getsize(os.path.join(out, name)) > 100, name
  with open(os.path.join(out, 'leaderboard.csv')) as f:
    rows = {r['arm']: r for r in csv.DictReader(f)}
  assert set(rows) == {'mlm', 'random'}
  assert rows['mlm']['steps'] == '2000' and rows['random']['steps'] == ''
  assert rows['mlm']['glue/sst2 seeds'] == '2'
  assert 0 <= float(rows['mlm']['held-out mlm_accuracy']) <= 1
  with open(os.path.join(out, 'leaderboard.md')) as f:
    table = f.read()
  assert '| mlm | 2000 |' in table and '| random | – |' in table
  assert 'vs random' in table and '40 dev examples' in table
  assert f'tensorboard --logdir {out}' in rerun.stdout

  # A third run finds everything done: no stage runs again.
  again = _cli(gin_file, out)
  assert again.returncode == 0
  assert 'running in' not in again.stdout
  assert _done(out) == after
