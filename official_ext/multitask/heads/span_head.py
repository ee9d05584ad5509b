"""Extractive span head (Muppet's shared 'mrc' head).

  sequence `[B, S, H]` -> Dense(2) -> start_logits, end_logits `[B, S]`

Positions with `input_mask == 0` get logit `MASKED_LOGIT` (-1e4), so padding
has ~0 probability. Loss: (CE(start) + CE(end)) / 2 over the positions,
against `start_positions` / `end_positions` int `[B]` (token indices).
Decoding: the (start, end) maximising start_logit + end_logit with
start <= end <= start + max_answer_length - 1.
"""

import tensorflow as tf
import tf_keras

from official_ext.multitask.heads import base

MASKED_LOGIT = -1e4
LABEL_KEYS = ('start_positions', 'end_positions')


@tf_keras.utils.register_keras_serializable(package='OfficialExtMultitask')
class SpanHead(base.SupervisedHead):
  """Start/end logits per position.

  Args:
    max_answer_length: longest span (in tokens) `predictions` returns.
    initializer_range: stddev of the truncated-normal kernel initializer.

  call(sequence_output `[B, S, H]`, input_mask `[B, S]` or None) ->
  {'start_logits', 'end_logits'} float32 `[B, S]`.
  """

  kinds = ('span',)

  def __init__(self, max_answer_length: int = 30,
               initializer_range: float = 0.02, **kwargs):
    super().__init__(**kwargs)
    if not isinstance(max_answer_length, int) or max_answer_length < 1:
      raise ValueError(f'SpanHead {self.name!r}: max_answer_length must be '
                       f'an int >= 1, got {max_answer_length!r}.')
    self._config = dict(max_answer_length=max_answer_length,
                        initializer_range=initializer_range)
    self.max_answer_length = max_answer_length
    self.dense = tf_keras.layers.Dense(
        2, kernel_initializer=tf_keras.initializers.TruncatedNormal(
            stddev=initializer_range), name='span_logits')

  def call(self, sequence_output, input_mask=None, training=None):
    logits = tf.cast(self.dense(sequence_output), tf.float32)   # [B, S, 2]
    start_logits, end_logits = tf.unstack(logits, num=2, axis=-1)
    if input_mask is not None:
      valid = tf.not_equal(input_mask, 0)
      masked = tf.fill(tf.shape(start_logits), MASKED_LOGIT)
      start_logits = tf.where(valid, start_logits, masked)
      end_logits = tf.where(valid, end_logits, masked)
    return {'start_logits': start_logits, 'end_logits': end_logits}

  def head_outputs(self, encoder_outputs, features, training=None):
    return self(encoder_outputs['sequence_output'],
                input_mask=features.get('input_mask'), training=training)

  def per_example_loss(self, features, outputs):
    base.require_features(self, features, LABEL_KEYS)
    start = base.sparse_ce(tf.reshape(features['start_positions'], [-1]),
                           outputs['start_logits'])
    end = base.sparse_ce(tf.reshape(features['end_positions'], [-1]),
                         outputs['end_logits'])
    return (start + end) / 2.0

  def predictions(self, outputs):
    """Best (start, end) per example, int32 `[B, 2]`."""
    start = tf.cast(outputs['start_logits'], tf.float32)
    end = tf.cast(outputs['end_logits'], tf.float32)
    seq_len = tf.shape(start)[1]
    # scores[b, i, j] = start[b, i] + end[b, j], allowed when
    # 0 <= j - i <= max_answer_length - 1.
    scores = start[:, :, None] + end[:, None, :]
    positions = tf.range(seq_len)
    length = positions[None, :] - positions[:, None]       # j - i, [S, S]
    allowed = (length >= 0) & (length < self.max_answer_length)
    # Disallowed pairs sit below any allowed one (even two masked logits).
    scores = tf.where(allowed[None], scores, 4.0 * MASKED_LOGIT)
    flat = tf.argmax(tf.reshape(scores, [tf.shape(scores)[0], -1]), axis=-1,
                     output_type=tf.int32)
    return tf.stack([flat // seq_len, flat % seq_len], axis=-1)

  def r3f_logits(self, outputs):
    """Start and end logits stacked as rows, `[2B, S]` float32."""
    return tf.concat([tf.cast(outputs['start_logits'], tf.float32),
                      tf.cast(outputs['end_logits'], tf.float32)], axis=0)

  def num_predictions(self, features):
    """The number of positions S (static; `features` or a sequence length)."""
    if isinstance(features, int):
      return features
    ids = features['input_word_ids']
    return ids.shape[-1]

  def get_config(self):
    config = super().get_config()
    config.update(self._config)
    return config
