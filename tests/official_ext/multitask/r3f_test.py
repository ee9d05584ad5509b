"""Symmetric KL by hand, R3F loss, noise ranges and reproducibility."""

import math

import numpy as np
import pytest
import tensorflow as tf

from official_ext.multitask import r3f

P = [[0.0, 0.0]]                          # softmax (0.5, 0.5)
Q = [[math.log(0.9), math.log(0.1)]]      # softmax (0.9, 0.1)
# KL(p||q) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = ln(5/3) = 0.510826
# KL(q||p) = 0.9 ln 1.8 + 0.1 ln 0.2 = 0.529009 - 0.160944 = 0.368064
# sum = 0.878890 (= 0.8 ln 3).
SYM = 0.878890


def test_symmetric_kl_by_hand():
  assert float(r3f.symmetric_kl(P, Q)) == pytest.approx(SYM, rel=1e-5)
  assert float(r3f.symmetric_kl(Q, P)) == pytest.approx(SYM, rel=1e-5)
  assert float(r3f.symmetric_kl(Q, Q)) == pytest.approx(0.0, abs=1e-7)
  # Logits shifted by a constant give the same distribution.
  assert float(r3f.symmetric_kl([[5.0, 5.0]], Q)) == pytest.approx(
      SYM, rel=1e-5)


def test_batch_mean_and_dtype():
  same = [[1.0, 2.0]]
  out = r3f.symmetric_kl(P + same, Q + same)     # (0.878890 + 0) / 2
  assert out.dtype == tf.float32 and out.shape == ()
  assert float(out) == pytest.approx(SYM / 2, rel=1e-5)
  half = r3f.symmetric_kl(tf.constant(P, tf.float16), tf.constant(Q, tf.float16))
  assert half.dtype == tf.float32
  assert float(half) == pytest.approx(SYM, rel=1e-3)


def test_extreme_logits_stay_finite():
  out = r3f.symmetric_kl([[1000.0, -1000.0, 0.0]], [[-1000.0, 1000.0, 0.0]])
  assert np.isfinite(float(out))
  # p ~ (1, 0, 0), q ~ (0, 1, 0): (1)(2000) + (1)(2000) = 4000.
  assert float(out) == pytest.approx(4000.0, rel=1e-4)


def test_r3f_loss():
  out = r3f.r3f_loss(tf.constant(0.25), P, Q)        # lambda 1.0
  assert float(out) == pytest.approx(0.25 + SYM, rel=1e-5)
  out = r3f.r3f_loss(0.25, P, Q, lam=0.5)
  assert float(out) == pytest.approx(0.25 + 0.5 * SYM, rel=1e-5)
  with pytest.raises(ValueError, match='lambda must be >= 0'):
    r3f.r3f_loss(0.25, P, Q, lam=-1.0)


def test_regression_head_uses_squared_difference():
  # Outputs (1.0, 2.0) vs (1.5, 2.0): ((0.5)^2 + 0) / 2 = 0.125.
  clean, noisy = [[1.0], [2.0]], [[1.5], [2.0]]
  assert float(r3f.r3f_penalty(clean, noisy)) == pytest.approx(0.125)
  assert float(r3f.r3f_loss(1.0, clean, noisy)) == pytest.approx(1.125)
  with pytest.raises(ValueError, match='last axis of size 1'):
    r3f.symmetric_kl(clean, noisy)


def test_gradient_flows_to_both_passes():
  clean = tf.Variable(P)
  noisy = tf.Variable(Q)
  with tf.GradientTape() as tape:
    loss = r3f.r3f_loss(0.0, clean, noisy)
  g_clean, g_noisy = tape.gradient(loss, [clean, noisy])
  assert float(tf.norm(g_clean)) > 0 and float(tf.norm(g_noisy)) > 0


@pytest.mark.parametrize('kind', ['uniform', 'normal'])
def test_noise_scale_and_reproducibility(kind):
  z = r3f.embedding_noise([64, 32], kind=kind, eps=1e-5, seed=7)
  assert z.shape == (64, 32) and z.dtype == tf.float32
  np.testing.assert_array_equal(
      z.numpy(), r3f.embedding_noise([64, 32], kind, 1e-5, seed=7).numpy())
  assert not np.array_equal(
      z.numpy(), r3f.embedding_noise([64, 32], kind, 1e-5, seed=8).numpy())
  std = float(tf.math.reduce_std(z))
  if kind == 'uniform':
    assert float(tf.reduce_max(tf.abs(z))) <= 1e-5
    assert std == pytest.approx(1e-5 / math.sqrt(3), rel=0.1)  # U(-e, e)
  else:
    assert std == pytest.approx(1e-5, rel=0.1)
  assert abs(float(tf.reduce_mean(z))) < 1e-6


def test_noise_unseeded_and_pair_seed_and_dtype():
  z = r3f.embedding_noise([3, 4])
  assert float(tf.reduce_max(tf.abs(z))) <= 1e-5
  a = r3f.embedding_noise([5], seed=[1, 2], dtype=tf.bfloat16)
  assert a.dtype == tf.bfloat16


def test_noise_errors():
  with pytest.raises(ValueError, match="unknown R3F noise kind 'gauss'; "
                     'known kinds: normal, uniform'):
    r3f.embedding_noise([2], kind='gauss')
  with pytest.raises(ValueError, match='eps must be > 0'):
    r3f.embedding_noise([2], eps=0.0)
  with pytest.raises(ValueError, match='pair of ints'):
    r3f.embedding_noise([2], seed=[1, 2, 3])
