"""Multiple-choice ranking head (Muppet's shared 'commonsense' head).

Each candidate c of an example is its own sequence (`[CLS] context [SEP]
choice_c [SEP]`); the model flattens the `[B, C, S]` ids to `[B * C, S]`
for the encoder. The head scores every candidate's pooled output:

  pooled `[B * C, H]` -> Dropout -> Dense(1) -> reshape `[B, C]`

and the loss is the softmax CE over the C scores against `label` int `[B]`
(the sentence-ranking loss). C comes from the features at call time (the
ids' axis 1) unless the head was built with a fixed `num_choices`.
"""

from typing import Optional

import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import base


def choices_of(features) -> tf.Tensor:
  """C of `[B, C, S]` ids: a Python int when static, else a scalar tensor."""
  ids = features['input_word_ids']
  if ids.shape.rank != 3:
    raise ValueError('multiple-choice features must be [batch, choices, '
                     f'seq_len], got input_word_ids of shape {ids.shape}.')
  static = ids.shape[1]
  return static if static is not None else tf.shape(ids)[1]


@tf_keras.utils.register_keras_serializable(package='OfficialExtMultitask')
class MultipleChoiceHead(base.SupervisedHead):
  """One score per candidate, softmax over the candidates.

  Args:
    num_choices: fixed number of candidates C, or None to take it from the
      features at call time.
    dropout_rate: dropout on the pooled output.
    initializer_range: stddev of the truncated-normal kernel initializer.

  call(pooled_output `[B * C, H]`, num_choices) -> scores float32 `[B, C]`.
  """

  kinds = ('multiple_choice',)

  def __init__(self, num_choices: Optional[int] = None,
               dropout_rate: float = 0.1, initializer_range: float = 0.02,
               **kwargs):
    super().__init__(**kwargs)
    if num_choices is not None and (not isinstance(num_choices, int)
                                    or num_choices < 2):
      raise ValueError(f'MultipleChoiceHead {self.name!r}: num_choices must '
                       f'be None or an int >= 2, got {num_choices!r}.')
    if not 0.0 <= dropout_rate < 1.0:
      raise ValueError(f'MultipleChoiceHead {self.name!r}: dropout_rate must '
                       f'be in [0, 1), got {dropout_rate!r}.')
    self._config = dict(num_choices=num_choices, dropout_rate=dropout_rate,
                        initializer_range=initializer_range)
    self.num_choices = num_choices
    self.dropout = tf_keras.layers.Dropout(dropout_rate, name='dropout')
    self.scorer = tf_keras.layers.Dense(
        1, kernel_initializer=tf_keras.initializers.TruncatedNormal(
            stddev=initializer_range), name='choice_score')

  def call(self, pooled_output, num_choices=None, training=None):
    num_choices = num_choices if num_choices is not None else self.num_choices
    if num_choices is None:
      raise ValueError(f'MultipleChoiceHead {self.name!r}: the number of '
                       'choices is unknown; pass num_choices or build the '
                       'head with one.')
    x = self.dropout(pooled_output, training=training)
    scores = tf.cast(self.scorer(x), tf.float32)                # [B * C, 1]
    return tf.reshape(scores, [-1, num_choices])

  def head_outputs(self, encoder_outputs, features, training=None):
    num_choices = choices_of(features)
    if (self.num_choices is not None and isinstance(num_choices, int)
        and num_choices != self.num_choices):
      raise ValueError(f'MultipleChoiceHead {self.name!r} was built for '
                       f'{self.num_choices} choices; the features have '
                       f'{num_choices}.')
    return self(encoder_outputs['pooled_output'], num_choices=num_choices,
                training=training)

  def per_example_loss(self, features, outputs):
    base.require_features(self, features, ('label',))
    return base.sparse_ce(tf.reshape(features['label'], [-1]), outputs)

  def predictions(self, outputs):
    """The best candidate's index, int32 `[B]`."""
    return tf.argmax(outputs, axis=-1, output_type=tf.int32)

  def r3f_logits(self, outputs):
    """The candidate scores `[B, C]` float32."""
    return tf.cast(outputs, tf.float32)

  def num_predictions(self, features=None):
    """C: the built `num_choices`, else the features' static axis 1."""
    if self.num_choices is not None or features is None:
      return self.num_choices
    num_choices = choices_of(features)
    return num_choices if isinstance(num_choices, int) else None

  def get_config(self):
    config = super().get_config()
    config.update(self._config)
    return config
