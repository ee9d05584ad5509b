"""Reading fine-tuning runs as seed scores by size; summary.json."""

import os

from official_ext import learning_curve
from official_ext.demo import results
from tests.official_ext.demo.demo_fixtures import write_runs


def test_scores_by_size_count_finished_runs_only(tmp_path):
  a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
  write_runs(a, [(2000, 80.0), (100, 60.0), (2000, 82.0)])
  write_runs(b, [(100, 61.5)])
  assert results.finished_runs(a) == [(2000, 80.0), (100, 60.0),
                                      (2000, 82.0)]
  assert results.scores([a, b]) == {2000: [80.0, 82.0], 100: [60.0, 61.5]}
  assert results.scores([str(tmp_path / 'missing')]) == {}


def test_summary_has_the_documented_layout():
  curves = learning_curve.points({
      'released': {100: [70.0, 72.0, 71.0], 2000: [86.0, 87.5, 86.9]},
      'random': {2000: [71.0, 70.5, 72.25]}})
  summary = results.summary(812.34, {'import': 12.0, 'data': 14.56},
                            curves, full_size=2000, source='x')
  assert summary == {
      'seconds': 812.3, 'stages': {'import': 12.0, 'data': 14.6},
      'encoders': {
          'released': {'n': {
              '100': {'median': 71.0, 'min': 70.0, 'max': 72.0, 'seeds': 3},
              'all': {'median': 86.9, 'min': 86.0, 'max': 87.5,
                      'seeds': 3}}},
          'random': {'n': {'all': {'median': 71.0, 'min': 70.5,
                                   'max': 72.25, 'seeds': 3}}}},
      'source': 'x'}
  assert results.size_name(2000, 2000) == 'all'
  assert results.size_name(300, 2000) == '300'
