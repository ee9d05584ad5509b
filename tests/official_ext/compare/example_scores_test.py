"""official_ext/compare/example_scores.py: predictions.tsv -> paired rows;
the bootstrap over dev examples recomputes the task metric (constructed
cases: equal arms within noise, a clear gap significant)."""
import os

import numpy as np
import pytest

from official_ext.compare import example_scores
from official_ext.compare import leaderboard
from official_ext.compare import significance


def _write_run(root, task, seed, labels, predictions, ids=None):
  run_dir = os.path.join(root, task.replace('/', '_'), f'seed{seed}')
  os.makedirs(run_dir)
  ids = ids or [str(i) for i in range(len(labels))]
  with open(os.path.join(run_dir, 'predictions.tsv'), 'w') as f:
    f.write('example_id\tlabel\tprediction\n')
    for i, label, pred in zip(ids, labels, predictions):
      f.write(f'{i}\t{label}\t{pred}\n')
  return ({'task': task, 'seed': seed, 'status': 'ok'}, run_dir)


def test_read_and_gather_sorted_by_example_id(tmp_path):
  # Ids out of order ('10' after '2' numerically): rows sort by id.
  runs = [_write_run(str(tmp_path), 'glue/sst2', 0, ['1', '0', '1'],
                     ['1', '1', '0'], ids=['10', '2', '0']),
          _write_run(str(tmp_path / 'b'), 'glue/sst2', 1, ['1', '0', '1'],
                     ['0', '0', '1'], ids=['10', '2', '0']),
          ({'task': 'glue/sst2', 'seed': 2, 'status': 'failed'}, 'nowhere')]
  got = example_scores.arm_predictions(runs)
  assert got == {'glue/sst2': {'ids': ['0', '2', '10'],
                               'labels': [1.0, 0.0, 1.0],
                               'seeds': {0: [0.0, 1.0, 1.0],
                                         1: [1.0, 0.0, 0.0]}}}


def test_regression_task_reads_scores(tmp_path):
  run = _write_run(str(tmp_path), 'glue/stsb', 0, ['4.5000', '1.0000'],
                   ['3.2500', '0.5000'])
  got = example_scores.arm_predictions([run])['glue/stsb']
  assert got['labels'] == [4.5, 1.0] and got['seeds'][0] == [3.25, 0.5]


def test_accuracy_rows_are_seed_averaged_correctness():
  mine = {'ids': ['0', '1'], 'labels': [1.0, 0.0],
          'seeds': {0: [1.0, 0.0], 1: [0.0, 0.0], 5: [1.0, 1.0]}}
  theirs = {'ids': ['0', '1'], 'labels': [1.0, 0.0],
            'seeds': {0: [0.0, 1.0], 1: [0.0, 1.0]}}
  a, b, statistic = example_scores.bootstrap_rows('glue/sst2', mine, theirs)
  # Seeds 0 and 1 only (5 is not the baseline's).
  np.testing.assert_allclose(a, [50.0, 100.0])
  np.testing.assert_allclose(b, [0.0, 0.0])
  assert statistic is None
  other = dict(theirs, ids=['0', '2'])
  assert example_scores.bootstrap_rows('glue/sst2', mine, other) is None


def test_mcc_statistic_recomputes_the_metric():
  # CoLA: MCC. Labels 1,1,0,0; seed 0 perfect (MCC 1), seed 1 inverted
  # (MCC -1): seed-averaged score 0 in percent.
  statistic = example_scores.task_statistic('glue/cola', 2)
  rows = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=float)
  assert statistic(rows) == pytest.approx(0.0)
  assert example_scores.task_statistic('glue/cola', 1)(
      rows[:, :2]) == pytest.approx(100.0)


def _cola_entry(labels, correct):
  """Predictions right on the examples `correct` marks, for 2 seeds."""
  preds = [l if c else 1 - l for l, c in zip(labels, correct)]
  return {'ids': [str(i) for i in range(len(labels))],
          'labels': [float(l) for l in labels],
          'seeds': {0: [float(p) for p in preds], 1: [float(p) for p in preds]}}


LABELS = [1, 0] * 100


def test_metric_bootstrap_equal_arms_within_noise():
  # Both arms right on 160 of 200 examples, on different ones.
  a = _cola_entry(LABELS, [i < 160 for i in range(200)])
  b = _cola_entry(LABELS, [i >= 40 for i in range(200)])
  rows = example_scores.bootstrap_rows('glue/cola', a, b)
  result = significance.paired_bootstrap(rows[0], rows[1],
                                         statistic=rows[2],
                                         num_resamples=300)
  # MCC of 80% balanced accuracy = 0.6 for both: difference 0.
  assert result.difference == pytest.approx(0.0, abs=1e-9)
  assert result.low < 0 < result.high
  assert not result.significant


def test_metric_bootstrap_clear_gap_significant():
  a = _cola_entry(LABELS, [i < 190 for i in range(200)])   # MCC ~0.90
  b = _cola_entry(LABELS, [i < 120 for i in range(200)])   # MCC ~0.21
  rows = example_scores.bootstrap_rows('glue/cola', a, b)
  result = significance.paired_bootstrap(rows[0], rows[1],
                                         statistic=rows[2],
                                         num_resamples=300)
  assert result.difference > 50
  assert result.low > 0 and result.significant


def test_leaderboard_uses_predictions_over_examples():
  def arm(name, entry, score):
    runs = [{'task': 'glue/cola', 'config': 'c', 'learning_rate': 1e-3,
             'batch_size': 32, 'epochs': 2, 'seed': s, 'status': 'ok',
             'metrics': {'mcc': score}, 'score': score} for s in (0, 1)]
    return {'name': name, 'runs': runs,
            'example_predictions': {'glue/cola': entry}}
  board = leaderboard.build(
      [arm('a', _cola_entry(LABELS, [i < 190 for i in range(200)]), 90.0),
       arm('b', _cola_entry(LABELS, [i < 120 for i in range(200)]), 21.0)],
      baseline='b', num_resamples=200)
  note = board['versus']['a']['glue/cola']
  assert note.method == 'dev examples' and note.samples == 200
  assert note.significant
