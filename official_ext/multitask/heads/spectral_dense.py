"""Dense layer with a spectrally normalised kernel (R4F's head).

  y = x W / sigma(W) + b,   x `[..., in]` -> y `[..., units]`

sigma(W) is W's largest singular value, estimated by power iteration
(Miyato et al. 2018): a non-trainable vector u `[1, units]` is refined by
one step per training call (v = l2(u W^T), u = l2(v W), sigma = v W u^T) and
kept; inference uses the stored u without updating it. (tf_keras 2.20's
`SpectralNormalization` wrapper fails on tf_keras layers, hence this layer.)
"""

import tensorflow as tf
import tf_keras


@tf_keras.utils.register_keras_serializable(package='OfficialExtMultitask')
class SpectralDense(tf_keras.layers.Layer):
  """A `Dense` whose kernel is divided by its spectral norm.

  Args:
    units: output width.
    activation: activation name or callable (None: linear).
    kernel_initializer: kernel initializer.
    power_iterations: power-iteration steps per training call (>= 1).
  """

  def __init__(self, units: int, activation=None,
               kernel_initializer='glorot_uniform', power_iterations: int = 1,
               **kwargs):
    super().__init__(**kwargs)
    if power_iterations < 1:
      raise ValueError(f'SpectralDense {self.name!r}: power_iterations must '
                       f'be >= 1, got {power_iterations}.')
    self.units = int(units)
    self.activation = tf_keras.activations.get(activation)
    self.kernel_initializer = tf_keras.initializers.get(kernel_initializer)
    self.power_iterations = int(power_iterations)

  def build(self, input_shape):
    width = int(input_shape[-1])
    self.kernel = self.add_weight('kernel', shape=(width, self.units),
                                  initializer=self.kernel_initializer)
    self.bias = self.add_weight('bias', shape=(self.units,),
                                initializer='zeros')
    self.u = self.add_weight(
        'u', shape=(1, self.units), trainable=False,
        initializer=tf_keras.initializers.TruncatedNormal(stddev=1.0))
    super().build(input_shape)

  def sigma(self, training=False):
    """The kernel's spectral-norm estimate (updates u when training)."""
    kernel = tf.stop_gradient(self.kernel)
    u = self.u
    for _ in range(self.power_iterations):
      v = tf.math.l2_normalize(tf.matmul(u, kernel, transpose_b=True))
      u = tf.math.l2_normalize(tf.matmul(v, kernel))
    if training:
      self.u.assign(u)
    v = tf.stop_gradient(v)
    u = tf.stop_gradient(u)
    return tf.squeeze(tf.matmul(tf.matmul(v, self.kernel), u,
                                transpose_b=True))

  def call(self, inputs, training=None):
    kernel = self.kernel / self.sigma(bool(training))
    outputs = tf.matmul(inputs, tf.cast(kernel, inputs.dtype)) + tf.cast(
        self.bias, inputs.dtype)
    return self.activation(outputs) if self.activation else outputs

  def get_config(self):
    config = super().get_config()
    config.update(
        units=self.units,
        activation=tf_keras.activations.serialize(self.activation),
        kernel_initializer=tf_keras.initializers.serialize(
            self.kernel_initializer),
        power_iterations=self.power_iterations)
    return config
