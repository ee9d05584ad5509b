"""Sequence classification and regression head on the pooled output.

  pooled `[B, H]` -> [Dense(hidden_size, tanh)] -> Dropout -> Dense(C)

The optional dense layer is RoBERTa's classification head; without it this is
BERT's fine-tuning head (the encoder's pooler already applies dense + tanh to
[CLS]). `num_classes >= 2`: logits `[B, C]`, softmax CE against `label`
int `[B]`. `num_classes == 1`: regression, outputs `[B]` float32, squared
error against `label` float `[B]`. `spectral_norm=True` wraps the dense
layers in spectral normalisation (R4F = R3F + a spectrally normalised
classification head, Aghajanyan et al. 2020).
"""

import numbers
from typing import Optional

import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import base
from official_ext.multitask.heads import spectral_dense


@tf_keras.utils.register_keras_serializable(package='OfficialExtMultitask')
class ClassificationHead(base.SupervisedHead):
  """Classification (num_classes >= 2) or regression (num_classes == 1).

  Args:
    num_classes: number of classes; 1 for regression.
    hidden_size: width of an extra dense + tanh layer before the classifier;
      None: no extra layer.
    dropout_rate: dropout on the pooled output (and after the extra layer).
    initializer_range: stddev of the truncated-normal kernel initializers.
    spectral_norm: spectrally normalise the dense kernels (R4F).

  call(pooled_output `[B, H]`) -> logits `[B, C]` (float32), or `[B]` for
  regression.
  """

  def __init__(self, num_classes: int, hidden_size: Optional[int] = None,
               dropout_rate: float = 0.1, initializer_range: float = 0.02,
               spectral_norm: bool = False, **kwargs):
    super().__init__(**kwargs)
    if isinstance(num_classes, bool) or not isinstance(
        num_classes, numbers.Integral) or num_classes < 1:
      raise ValueError(f'ClassificationHead {self.name!r}: num_classes must '
                       f'be an int >= 1 (1 = regression), got '
                       f'{num_classes!r}.')
    if hidden_size is not None and hidden_size < 1:
      raise ValueError(f'ClassificationHead {self.name!r}: hidden_size must '
                       f'be None or >= 1, got {hidden_size!r}.')
    if not 0.0 <= dropout_rate < 1.0:
      raise ValueError(f'ClassificationHead {self.name!r}: dropout_rate must '
                       f'be in [0, 1), got {dropout_rate!r}.')
    self._config = dict(num_classes=int(num_classes), hidden_size=hidden_size,
                        dropout_rate=dropout_rate,
                        initializer_range=initializer_range,
                        spectral_norm=bool(spectral_norm))
    self.num_classes = int(num_classes)

    def init():
      return tf_keras.initializers.TruncatedNormal(stddev=initializer_range)

    def dense(units, name, activation=None):
      layer_cls = (spectral_dense.SpectralDense if spectral_norm
                   else tf_keras.layers.Dense)
      return layer_cls(units, activation=activation,
                       kernel_initializer=init(), name=name)

    self.dense = None
    if hidden_size is not None:
      self.dense = dense(hidden_size, 'dense', activation='tanh')
    self.dropout = tf_keras.layers.Dropout(dropout_rate, name='dropout')
    self.out_proj = dense(num_classes, 'logits')

  @property
  def kinds(self):
    return ('regression',) if self.is_regression else ('classification',)

  @property
  def is_regression(self) -> bool:
    return self.num_classes == 1

  def call(self, pooled_output, training=None):
    x = self.dropout(pooled_output, training=training)
    if self.dense is not None:
      x = self.dropout(self.dense(x, training=training), training=training)
    logits = tf.cast(self.out_proj(x, training=training), tf.float32)
    if self.is_regression:
      return tf.squeeze(logits, axis=-1)
    return logits

  def head_outputs(self, encoder_outputs, features, training=None):
    return self(encoder_outputs['pooled_output'], training=training)

  def per_example_loss(self, features, outputs):
    base.require_features(self, features, ('label',))
    if self.is_regression:
      labels = tf.cast(tf.reshape(features['label'], [-1]), tf.float32)
      return tf.square(tf.cast(outputs, tf.float32) - labels)
    return base.sparse_ce(tf.reshape(features['label'], [-1]), outputs)

  def predictions(self, outputs):
    """Class ids int32 `[B]`, or the regression values float32 `[B]`."""
    if self.is_regression:
      return tf.cast(outputs, tf.float32)
    return tf.argmax(outputs, axis=-1, output_type=tf.int32)

  def r3f_logits(self, outputs):
    """`[B, C]`; regression `[B, 1]` (r3f uses the Gaussian KL then)."""
    outputs = tf.cast(outputs, tf.float32)
    return outputs[:, None] if self.is_regression else outputs

  def num_predictions(self, features=None):
    return None if self.is_regression else self.num_classes

  def get_config(self):
    config = super().get_config()
    config.update(self._config)
    return config
