"""Candidate sampler: hand-computed cases and invariants."""

import numpy as np
import pytest
import tensorflow as tf

from official_ext.modeling.layers import candidate_sampler as cs


def _logits():
  # One position, vocab 6: token 2 is the original and the most likely.
  return tf.constant([[[1.0, 3.0, 9.0, 2.0, 5.0, 0.5]]])


def test_gumbel_from_uniform_hand_values():
  u = tf.constant([0.5, np.exp(-1.0)], tf.float32)
  # -log(-log(0.5)) = 0.366513; -log(-log(e^-1)) = -log(1) = 0.
  np.testing.assert_allclose(cs.gumbel_from_uniform(u), [0.366513, 0.0],
                             atol=1e-5)


def test_hardest_returns_top_k_non_original_in_order():
  got = cs.sample_candidates(_logits(), tf.constant([[2]]), 3, 'hardest')
  np.testing.assert_array_equal(got, [[[4, 1, 3]]])


def test_sampled_with_flat_noise_equals_hardest():
  flat = tf.fill([1, 1, 6], float(np.exp(-1.0)))  # Gumbel noise 0 everywhere
  got = cs.sample_candidates(_logits(), tf.constant([[2]]), 3, 'sampled',
                             uniform=flat)
  np.testing.assert_array_equal(got, [[[4, 1, 3]]])


def test_sampled_follows_the_noise():
  # Large noise on token 5 (u near 1) lifts it above everything but 2.
  u = np.full([1, 1, 6], np.exp(-1.0), np.float32)
  u[0, 0, 5] = 1.0 - 1e-7
  got = cs.sample_candidates(_logits(), tf.constant([[2]]), 2, 'sampled',
                             uniform=tf.constant(u))
  np.testing.assert_array_equal(got, [[[5, 4]]])


def test_never_original_never_duplicate_over_many_draws():
  rng = np.random.default_rng(0)
  logits = tf.constant(rng.normal(scale=4.0, size=(8, 10, 30)), tf.float32)
  original = tf.constant(rng.integers(0, 30, size=(8, 10)), tf.int32)
  for seed in range(20):
    u = cs.draw_uniform([8, 10, 30], seed=tf.constant([seed, 1]))
    got = cs.sample_candidates(logits, original, 29, 'sampled', u).numpy()
    assert not (got == original.numpy()[..., None]).any()
    sorted_rows = np.sort(got, axis=-1)
    assert (np.diff(sorted_rows, axis=-1) > 0).all()  # distinct


def test_sampled_frequencies_follow_softmax():
  # Without replacement, the first candidate is a softmax draw over the
  # non-original tokens: probabilities exp(l)/sum over {0,1,3}.
  logits = tf.constant([[[0.0, 1.0, 10.0, 2.0]]])
  u = cs.draw_uniform([20000, 1, 4], seed=tf.constant([3, 4]))
  got = cs.sample_candidates(tf.tile(logits, [20000, 1, 1]),
                             tf.fill([20000, 1], 2), 1, 'sampled', u).numpy()
  freq = np.bincount(got.ravel(), minlength=4) / 20000
  expected = np.exp([0.0, 1.0, 0.0, 2.0]) * [1, 1, 0, 1]
  expected /= expected.sum()
  np.testing.assert_allclose(freq, expected, atol=0.015)


def test_replacement_can_equal_original_unless_disallowed():
  logits = tf.constant([[[0.0, 50.0, 0.0]]])
  flat = tf.fill([1, 1, 3], float(np.exp(-1.0)))
  assert int(cs.sample_replacements(logits, flat)[0, 0]) == 1
  got = cs.sample_replacements(logits, flat, disallow_ids=tf.constant([[1]]))
  assert int(got[0, 0]) != 1


def test_stateless_draws_repeat_for_the_same_seed():
  a = cs.draw_uniform([2, 3, 5], seed=tf.constant([7, 8]))
  b = cs.draw_uniform([2, 3, 5], seed=tf.constant([7, 8]))
  c = cs.draw_uniform([2, 3, 5], seed=tf.constant([7, 9]))
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


@pytest.mark.parametrize('k,strategy,match', [
    (0, 'sampled', 'num_negatives=0'),
    (6, 'hardest', 'num_negatives=6'),
    (2, 'nearest', "'nearest' is not one of"),
])
def test_bad_settings_name_the_value(k, strategy, match):
  u = tf.fill([1, 1, 6], 0.5)
  with pytest.raises(ValueError, match=match):
    cs.sample_candidates(_logits(), tf.constant([[2]]), k, strategy, u)


def test_sampled_without_draws_is_an_error():
  with pytest.raises(ValueError, match='needs uniform draws'):
    cs.sample_candidates(_logits(), tf.constant([[2]]), 2, 'sampled')
