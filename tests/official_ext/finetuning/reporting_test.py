"""Median over seeds, best over grid, GLUE average, CSV/markdown/PNG."""

import csv
import json
import os

import pytest

from official_ext import output_dir
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import grid
from official_ext.finetuning import reporting
from official_ext.finetuning import runner
from official_ext.finetuning import task_names


def _record(model_dir, task_name, lr, seed, metrics, status='ok'):
  task = task_names.parse_task(task_name)
  config = grid.config_name(lr, 32, 3)
  run_dir = os.path.join(model_dir, task.slug, config, f'seed{seed}')
  record = {'task': task_name, 'config': config, 'learning_rate': lr,
            'batch_size': 32, 'epochs': 3, 'seed': seed, 'status': status,
            'metrics': metrics if status == 'ok' else None,
            'score': (glue_tasks.task_score(task, metrics)
                      if status == 'ok' else None),
            'train_steps': 10, 'seconds': 1.0, 'run_dir': run_dir}
  os.makedirs(run_dir)
  output_dir.write_json(os.path.join(run_dir, runner.RUN_FILE), record)


@pytest.fixture
def model_dir(tmp_path):
  d = str(tmp_path)
  # CoLA: two learning rates, three seeds each (+ one diverged run).
  for seed, mcc in enumerate([30.0, 50.0, 40.0]):
    _record(d, 'glue/cola', 1e-4, seed, {'mcc': mcc})
  for seed, mcc in enumerate([45.0, 44.0, 60.0]):
    _record(d, 'glue/cola', 3e-5, seed, {'mcc': mcc})
  _record(d, 'glue/cola', 3e-5, 3, None, status='diverged')
  for seed, (p, s) in enumerate([(80.0, 78.0), (84.0, 82.0)]):
    _record(d, 'glue/stsb', 1e-4, seed, {'pearson': p, 'spearman': s})
  for seed, (m, mm) in enumerate([(70.0, 72.0), (74.0, 71.0), (73.0, 75.0)]):
    _record(d, 'glue/mnli', 1e-4, seed, {'accuracy_m': m, 'accuracy_mm': mm})
  _record(d, 'glue/wnli', 1e-4, 0, {'accuracy': 56.3})
  _record(d, 'squad/v1.1', 1e-4, 0, {'exact_match': 70.0, 'f1': 80.0})
  return d


def test_median_and_best_protocols(model_dir):
  summary = reporting.summarise(reporting.collect(model_dir))
  assert list(summary) == ['glue/cola', 'glue/stsb', 'glue/mnli', 'glue/wnli',
                           'squad/v1.1']
  cola = summary['glue/cola']
  # Medians: lr 1e-4 -> 40, lr 3e-5 -> 45 (the diverged run is left out).
  assert {c['config']: c['score'] for c in cola['configs']} == {
      'lr0.0001_bs32_ep3': 40.0, 'lr3e-5_bs32_ep3': 45.0}
  assert cola['median']['config'] == 'lr3e-5_bs32_ep3'
  assert cola['configs'][1]['ok'] == 3 and cola['configs'][1]['runs'] == 4
  assert cola['best'] == {'config': 'lr3e-5_bs32_ep3', 'seed': 2,
                          'metrics': {'mcc': 60.0}, 'score': 60.0,
                          'paper_value': 60.0}
  stsb = summary['glue/stsb']
  assert stsb['median']['metrics'] == {'pearson': 82.0, 'spearman': 80.0}
  assert stsb['median']['score'] == 81.0 and stsb['best']['score'] == 83.0
  mnli = summary['glue/mnli']
  # Per-metric medians (m 73, mm 72); the score is the median run score.
  assert mnli['median']['metrics'] == {'accuracy_m': 73.0,
                                       'accuracy_mm': 72.0}
  assert mnli['median']['score'] == 72.5
  assert mnli['best']['metrics'] == {'accuracy_m': 73.0, 'accuracy_mm': 75.0}
  # GLUE average: CoLA, STS-B, MNLI (WNLI excluded).
  average, used = reporting.glue_average(summary, 'median')
  assert used == ['glue/cola', 'glue/stsb', 'glue/mnli']
  assert average == pytest.approx((45.0 + 81.0 + 72.5) / 3)
  paper, _ = reporting.glue_average(summary, 'best', 'paper_value')
  assert paper == pytest.approx((60.0 + 82.0 + 73.0) / 3)


def test_report_files(model_dir):
  paths = reporting.write_report(model_dir)
  with open(paths['csv']) as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == 14
  assert list(rows[0])[:8] == ['task', 'config', 'learning_rate',
                               'batch_size', 'epochs', 'seed', 'status',
                               'score']
  assert {'mcc', 'pearson', 'spearman', 'accuracy_m', 'accuracy_mm',
          'accuracy', 'exact_match', 'f1'} <= set(rows[0])
  assert rows[0]['task'] == 'glue/cola' and rows[0]['mcc'] == '30.0000'
  assert [r['status'] for r in rows].count('diverged') == 1
  with open(paths['markdown']) as f:
    table = f.read()
  lines = table.splitlines()
  assert lines[0] == ('| Protocol | CoLA MCC | STS-B P/S | MNLI m/mm | WNLI '
                      'Acc | SQuAD 1.1 EM/F1 | GLUE avg | paper avg |')
  assert lines[2] == ('| median over seeds (TEAMS) | 45.0 | 82.0/80.0 | '
                      '73.0/72.0 | 56.3 | 70.0/80.0 | 66.2 | 66.0 |')
  assert lines[3].startswith('| best over grid (olfmlm) | 60.0 | 84.0/82.0 |')
  assert '(WNLI excluded)' in table
  assert '| glue/cola | lr3e-5_bs32_ep3 | 3e-05 | 32 | 3 | 3/4 | 45.0 |' \
      in table
  with open(paths['plot'], 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  with open(paths['summary']) as f:
    summary = json.load(f)
  assert summary['glue_average']['median']['tasks'] == [
      'glue/cola', 'glue/stsb', 'glue/mnli']


def test_empty_model_dir(tmp_path):
  with pytest.raises(reporting.ReportError, match='no run.json found'):
    reporting.write_report(str(tmp_path))
