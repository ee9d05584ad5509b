"""QT and FS: heads on the consecutive-pair batch layout.

The batch holds 2B sequences: row B+i is the continuation of row i (reader
with `paired=True, pair_halves=True`). Both halves went through the same
encoder.

QT (Quick-Thoughts variant): a shared Dense -> GELU -> LayerNorm transform f of
every pooled vector; S[i, j] = cos(f(p_i), f(p_{B+j})) (`[B, B]`); loss = CE
of each row of S with the diagonal as target, first half -> second half only
(olfmlm). The paper scores pairs by an energy = -cos; a softmax over -energy
is a softmax over cos, so the logits are the cosines, with no temperature by
default (`temperature` divides them, an option not in the paper).

FS (FastSent variant): a sentence transform g_s of the pooled vectors and a
token transform g_t of every token vector; score[r, t] = cos(g_t(h[r, t]),
g_s(p[partner(r)])), partner(i) = B+i and partner(B+i) = i. Targets are all
1 (no negatives). Default loss: binary CE with target 1 on (cos + 1) / 2, i.e.
-log((cos + 1) / 2), averaged over the real tokens (`input_mask`); option
`loss='mse'`: (cos - 1)^2 over the same tokens (olfmlm's regression, which it
also applies to padding: not copied).
"""

import tensorflow as tf
import tf_keras

from official_ext.data import features as F
from official_ext.modeling.heads import base
from official_ext.modeling.heads import registry

FS_LOSSES = ('bce', 'mse')
_LOG_EPSILON = 1e-7  # floor of (cos + 1) / 2 before the log (cos = -1)


def split_halves(tensor, task_name):
  """`tensor[:B], tensor[B:]` for a `[2B, ...]` tensor.

  Raises:
    ValueError (static shape) or InvalidArgumentError (dynamic shape) when
    the number of rows is odd.
  """
  rows = tensor.shape[0]
  message = (f'{task_name}: the batch must have an even number of rows '
             f'(rows B..2B-1 continue rows 0..B-1); build the records with '
             f'--pair_mode=consecutive and read them with paired=True, '
             f'pair_halves=True')
  if rows is not None:
    if rows % 2:
      raise ValueError(f'{message}; got {rows} rows.')
    return tensor[:rows // 2], tensor[rows // 2:]
  rows = tf.shape(tensor)[0]
  with tf.control_dependencies(
      [tf.debugging.assert_equal(rows % 2, 0, message=message)]):
    half = rows // 2
  return tensor[:half], tensor[half:]


def _unit(tensor):
  """float32 L2-normalised along the last axis (a zero vector stays 0)."""
  return tf.math.l2_normalize(tf.cast(tensor, tf.float32), axis=-1)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('qt')
class QuickThoughtsHead(base.TransformedHead):
  """QT: which second-half sequence continues each first-half one?

  Args:
    hidden_size, activation, initializer, layer_norm_epsilon: of the shared
      transform.
    temperature: the logits are cos / temperature (1.0: the paper).

  call: pooled_output `[2B, hidden]` -> {'qt_cosine': `[B, B]` float32}.
  """

  required_features = ()

  def __init__(self, hidden_size, temperature=1.0, **kwargs):
    if temperature <= 0:
      raise ValueError(f'qt: temperature={temperature} must be > 0')
    super().__init__(hidden_size, **kwargs)
    self._temperature = temperature
    self.transform = self.make_transform('transform')

  @property
  def output_key(self):
    return 'qt_cosine'

  def call(self, sequence_output, pooled_output, batch, training=None):
    first, second = split_halves(_unit(self.transform(pooled_output)),
                                 self.task_name)
    return {self.output_key: tf.matmul(first, second, transpose_b=True)}

  def _labels_and_logits(self, outputs):
    cosine = tf.cast(outputs[self.output_key], tf.float32)
    return tf.range(tf.shape(cosine)[0]), cosine / self._temperature

  def loss(self, batch, outputs):
    labels, logits = self._labels_and_logits(outputs)
    per_row = base.sparse_ce(labels, logits)
    return base.weighted_mean(per_row, tf.ones_like(per_row))

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.SparseCategoricalAccuracy(name='qt_accuracy')]

  def update_metrics(self, metrics, batch, outputs):
    labels, logits = self._labels_and_logits(outputs)
    self._metric(metrics, 'accuracy').update_state(labels, logits)

  def get_config(self):
    config = super().get_config()
    config['temperature'] = self._temperature
    return config


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('fs')
class FastSentHead(base.TransformedHead):
  """FS: every token should be close to its partner sequence's vector.

  Args:
    hidden_size, activation, initializer, layer_norm_epsilon: of the two
      transforms (sentence, token).
    loss: 'bce' (default, the paper's CE between 1 and the cosine) or 'mse'
      (olfmlm's regression towards 1).

  call: sequence_output `[2B, seq_len, hidden]`, pooled_output `[2B, hidden]`
  -> {'fs_cosine': `[2B, seq_len]` float32}; the loss reads `input_mask`.
  """

  required_features = (F.INPUT_MASK,)

  def __init__(self, hidden_size, loss='bce', **kwargs):
    if loss not in FS_LOSSES:
      raise ValueError(f'fs: loss={loss!r} is not one of {FS_LOSSES}')
    super().__init__(hidden_size, **kwargs)
    self._loss_type = loss
    self.sentence_transform = self.make_transform('sentence_transform')
    self.token_transform = self.make_transform('token_transform')

  @property
  def output_key(self):
    return 'fs_cosine'

  def call(self, sequence_output, pooled_output, batch, training=None):
    first, second = split_halves(
        _unit(self.sentence_transform(pooled_output)), self.task_name)
    partner = tf.concat([second, first], axis=0)  # row r -> its partner
    tokens = _unit(self.token_transform(sequence_output))
    return {self.output_key: tf.einsum('rlh,rh->rl', tokens, partner)}

  def loss(self, batch, outputs):
    self._check(batch)
    cosine = tf.cast(outputs[self.output_key], tf.float32)
    if self._loss_type == 'bce':
      per_token = -tf.math.log(tf.maximum((cosine + 1.0) / 2.0, _LOG_EPSILON))
    else:
      per_token = tf.square(cosine - 1.0)
    return base.weighted_mean(per_token, batch[F.INPUT_MASK])

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.Mean(name='fs_cosine')]

  def update_metrics(self, metrics, batch, outputs):
    self._check(batch)
    self._metric(metrics, 'cosine').update_state(
        tf.cast(outputs[self.output_key], tf.float32),
        sample_weight=batch[F.INPUT_MASK])

  def get_config(self):
    config = super().get_config()
    config['loss'] = self._loss_type
    return config
