"""SpectralDense: W / sigma(W) with a power-iteration estimate of sigma."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import spectral_dense


def _layer(kernel, **kwargs):
  layer = spectral_dense.SpectralDense(kernel.shape[1], **kwargs)
  layer.build((None, kernel.shape[0]))
  layer.kernel.assign(kernel)
  return layer


def test_power_iteration_converges_to_the_top_singular_value():
  kernel = np.diag([3.0, 1.0, 0.5]).astype(np.float32)
  layer = _layer(kernel)
  x = tf.eye(3)
  for _ in range(20):
    layer(x, training=True)
  assert float(layer.sigma()) == pytest.approx(3.0, rel=1e-4)
  # Output = x W / 3 (+ zero bias).
  np.testing.assert_allclose(layer(x).numpy(), kernel / 3.0, rtol=1e-4)


def test_inference_does_not_move_u_and_training_does():
  layer = _layer(np.random.RandomState(0).randn(4, 2).astype(np.float32))
  u0 = layer.u.numpy().copy()
  layer(tf.ones((1, 4)), training=False)
  np.testing.assert_array_equal(layer.u.numpy(), u0)
  layer(tf.ones((1, 4)), training=True)
  assert not np.allclose(layer.u.numpy(), u0)


def test_gradient_flows_to_kernel_and_bias():
  layer = _layer(np.random.RandomState(1).randn(4, 3).astype(np.float32))
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(layer(tf.ones((2, 4)), training=True) ** 2)
  grads = tape.gradient(loss, layer.trainable_variables)
  assert [v.name.split('/')[-1] for v in layer.trainable_variables] == [
      'kernel:0', 'bias:0']
  assert all(g is not None and np.abs(g.numpy()).sum() > 0 for g in grads)


def test_config_round_trip_and_bad_iterations():
  layer = spectral_dense.SpectralDense(5, activation='tanh',
                                       power_iterations=2, name='sn')
  clone = spectral_dense.SpectralDense.from_config(layer.get_config())
  assert (clone.units, clone.power_iterations, clone.name) == (5, 2, 'sn')
  assert clone.activation is tf_keras.activations.tanh
  with pytest.raises(ValueError, match='power_iterations must be >= 1'):
    spectral_dense.SpectralDense(2, power_iterations=0)
