"""The README's main job: stage bookkeeping, errors, the comparison table."""

import csv
import json
import os

import pytest

from official_ext import demo


def _write_finetune(out, kind, scores):
  folder = os.path.join(out, 'finetune', kind)
  os.makedirs(folder)
  mean = sum(scores) / len(scores)
  std = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
  summary = {'tasks': {'glue/sst2': {
      'median': {'score': sorted(scores)[len(scores) // 2]},
      'configs': [{'ok': f'{len(scores)}/{len(scores)}', 'mean': mean,
                   'std': std, 'min': min(scores), 'max': max(scores)}]}}}
  with open(os.path.join(folder, 'summary.json'), 'w') as f:
    json.dump(summary, f)
  with open(os.path.join(folder, 'results.csv'), 'w', newline='') as f:
    writer = csv.DictWriter(f, ['seed', 'score', 'status'])
    writer.writeheader()
    for seed, score in enumerate(scores):
      writer.writerow({'seed': seed, 'score': score, 'status': 'ok'})
    writer.writerow({'seed': 9, 'score': 0.0, 'status': 'diverged'})


def test_compare_table_and_plot(tmp_path):
  out = str(tmp_path)
  _write_finetune(out, 'pretrained', [74.0, 76.0, 75.0])
  _write_finetune(out, 'random', [70.0, 69.0, 71.0])
  table, plot = demo.compare(out)
  lines = table.splitlines()
  assert lines[0].startswith('| SST-2 sample, dev accuracy (%) | seeds |')
  assert lines[2] == ('| pretrained encoder | 3/3 | 75.0 | 75.0 ± 0.8 | '
                      '74.0 | 76.0 |')
  assert lines[3] == '| random encoder | 3/3 | 70.0 | 70.0 ± 0.8 | 69.0 | 71.0 |'
  assert os.path.getsize(plot) > 1000
  # Only the runs that finished count as seed scores.
  assert demo._seed_scores(os.path.join(out, 'finetune', 'random')) == [  # pylint: disable=protected-access
      70.0, 69.0, 71.0]


@pytest.mark.parametrize('steps, interval', [(50, 100), (1500, 1500),
                                             (6000, 6000), (6050, 6000)])
def test_intervals_are_multiples_of_the_log_interval(steps, interval):
  assert demo._round(steps) == interval  # pylint: disable=protected-access


def test_a_failing_stage_names_itself_and_its_log(tmp_path):
  with pytest.raises(demo.StageError) as e:
    demo.run_stage('broken', ['official_ext.no_such_module'], str(tmp_path))
  message = str(e.value)
  assert "stage 'broken' failed (exit 1)" in message
  assert os.path.join(str(tmp_path), 'broken.log') in message
  assert 'No module named official_ext.no_such_module' in message
