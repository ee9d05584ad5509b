"""Per-row SplitMix64 uniforms: reference values, row independence, spread."""

import numpy as np
import tensorflow as tf

from official_ext.modeling.layers import row_random

_MASK = (1 << 64) - 1


def _mix64(z):
  z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
  z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
  return z ^ (z >> 31)


def _reference_uniforms(seed, n):
  """Plain-Python SplitMix64 stream of one row (Python ints, no TF)."""
  s0, s1 = (v & _MASK for v in seed)
  key = _mix64((s0 * 0xD1B54A32D192ED03 +
                _mix64((s1 + 0x9E3779B97F4A7C15) & _MASK)) & _MASK)
  out = []
  for i in range(1, n + 1):
    bits = _mix64((key + i * 0x9E3779B97F4A7C15) & _MASK) >> 40
    out.append((bits + 0.5) / 2**24)
  return np.array(out, np.float32)


def test_mix64_matches_the_published_splitmix64_first_output():
  # SplitMix64 seeded with 0: first output is 0xE220A8397B1DCDAF.
  got = row_random.mix64(tf.constant([0x9E3779B97F4A7C15], tf.uint64))
  assert int(got.numpy()[0]) == 0xE220A8397B1DCDAF


def test_rows_equal_the_plain_python_reference():
  seeds = [[7, 8], [-3, 2**40], [0, 0]]
  got = row_random.row_uniform(tf.constant(seeds, tf.int64), [2, 3]).numpy()
  for row, seed in zip(got, seeds):
    np.testing.assert_array_equal(row.ravel(), _reference_uniforms(seed, 6))


def test_a_row_depends_only_on_its_seed():
  seeds = tf.constant([[1, 5], [2, 5], [3, 5], [1, 6]], tf.int64)
  whole = row_random.row_uniform(seeds, [4, 10]).numpy()
  alone = row_random.row_uniform(seeds[2:3], [4, 10]).numpy()
  np.testing.assert_array_equal(whole[2], alone[0])
  reordered = row_random.row_uniform(tf.reverse(seeds, [0]), [4, 10]).numpy()
  np.testing.assert_array_equal(whole, reordered[::-1])
  # Each seed word matters.
  assert not np.array_equal(whole[0], whole[1])
  assert not np.array_equal(whole[0], whole[3])


def test_draws_are_uniform_and_rows_uncorrelated():
  seeds = tf.stack([tf.range(64, dtype=tf.int64), tf.fill([64], tf.constant(9, tf.int64))], 1)
  u = row_random.row_uniform(seeds, [4000]).numpy().astype(np.float64)
  assert 0.0 < u.min() and u.max() < 1.0
  assert abs(u.mean() - 0.5) < 0.002
  assert abs(u.var() - 1.0 / 12.0) < 0.001
  counts = np.histogram(u, bins=20, range=(0, 1))[0]
  expected = u.size / 20
  chi2 = ((counts - expected) ** 2 / expected).sum()
  assert chi2 < 43.8  # 99.9% quantile of chi-square with 19 dof
  corr = np.corrcoef(u)[np.triu_indices(64, 1)]
  assert np.abs(corr).max() < 0.07  # 4000 draws: sd of r is about 0.016


def test_tensor_row_shape_inside_a_graph():
  @tf.function
  def draw(seeds, shape):
    return row_random.row_uniform(seeds, shape)
  seeds = tf.constant([[4, 4], [5, 5]], tf.int64)
  got = draw(seeds, tf.constant([3, 2]))
  assert got.shape == (2, 3, 2)
  np.testing.assert_array_equal(got, row_random.row_uniform(seeds, [3, 2]))
