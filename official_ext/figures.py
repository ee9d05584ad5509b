"""Writing matplotlib figures anywhere `tf.io.gfile` reaches (gs:// too)."""

import io

import tensorflow as tf


def pyplot():
  """matplotlib's pyplot on the Agg backend (no display needed)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def save_png(figure, path: str, dpi: int = 100) -> None:
  """Writes `figure` as PNG to `path` and closes it (matplotlib itself only
  writes local files, so the bytes go through a gfile handle)."""
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  image = io.BytesIO()
  figure.savefig(image, format='png', dpi=dpi)
  pyplot.close(figure)
  with tf.io.gfile.GFile(path, 'wb') as f:
    f.write(image.getvalue())
