"""`python -m tfrecords_tools.s0_prep.demo` on a small corpus: vocab, records,
a batch."""

import json
import os
import subprocess
import sys

from tests.tfrecords_tools import builder_fixtures as fx

REPO = fx.REPO


def test_demo_builds_vocab_records_and_reads_a_batch(tmp_path):
  corpus = os.path.join(REPO, 'data', 'wikitext2', 'valid.bert.txt')
  small = tmp_path / 'corpus.txt'
  with open(corpus) as f:
    small.write_text(''.join(f.readlines()[:400]))
  out = tmp_path / 'demo'
  proc = subprocess.run(
      [sys.executable, '-m', 'tfrecords_tools.s0_prep.demo',
       f'--output_dir={out}',
       f'--corpus={small}', '--vocab_size=600', '--dupe_factor=2',
       '--max_seq_length=32', '--max_predictions_per_seq=5',
       '--heldout_every=2'],
      cwd=REPO, capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert proc.returncode == 0, proc.stderr[-2000:]
  with open(out / 'data' / 'manifest.json') as f:
    manifest = json.load(f)
  assert manifest['settings']['max_seq_length'] == 32
  assert manifest['settings']['dupe_factor'] == 2
  assert manifest['totals']['instances'] > 0
  assert "'input_word_ids': (8, 32)" in proc.stdout
  assert "'masked_lm_positions': (8, 5)" in proc.stdout
  with open(out / 'vocab.txt') as f:
    assert len(f.read().split()) <= 600
  # Every 2nd document held out: records of their own, dupe factor 1, the
  # same vocab; the training records come from the other documents.
  with open(out / 'heldout' / 'manifest.json') as f:
    heldout = json.load(f)
  assert heldout['settings']['dupe_factor'] == 1
  assert heldout['vocab']['sha256'] == manifest['vocab']['sha256']
  with open(out / 'corpus' / 'split.json') as f:
    split = json.load(f)
  assert heldout['totals']['documents'] == split['documents']['heldout']
  assert manifest['totals']['documents'] == split['documents']['train']
  assert split['documents']['heldout'] >= 1
