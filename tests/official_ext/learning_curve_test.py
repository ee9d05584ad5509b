"""Learning-curve points, the markdown table and the band plot."""

import pytest

from official_ext import learning_curve as lc


def _curves():
  return lc.points({
      'pretrained': {300: [64.0, 66.0, 65.0], 100: [60.0, 58.0, 59.0],
                     2000: [75.0, 74.0, 73.0]},
      'random': {100: [55.0, 58.5, 50.0], 300: [61.0, 62.0, 60.0],
                 2000: [73.5, 72.0, 71.0]}})


def test_points_are_sorted_by_size_with_median_and_range():
  curves = _curves()
  assert [p.size for p in curves['pretrained']] == [100, 300, 2000]
  assert curves['random'][0] == lc.Point(100, 55.0, 50.0, 58.5, 3)
  assert curves['pretrained'][2] == lc.Point(2000, 74.0, 73.0, 75.0, 3)
  assert lc.Point.of(5, [1.0, 4.0]).median == 2.5  # even count: mean of two
  with pytest.raises(ValueError, match='no finished runs at size 5'):
    lc.Point.of(5, [])


def test_overlap_is_inclusive():
  assert lc.overlap(lc.Point(1, 2, 1, 3, 2), lc.Point(1, 4, 3, 5, 2))
  assert not lc.overlap(lc.Point(1, 2, 1, 2.9, 2), lc.Point(1, 4, 3, 5, 2))
  assert lc.overlap(lc.Point(1, 4, 3, 5, 2), lc.Point(1, 0, -1, 9, 2))


def test_table_has_gap_and_overlap_per_size():
  lines = lc.table(_curves(), 'SST-2 dev accuracy (%)', full_size=2000
                   ).splitlines()
  assert lines[0] == ('| labelled examples | pretrained median [min–max] | '
                      'random median [min–max] | pretrained − random |')
  assert lines[1] == '|---|---|---|---|'
  assert lines[2] == ('| 100 | 59.0 [58.0–60.0] | 55.0 [50.0–58.5] | '
                      '+4.0, within noise |')
  assert lines[3] == ('| 300 | 65.0 [64.0–66.0] | 61.0 [60.0–62.0] | '
                      '+4.0, outside noise |')
  assert lines[4] == ('| 2,000 (all) | 74.0 [73.0–75.0] | 72.0 [71.0–73.5] '
                      '| +2.0, within noise |')
  assert lines[6] == ('SST-2 dev accuracy (%); median over 3 seeds, '
                      '[min–max] over seeds; a gap is within noise when the '
                      'two seed ranges overlap.')


def test_table_compares_the_pairs_asked_for():
  curves = lc.points({'released': {100: [80.0, 82.0, 81.0]},
                      'continued': {100: [79.0, 80.0, 78.0]},
                      'random': {100: [60.0, 61.0, 62.0]}})
  lines = lc.table(curves, 'acc', pairs=[('continued', 'released'),
                                         ('released', 'random')]
                   ).splitlines()
  assert lines[0].endswith('| continued − released | released − random |')
  assert lines[1] == '|---|---|---|---|---|---|'
  assert lines[2].endswith('| −2.0, within noise | +20.0, outside noise |')


def test_one_seed_gives_no_verdict():
  assert lc.gap(lc.Point(100, 80.0, 80.0, 80.0, 1),
                lc.Point(100, 70.0, 69.0, 71.0, 3)) == (
                    '+10.0, no noise estimate (1 seed)')


def test_plot_writes_a_png(tmp_path):
  path = str(tmp_path / 'curve.png')
  lc.plot(_curves(), path, 'accuracy (%)', 'title')
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_a_size_one_encoder_lacks_is_named_not_a_crash():
  """All seeds of random at 300 failed: that row is left out and said."""
  curves = lc.points({'pretrained': {100: [60.0], 300: [65.0]},
                      'random': {100: [55.0]}})
  lines = lc.table(curves, 'acc', full_size=300).splitlines()
  assert [l.split(' |')[0] for l in lines[2:-3]] == ['| 100']
  assert lines[-2] == 'No finished run of random at 300 examples.'
