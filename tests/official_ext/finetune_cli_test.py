"""`python -m official_ext.finetune` end to end on tiny GLUE/SQuAD files."""

import csv
import glob
import json
import logging
import os
import shutil
import subprocess
import sys

import pytest
from tensorflow.python.platform import tf_logging

from official_ext import finetune
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.trainer import fault_fixtures as faults

FLAGS = finetune.FLAGS


@pytest.fixture(scope='module')
def export_dir(tmp_path_factory):
  return ffx.export_tiny_encoder(tmp_path_factory.mktemp('export'))


@pytest.fixture
def data_dir(tmp_path):
  d = tmp_path / 'data'
  ffx.write_glue(d, 'sst2', ffx.classification_examples(16),
                 ffx.classification_examples(16, seed=1))
  ffx.write_glue(d, 'stsb', ffx.regression_examples(16),
                 ffx.regression_examples(12, seed=1))
  ffx.write_squad(d / 'squad', 'v1.1')
  return str(d)


def _run(capsys, **flags):
  """Runs the CLI in-process; returns (exit code, stdout, stderr)."""
  argv = ['finetune'] + [f'--{k}={v}' for k, v in flags.items()]
  return cli_harness.run_main(finetune.main, FLAGS, argv, capsys)


def _common(export_dir, data_dir, model_dir):
  return dict(init_checkpoint=export_dir, vocab_file=ffx.VOCAB_FILE,
              data_dir=data_dir, model_dir=model_dir, seeds=2,
              learning_rates='1e-4', batch_sizes=8, epochs=1,
              max_seq_length=32, max_query_length=8, doc_stride=16,
              eval_batch_size=16, log_every=1)


class _Records(logging.Handler):
  """Collects the messages of a logger (what reaches the console)."""

  def __init__(self):
    super().__init__(logging.DEBUG)
    self.messages = []

  def emit(self, record):
    self.messages.append(record.getMessage())


@pytest.fixture
def tf_log():
  """Warnings TensorFlow / tf_keras log while the test runs (their console
  channel, `tf_logging`, at WARNING whatever an earlier test set)."""
  handler = _Records()
  logger = logging.getLogger('tensorflow')
  level = logger.level
  logger.setLevel(logging.WARNING)
  logger.addHandler(handler)
  tf_logging.warning('probe: the handler sees tf_logging warnings')
  yield handler.messages
  logger.removeHandler(handler)
  logger.setLevel(level)


