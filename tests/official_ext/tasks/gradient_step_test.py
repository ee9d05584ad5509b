"""gradient_step.minimize: replica division, loss scaling, skipped vars."""

import numpy as np
import tensorflow as tf
import tf_keras

from official_ext.tasks import gradient_step


def test_plain_sgd_step_and_skipped_variable():
  used = tf.Variable([1.0, 2.0])
  unused = tf.Variable([5.0])
  optimizer = tf_keras.optimizers.SGD(0.5)
  optimizer.build([used, unused])
  total, extra = gradient_step.minimize(
      optimizer, [used, unused], lambda: (tf.reduce_sum(used ** 2), 'x'))
  # loss = 1 + 4 = 5; grad = 2 * used = [2, 4]; step 0.5 -> [0, 0].
  assert float(total) == 5.0 and extra == 'x'
  np.testing.assert_allclose(used.numpy(), [0.0, 0.0])
  np.testing.assert_allclose(unused.numpy(), [5.0])


def test_loss_scaling_gives_the_unscaled_step():
  var = tf.Variable([3.0])
  optimizer = tf_keras.mixed_precision.LossScaleOptimizer(
      tf_keras.optimizers.SGD(0.1), initial_scale=1024.0)
  optimizer.build([var])
  gradient_step.minimize(optimizer, [var], lambda: (var[0] * 2.0, None))
  # grad 2, step 0.1 -> 3 - 0.2 = 2.8 (scaling undone).
  np.testing.assert_allclose(var.numpy(), [2.8], rtol=1e-6)


def test_runs_in_a_replica_context():
  strategy = tf.distribute.MirroredStrategy(['/cpu:0'])
  with strategy.scope():
    var = tf.Variable([1.0])
    optimizer = tf_keras.optimizers.SGD(1.0)
    optimizer.build([var])

  def step():
    return gradient_step.minimize(optimizer, [var],
                                  lambda: (var[0] * 4.0, None))[0]
  strategy.run(tf.function(step))
  # One replica: grad 4 -> 1 - 4 = -3.
  np.testing.assert_allclose(var.numpy(), [-3.0])
