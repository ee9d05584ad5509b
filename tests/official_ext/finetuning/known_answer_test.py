"""Fine-tuning learns known answers from a random encoder, through the CLI.

Each task's labels are a deterministic function of its text
(`known_answer_data`); a random tiny TEAMS encoder is exported and fine-tuned
with `python -m official_ext.finetune` (in-process). The regression task
fails on Model Garden's own sentence-prediction loss (its `[B]` labels
broadcast against `[B, 1]` outputs: the model learns the batch mean, Pearson
near 0: -5.3 on the parent commit); the others guard single-sentence and
pair classification and span extraction the same way (slow ones:
`--runslow`).
"""

import json
import os

import pytest
import tf_keras

from official_ext import finetune
from official_ext.finetuning import length_batching
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.finetuning import known_answer_data as kad


@pytest.fixture(scope='module')
def random_export(tmp_path_factory):
  tf_keras.utils.set_random_seed(int(os.environ.get('KNOWN_ANSWER_SEED', 0)))
  return ffx.export_tiny_encoder(tmp_path_factory.mktemp('random_export'))


def _finetune(capsys, tmp_path, export_dir, task, **overrides):
  """Runs the CLI on one task; returns the run's metrics (percent)."""
  model_dir = str(tmp_path / 'runs')
  flags = dict(task=task, init_checkpoint=export_dir,
               vocab_file=ffx.VOCAB_FILE, data_dir=str(tmp_path / 'data'),
               model_dir=model_dir, seeds=1, learning_rates='1e-3',
               batch_sizes=32, epochs=8, max_seq_length=32,
               eval_batch_size=64, log_every=10)
  flags.update(overrides)
  argv = ['finetune'] + [f'--{k}={v}' for k, v in flags.items()]
  code, _, err = cli_harness.run_main(finetune.main, finetune.FLAGS, argv,
                                      capsys)
  assert code == 0, err
  runs = [os.path.join(d, 'run.json') for d, _, files in os.walk(model_dir)
          if 'run.json' in files]
  assert len(runs) == 1, runs
  with open(runs[0]) as f:
    return json.load(f)['metrics']


def test_regression_learns_marker_count(capsys, tmp_path, random_export):
  ffx.write_glue(tmp_path / 'data', 'stsb', kad.count_examples(512, 0),
                 kad.count_examples(200, 1))
  metrics = _finetune(capsys, tmp_path, random_export, 'glue/stsb',
                      epochs=12)
  assert metrics['pearson'] >= 90.0, metrics
  assert metrics['spearman'] >= 90.0, metrics


@pytest.mark.slow
def test_single_sentence_classification_learns_marker(capsys, tmp_path,
                                                      random_export):
  ffx.write_glue(tmp_path / 'data', 'sst2', kad.contains_examples(1024, 0),
                 kad.contains_examples(200, 1))
  metrics = _finetune(capsys, tmp_path, random_export, 'glue/sst2')
  assert metrics['accuracy'] >= 95.0, metrics


def test_pair_classification_learns_marker_in_second_segment(
    capsys, tmp_path, random_export):
  ffx.write_glue(tmp_path / 'data', 'mrpc',
                 kad.marker_in_second_examples(1024, 0),
                 kad.marker_in_second_examples(200, 1))
  metrics = _finetune(capsys, tmp_path, random_export, 'glue/mrpc')
  assert metrics['accuracy'] >= 95.0, metrics


@pytest.mark.slow
def test_squad_learns_colour_span(capsys, tmp_path, random_export):
  data_dir = tmp_path / 'data'
  data_dir.mkdir()
  for split, count, seed in (('train', 512, 0), ('dev', 100, 1)):
    with open(data_dir / f'{split}-v1.1.json', 'w') as f:
      json.dump(kad.colour_squad(count, seed), f)
  metrics = _finetune(capsys, tmp_path, random_export, 'squad/v1.1',
                      max_query_length=8, doc_stride=16)
  assert metrics['f1'] >= 90.0, metrics


def test_a_training_subset_still_learns_the_marker(capsys, tmp_path,
                                                   random_export):
  """`--max_train_examples` (learning curves) trains on the subset it
  writes: 512 of 2,048 examples still teach the single-sentence marker.
  (At lr 1e-3 this was marginal: 84-96% by the dropout stream alone, e.g.
  with batches cut to their longest example; at 3e-3 98-100% over encoder
  seeds 0-2, cut or not.)"""
  ffx.write_glue(tmp_path / 'data', 'sst2', kad.contains_examples(2048, 0),
                 kad.contains_examples(200, 1))
  metrics = _finetune(capsys, tmp_path, random_export, 'glue/sst2',
                      epochs=12, max_train_examples=512,
                      learning_rates='3e-3')
  assert metrics['accuracy'] >= 95.0, metrics


def test_length_grouped_trimmed_batches_still_learn_the_marker(
    capsys, tmp_path, random_export, monkeypatch):
  """`--length_group_batches` with `--trim_padding` (the default; the demo
  fine-tunes this way): batches of similar length, cut to their longest
  example (6-13 tokens of 32), still teach the single-sentence marker. The
  training stream is seen to go through both."""
  calls = {'group': 0, 'trim': 0}
  group, trim = length_batching.group_by_length, length_batching.trim_to_longest

  def counted_group(*args, **kwargs):
    calls['group'] += 1
    return group(*args, **kwargs)

  def counted_trim(batch):
    calls['trim'] += 1
    return trim(batch)

  monkeypatch.setattr(length_batching, 'group_by_length', counted_group)
  monkeypatch.setattr(length_batching, 'trim_to_longest', counted_trim)
  ffx.write_glue(tmp_path / 'data', 'sst2', kad.contains_examples(512, 0),
                 kad.contains_examples(200, 1))
  metrics = _finetune(capsys, tmp_path, random_export, 'glue/sst2',
                      epochs=12, learning_rates='3e-3',
                      length_group_batches=4)
  assert calls['group'] >= 1 and calls['trim'] >= 2, calls  # train + dev
  assert metrics['accuracy'] >= 95.0, metrics
