"""Figures written through tf.io.gfile."""

import matplotlib
matplotlib.use('Agg')
from matplotlib import pyplot  # pylint: disable=g-import-not-at-top,wrong-import-position

from official_ext import figures  # pylint: disable=wrong-import-position


def test_save_png_writes_the_figure_and_closes_it(tmp_path):
  figure, axes = pyplot.subplots(figsize=(2, 1))
  axes.plot([0, 1], [1, 0])
  path = str(tmp_path / 'sub' / 'figure.png')
  tmp_path.joinpath('sub').mkdir()
  figures.save_png(figure, path, dpi=50)
  with open(path, 'rb') as f:
    data = f.read()
  assert data[:8] == b'\x89PNG\r\n\x1a\n'
  # 2 x 1 inches at 50 dpi: the IHDR chunk holds width 100, height 50.
  assert int.from_bytes(data[16:20], 'big') == 100
  assert int.from_bytes(data[20:24], 'big') == 50
  assert not pyplot.fignum_exists(figure.number)
