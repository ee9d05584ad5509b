"""bench/linear_probe.py: the probe learns a linear signal and nothing from
noise."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'bench'))
import linear_probe  # pylint: disable=g-import-not-at-top,wrong-import-position


def _data(rng, n, signal):
  labels = rng.randint(0, 2, n)
  x = rng.normal(size=(n, 8))
  x[:, 0] += signal * (2 * labels - 1)
  return x, labels


def test_probe_reads_a_linear_signal_and_not_noise():
  rng = np.random.RandomState(1)
  train, dev = _data(rng, 400, 3.0), _data(rng, 400, 3.0)
  assert linear_probe.probe(*train, *dev, size=300) > 95.0
  train, dev = _data(rng, 400, 0.0), _data(rng, 400, 0.0)
  assert 40.0 < linear_probe.probe(*train, *dev, size=300) < 60.0


def test_sst2_sample_is_read_with_its_labels():
  sentences, labels = linear_probe._sst2('dev')  # pylint: disable=protected-access
  assert len(sentences) == len(labels) == 872
  assert sorted(set(labels.tolist())) == [0, 1] and labels.sum() == 472