def test_end_to_end_classification_regression_span(capsys, export_dir,
                                                    data_dir, tmp_path,
                                                    tf_log):
  model_dir = str(tmp_path / 'runs')
  flags = _common(export_dir, data_dir, model_dir)
  code, out, err = _run(capsys, task='glue/sst2,glue/stsb,squad/v1.1',
                        dropout_rate=0.2, **flags)
  assert code == 0, err
  # The encoder's pooler, unused by both heads, is not trained: no warning.
  assert tf_log[0].startswith('probe: ')
  assert not [m for m in tf_log + [err] if 'Gradients do not exist' in m]
  assert '| median over seeds (TEAMS) |' in out and 'GLUE avg' in out

  with open(os.path.join(model_dir, 'results.csv')) as f:
    rows = list(csv.DictReader(f))
  assert [(r['task'], r['seed'], r['status']) for r in rows] == [
      (t, s, 'ok') for t in ('glue/sst2', 'glue/stsb', 'squad/v1.1')
      for s in ('0', '1')]
  for row in rows:
    for key in {'glue/sst2': ['accuracy'], 'glue/stsb': ['pearson',
                                                         'spearman'],
                'squad/v1.1': ['exact_match', 'f1']}[row['task']]:
      assert row[key] != '', (row['task'], key)
  with open(os.path.join(model_dir, 'results.md')) as f:
    table = f.read()
  assert table.splitlines()[0] == (
      '| Protocol | SST-2 Acc | STS-B P/S | SQuAD 1.1 EM/F1 | GLUE avg | '
      'paper avg |')
  with open(os.path.join(model_dir, 'results.png'), 'rb') as f:
    assert f.read(4) == b'\x89PNG'

  run_dirs = {r['task']: r['run_dir'] for r in rows}
  for task, run_dir in run_dirs.items():
    with open(os.path.join(run_dir, 'run.json')) as f:
      record = json.load(f)
    assert record['train_steps'] == -(-record['num_train'] // 8)
    assert record['warmup_steps'] == 0
    assert record['restored_variables'] == 40  # every encoder variable
    assert record['encoder']['hidden_size'] == 64
    assert record['encoder']['dropout_rate'] == 0.2  # --dropout_rate
    for kind in ('train', 'eval'):
      assert glob.glob(os.path.join(run_dir, 'tensorboard', kind,
                                    'events.out.tfevents.*')), (task, kind)
  assert os.path.exists(os.path.join(run_dirs['glue/sst2'],
                                     'predictions.tsv'))
  with open(os.path.join(run_dirs['glue/stsb'], 'predictions.tsv')) as f:
    assert len(f.read().splitlines()) == 1 + 12
  with open(os.path.join(run_dirs['squad/v1.1'], 'predictions.json')) as f:
    assert len(json.load(f)) == 8

  # Same command again: every run is reused, the reports are rebuilt.
  stamp = os.path.getmtime(os.path.join(run_dirs['glue/sst2'], 'run.json'))
  code, _, err = _run(capsys, task='glue/sst2', **flags)
  assert code == 0, err
  assert os.path.getmtime(os.path.join(run_dirs['glue/sst2'],
                                       'run.json')) == stamp
  code, out, _ = _run(capsys, report_only=True, model_dir=model_dir)
  assert code == 0 and 'SQuAD 1.1 EM/F1' in out


def _break_tsv(data_dir):
  path = os.path.join(data_dir, 'SST-2', 'train.tsv')
  with open(path) as f:
    lines = f.read().splitlines()
  lines[5] += '\tspare'
  with open(path, 'w') as f:
    f.write('\n'.join(lines) + '\n')
  return dict(task='glue/sst2'), (f'{path}:6: expected 2 tab-separated '
                                  f'columns (as its header on line 1), '
                                  f'found 3')


def _break_label(data_dir):
  path = os.path.join(data_dir, 'STS-B', 'dev.tsv')
  with open(path) as f:
    lines = f.read().splitlines()
  lines[2] = lines[2].rsplit('\t', 1)[0] + '\t7.5'
  with open(path, 'w') as f:
    f.write('\n'.join(lines) + '\n')
  return dict(task='glue/stsb'), (f'{path}:3: label 7.5 (column 10) is '
                                  f'outside [0.0, 5.0] for stsb')


def _break_span(data_dir):
  path = os.path.join(data_dir, 'squad', 'dev-v1.1.json')
  with open(path) as f:
    dataset = json.load(f)
  dataset['data'][2]['paragraphs'][0]['qas'][0]['answers'][0][
      'text'] = 'not in the context'
  with open(path, 'w') as f:
    json.dump(dataset, f, indent=1)
  return dict(task='squad/v1.1'), (
      f"{path}:", "question 'p2q0': answer 'not in the context' does not "
      "match its context")


def _other_size(data_dir):
  config = os.path.join(data_dir, 'wide.json')
  with open(config, 'w') as f:
    json.dump({'vocab_size': ffx.VOCAB_SIZE, 'hidden_size': 32,
               'num_layers': 2, 'num_attention_heads': 2,
               'intermediate_size': 64, 'embedding_size': 32}, f)
  return dict(task='glue/sst2', encoder_config_file=config,
              encoder_type='teams'), (
                  f'does not fit the encoder built from {config} '
                  f'(vocab_size=7027, hidden_size=32', 'variables differ in '
                  'shape', 'checkpoint shape [64, 2, 32], model shape '
                  '[32, 2, 16]')


@pytest.mark.parametrize('breaker', [_break_tsv, _break_label, _break_span,
                                     _other_size])
def test_bad_inputs_stop_with_a_clear_message(capsys, export_dir, data_dir,
                                              tmp_path, breaker):
  extra, expected = breaker(data_dir)
  if isinstance(expected, str):
    expected = (expected,)
  flags = _common(export_dir, data_dir, str(tmp_path / 'runs'))
  if 'encoder_config_file' in extra:
    flags['init_checkpoint'] = os.path.join(export_dir, 'encoder')
  flags.update(extra)
  code, _, err = _run(capsys, **flags)
  assert code == 2
  assert err.startswith('finetune: error: ')
  for part in expected:
    assert part in err
  assert not glob.glob(str(tmp_path / 'runs' / '*' / '*' / 'seed*' /
                           'run.json'))


def _short_encoder(export_dir, tmp_path, positions=64):
  """A copy of the export whose config declares `positions` positions."""
  short = str(tmp_path / 'short')
  shutil.copytree(export_dir, short)
  config = os.path.join(short, 'encoder_config.json')
  with open(config) as f:
    fields = json.load(f)
  with open(config, 'w') as f:
    json.dump(dict(fields, max_position_embeddings=positions), f)
  return short, config


@pytest.mark.parametrize('task,lengths,message', [
    ('glue/sst2', dict(max_seq_length=128),
     "--max_seq_length=128 exceeds the encoder's 64 position embeddings "
     '(max_position_embeddings in {config}); use --max_seq_length=64 or '
     'less'),
    ('squad/v1.1', dict(max_seq_length=''),
     "--max_seq_length=384 (the squad/v1.1 default) exceeds the encoder's "
     '64 position embeddings (max_position_embeddings in {config}); use '
     '--max_seq_length=64 or less'),
    ('squad/v1.1', dict(max_seq_length=32, max_query_length=8, doc_stride=0),
     '--doc_stride=0 must be >= 1 (context tokens between the starts of two '
     'windows)'),
    ('squad/v1.1', dict(max_seq_length=32, max_query_length=29),
     '--max_query_length=29 leaves no context tokens in --max_seq_length=32 '
     '(question + 3 special tokens); lower --max_query_length below 29'),
])
def test_lengths_the_encoder_cannot_take_stop_before_any_work(
    capsys, export_dir, data_dir, tmp_path, task, lengths, message):
  short, config = _short_encoder(export_dir, tmp_path)
  flags = _common(short, data_dir, str(tmp_path / 'runs'))
  flags.update(lengths)
  if flags['max_seq_length'] == '':
    del flags['max_seq_length']
  code, out, err = _run(capsys, task=task, **flags)
  assert code == 2
  assert err == f'finetune: error: {message.format(config=config)}\n'
  assert not out
  assert not os.path.exists(tmp_path / 'runs')  # nothing prepared or built


@pytest.mark.slow  # a fresh interpreter imports TensorFlow (~10 s)
def test_module_entry_point_reports_unknown_task(tmp_path):
  result = subprocess.run(
      [sys.executable, '-m', 'official_ext.finetune', '--task=glue/sst5',
       f'--model_dir={tmp_path}'], capture_output=True, text=True,
      cwd=ffx.REPO, timeout=300, check=False)
  assert result.returncode == 2
  assert "finetune: error: --task: unknown task 'glue/sst5'" in result.stderr


def test_max_train_examples_trains_every_seed_on_one_subset(
    capsys, export_dir, data_dir, tmp_path):
  model_dir = str(tmp_path / 'runs')
  flags = _common(export_dir, data_dir, model_dir)
  for size in (6, 10):  # two curve points share one model_dir
    code, _, err = _run(capsys, task='glue/sst2', max_train_examples=size,
                        **flags)
    assert code == 0, err
  with open(os.path.join(model_dir, 'results.csv')) as f:
    rows = list(csv.DictReader(f))
  assert [(r['config'], r['seed']) for r in rows] == [
      ('lr0.0001_bs8_ep1_n10', '0'), ('lr0.0001_bs8_ep1_n10', '1'),
      ('lr0.0001_bs8_ep1_n6', '0'), ('lr0.0001_bs8_ep1_n6', '1')]
  records = {}
  for row in rows:
    with open(os.path.join(row['run_dir'], 'run.json')) as f:
      records[(row['config'], row['seed'])] = json.load(f)
  six = [records[('lr0.0001_bs8_ep1_n6', s)] for s in '01']
  assert [r['num_train'] for r in six] == [6, 6]
  assert [r['train_steps'] for r in six] == [1, 1]  # ceil(6 / 8)
  assert six[0]['train_subset'] == six[1]['train_subset']
  assert six[0]['train_subset']['size'] == 6
  assert six[0]['train_subset']['of'] == 16
  assert sum(six[0]['train_subset']['labels'].values()) == 6
  assert six[0]['settings']['max_train_examples'] == 6
  assert records[('lr0.0001_bs8_ep1_n10', '0')]['train_steps'] == 2
  with open(os.path.join(model_dir, 'results.md')) as f:
    table = f.read()
  assert '| lr0.0001_bs8_ep1_n6 |' in table
  assert '| lr0.0001_bs8_ep1_n10 |' in table


def test_several_sizes_and_min_steps_run_in_one_process(
    capsys, export_dir, data_dir, tmp_path):
  """A learning curve in one call: every size (and `all`) x seed, epochs
  raised so a small subset still trains --min_train_steps steps."""
  model_dir = str(tmp_path / 'runs')
  flags = _common(export_dir, data_dir, model_dir)
  flags['seeds'] = 1
  code, _, err = _run(capsys, task='glue/sst2', max_train_examples='6,all',
                      min_train_steps=3, **flags)
  assert code == 0, err
  with open(os.path.join(model_dir, 'results.csv')) as f:
    rows = {r['config']: r for r in csv.DictReader(f)}
  # 6 examples, batch 8: 1 step an epoch -> 3 epochs; 16: 2 steps -> 2.
  assert sorted(rows) == ['lr0.0001_bs8_ep2', 'lr0.0001_bs8_ep3_n6']
  with open(os.path.join(rows['lr0.0001_bs8_ep3_n6']['run_dir'],
                         'run.json')) as f:
    small = json.load(f)
  with open(os.path.join(rows['lr0.0001_bs8_ep2']['run_dir'],
                         'run.json')) as f:
    whole = json.load(f)
  assert (small['num_train'], small['train_steps'], small['epochs']) == (
      6, 3, 3)
  assert (whole['num_train'], whole['train_steps']) == (16, 4)


@pytest.mark.parametrize('task,size,message', [
    ('glue/sst2', 17, '--max_train_examples=17: the task has only 16 '
     'training examples'),
    ('glue/sst2', 0, '--max_train_examples=0: must be at least 1'),
    ('glue/sst2', 'ten', "--max_train_examples: expected whole numbers or "
     "all, got 'ten'"),
    ('squad/v1.1', 4, '--max_train_examples: squad/v1.1 is not a GLUE task')])
def test_max_train_examples_out_of_range_is_one_line(
    capsys, export_dir, data_dir, tmp_path, task, size, message):
  flags = _common(export_dir, data_dir, str(tmp_path / 'runs'))
  code, _, err = _run(capsys, task=task, max_train_examples=size, **flags)
  assert code == 2
  assert err.startswith(f'finetune: error: {message}')
  assert len(err.strip().splitlines()) == 1


def test_corrupt_cached_record_stops_then_is_skipped(capsys, export_dir,
                                                     data_dir, tmp_path):
  model_dir = str(tmp_path / 'runs')
  flags = dict(_common(export_dir, data_dir, model_dir), seeds=1)
  assert _run(capsys, task='glue/sst2', **flags)[0] == 0
  (cache,) = glob.glob(os.path.join(model_dir, 'data_cache', 'glue_sst2-*',
                                    'train*'))
  offset = faults.flip_record(cache, 5)
  code, _, err = _run(capsys, task='glue/sst2', overwrite=True, **flags)
  assert code == 1
  assert err == (f'finetune: error: corrupt record in {cache} at byte offset '
                 f'{offset} (data CRC mismatch), met after step 1; rerun with '
                 '--skip_corrupt_records to skip such records, or recopy (or '
                 'rebuild) the shard.\n')
  code, out, err = _run(capsys, task='glue/sst2', overwrite=True,
                        skip_corrupt_records=True, **flags)
  assert code == 0, err
  assert (f'sst2 seed 0: skipping 1 corrupt record(s) of {cache} at byte '
          f'offset {offset} (data CRC mismatch): training goes on from step 1 '
          'on a repaired copy, ') in out
  with open(os.path.join(model_dir, 'results.csv')) as f:
    assert [r['status'] for r in csv.DictReader(f)] == ['ok']
  assert not os.path.exists(os.path.join(model_dir, 'job.lock'))
