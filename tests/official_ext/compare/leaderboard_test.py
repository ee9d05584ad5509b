"""official_ext/compare/leaderboard.py on constructed arm records."""
import csv
import os

import pytest

from official_ext.compare import leaderboard


def _runs(task, metric, scores, lr=1e-4):
  return [{'task': task, 'config': f'lr{lr:g}', 'learning_rate': lr,
           'batch_size': 32, 'epochs': 3, 'seed': seed, 'status': 'ok',
           'metrics': {metric: score}, 'score': score}
          for seed, score in enumerate(scores)]


def _arms():
  # Per-seed averages (SST-2 + CoLA) / 2: random 45, 46.5, 46.5; mlm 45.5,
  # 46, 46.5 (differences +0.5, -0.5, 0); teams 60, 62, 61 (+15 or more).
  random = {'name': 'random', 'steps': 0, 'flops': None, 'seconds': None,
            'runs': (_runs('glue/sst2', 'accuracy', [70.0, 72.0, 71.0])
                     + _runs('glue/cola', 'mcc', [20.0, 21.0, 22.0]))}
  mlm = {'name': 'mlm', 'steps': 1990, 'flops': 2.2e12, 'seconds': 1800.0,
         'pretrain_metrics': {'mlm_accuracy': 0.41},
         'runs': (_runs('glue/sst2', 'accuracy', [71.0, 70.0, 72.0])
                  + _runs('glue/cola', 'mcc', [20.0, 22.0, 21.0]))}
  teams = {'name': 'teams', 'steps': 1000, 'flops': 2.18e12,
           'seconds': 3723.0,
           'pretrain_metrics': {'mlm_accuracy': 0.35, 'rtd_auc': 0.9},
           # A worse learning rate: not the reported configuration.
           'runs': (_runs('glue/sst2', 'accuracy', [80.0, 82.0, 81.0])
                    + _runs('glue/sst2', 'accuracy', [50.0, 50.0, 50.0],
                            lr=1e-3)
                    + _runs('glue/cola', 'mcc', [40.0, 42.0, 41.0])
                    + _runs('glue/wnli', 'accuracy', [56.3]))}
  return [random, mlm, teams]


def test_rows_and_averages():
  board = leaderboard.build(_arms(), baseline='random', num_resamples=500)
  assert board['tasks'] == ['glue/cola', 'glue/sst2', 'glue/wnli']  # GLUE order
  assert board['metrics'] == ['mlm_accuracy', 'rtd_auc']
  rows = {r['name']: r for r in board['rows']}
  teams = rows['teams']
  assert teams['tasks']['glue/sst2'] == {
      'score': 81.0, 'config': 'lr0.0001', 'min': 80.0, 'max': 82.0,
      'seeds': {0: 80.0, 1: 82.0, 2: 81.0}}
  # WNLI is left out of the average: (81 + 41) / 2.
  assert teams['average'] == 61.0
  assert teams['average_seeds'] == {0: 60.0, 1: 62.0, 2: 61.0}
  assert rows['random']['average'] == 46.0
  assert rows['mlm']['average'] == 46.0


def test_significance_notes():
  board = leaderboard.build(_arms(), baseline='random', num_resamples=500)
  assert set(board['versus']) == {'mlm', 'teams'}
  mlm = board['versus']['mlm'][leaderboard.AVERAGE]
  assert mlm.difference == 0.0 and not mlm.significant
  assert mlm.method == 'seeds (paired)'
  teams = board['versus']['teams']
  assert teams[leaderboard.AVERAGE].difference == 15.0
  assert teams[leaderboard.AVERAGE].significant
  assert teams['glue/sst2'].difference == 10.0
  assert teams['glue/wnli'] is None  # the baseline has no WNLI runs


