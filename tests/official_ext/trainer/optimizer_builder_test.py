"""AdamW: schedule by hand, decay exclusions, clipping, loss scaling."""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.trainer import optimizer_builder


def _rates(optimizer, steps):
  """The rate each of `steps` updates used (zero gradients, dummy var)."""
  var = tf.Variable([1.0], name='dummy/bias')
  out = []
  for _ in range(steps):
    optimizer.apply_gradients([(tf.zeros([1]), var)])
    out.append(float(optimizer_builder.current_learning_rate(optimizer)))
  return out


def test_warmup_then_linear_decay():
  optimizer = optimizer_builder.adamw(decay_steps=20, learning_rate=1e-3,
                                      warmup_steps=4)
  rates = _rates(optimizer, 21)
  line = lambda step: 1e-3 * (1 - step / 20)  # noqa: E731
  # Warm-up: 0 -> line(4) = 8e-4 in 4 steps; then the line, 0 at step 20.
  expected = [line(4) * s / 4 for s in range(4)] + [line(s) for s in
                                                    range(4, 21)]
  np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=1e-10)
  assert optimizer.epsilon == 1e-6 and optimizer.global_clipnorm == 1.0


def test_weight_decay_skips_layer_norm_and_biases():
  optimizer = optimizer_builder.adamw(decay_steps=10, learning_rate=0.5,
                                      warmup_steps=0, weight_decay=0.1)
  names = ['dense/kernel', 'dense/bias', 'output_layer_norm/gamma',
           'self_attention_layer_norm/beta']
  variables = [tf.Variable([2.0], name=n) for n in names]
  optimizer.apply_gradients([(tf.zeros([1]), v) for v in variables])
  # Zero gradients: Adam moves nothing; only decay: w -= lr * wd * w.
  values = [float(v.numpy()[0]) for v in variables]
  assert values == pytest.approx([2.0 - 0.5 * 0.1 * 2.0, 2.0, 2.0, 2.0])


def test_gradients_are_clipped_to_the_global_norm():
  optimizer = optimizer_builder.adamw(decay_steps=10, warmup_steps=0,
                                      clip_norm=1.0)
  grads = [tf.constant([30.0, 40.0])]
  clipped = optimizer._clip_gradients(grads)  # pylint: disable=protected-access
  np.testing.assert_allclose(clipped[0].numpy(), [0.6, 0.8], rtol=1e-6)


def test_bad_schedules_are_refused():
  with pytest.raises(ValueError, match='warmup_steps=30'):
    optimizer_builder.adamw(decay_steps=20, warmup_steps=30)


def test_loss_scaling_only_for_float16():
  base = optimizer_builder.adamw(decay_steps=10, warmup_steps=0)
  assert optimizer_builder.with_loss_scaling(base, 'mixed_bfloat16') is base
  scaled = optimizer_builder.with_loss_scaling(base, 'mixed_float16')
  assert isinstance(scaled, tf_keras.mixed_precision.LossScaleOptimizer)
  assert scaled.dynamic
  with pytest.raises(ValueError, match="'float8' is unknown"):
    optimizer_builder.set_mixed_precision_policy('float8')