def test_example_scores_preferred():
  arms = _arms()
  # 50 dev examples, two seeds: teams right on all (100), random on half.
  arms[2]['example_scores'] = {'glue/sst2': {0: [100.0] * 50,
                                             1: [100.0] * 50}}
  arms[0]['example_scores'] = {'glue/sst2': {
      0: [100.0] * 25 + [0.0] * 25, 1: [100.0] * 25 + [0.0] * 25}}
  note = leaderboard.build(arms, baseline='random', num_resamples=500)[
      'versus']['teams']['glue/sst2']
  assert (note.difference, note.samples, note.method) == (
      50.0, 50, 'dev examples')
  assert note.significant


def test_markdown():
  text = leaderboard.markdown(leaderboard.build(_arms(), baseline='random',
                                                num_resamples=500))
  lines = text.splitlines()
  assert lines[0] == ('| Arm | Steps | Train FLOPs | Wall | mlm_accuracy | '
                      'rtd_auc | glue/cola | glue/sst2 | glue/wnli | Avg | '
                      'vs random (avg) |')
  assert lines[2] == ('| random | 0 | – | – | – | – | 21.0 (20.0–22.0, n=3) '
                      '| 71.0 (70.0–72.0, n=3) | – | 46.0 | baseline |')
  assert lines[4].startswith(
      '| teams | 1000 | 2.18e+12 | 1:02:03 | 0.350 | 0.900 | 41.0 '
      '(40.0–42.0, n=3) | 81.0 (80.0–82.0, n=3) | 56.3 (56.3–56.3, n=1) | '
      '61.0 | +15.0 [')
  assert lines[4].endswith('significant (95% CI, 3 seeds (paired)) |')
  assert '| mlm | average | +0.0 [' in text
  assert 'within noise | 3 seeds (paired) |' in text


def test_files(tmp_path):
  out = os.path.join(str(tmp_path), 'board')
  paths = leaderboard.write_leaderboard(_arms(), out, baseline='random',
                                        num_resamples=200)
  assert sorted(os.listdir(out)) == sorted(leaderboard.FILES.values())
  with open(paths['csv']) as f:
    rows = {r['arm']: r for r in csv.DictReader(f)}
  assert rows['teams']['glue/sst2 median'] == '81.0'
  assert rows['teams']['glue/sst2 seeds'] == '3'
  assert rows['teams']['average'] == '61.0'
  assert rows['teams']['significant'] == 'True'
  assert rows['teams']['flops'] == '2180000000000.0'
  assert rows['mlm']['significant'] == 'False'
  assert rows['random']['vs_baseline'] == ''
  for kind in ('flops_plot', 'spread_plot'):
    with open(paths[kind], 'rb') as f:
      assert f.read(8) == b'\x89PNG\r\n\x1a\n'


@pytest.mark.parametrize('mutate,message', [
    (lambda arms: arms[1].update(name='random'),
     "two arms are named 'random'"),
    (lambda arms: arms[1].update(runs=[]), "arm 'mlm': no fine-tuning runs"),
])
def test_bad_arms(mutate, message):
  arms = _arms()
  mutate(arms)
  with pytest.raises(leaderboard.LeaderboardError, match=message):
    leaderboard.build(arms)


def test_unknown_baseline():
  with pytest.raises(leaderboard.LeaderboardError,
                     match="baseline arm 'bert' is not one of"):
    leaderboard.build(_arms(), baseline='bert')
  with pytest.raises(leaderboard.LeaderboardError, match='no arms'):
    leaderboard.build([])


def test_single_task_average_takes_the_tasks_verdict():
  arms = _arms()
  for arm in arms:  # SST-2 only: the average is the SST-2 score
    arm['runs'] = [r for r in arm['runs'] if r['task'] == 'glue/sst2']
  arms[2]['example_scores'] = {'glue/sst2': {0: [100.0] * 50,
                                             1: [100.0] * 50}}
  arms[0]['example_scores'] = {'glue/sst2': {
      0: [100.0] * 25 + [0.0] * 25, 1: [100.0] * 25 + [0.0] * 25}}
  versus = leaderboard.build(arms, baseline='random', num_resamples=500)[
      'versus']['teams']
  assert versus[leaderboard.AVERAGE] == versus['glue/sst2']
  assert versus[leaderboard.AVERAGE].method == 'dev examples'
