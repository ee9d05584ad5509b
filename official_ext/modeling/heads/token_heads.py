"""Token-level auxiliary heads: TF, TF-IDF, TLP, Cap, TCP, TGS, SBO.

Head of TF/TF-IDF/TLP/Cap/TCP (olfmlm's TokenHead), at every position:
  Dense(hidden) -> GELU -> LayerNorm -> Dense(C)
with C = 1 for the regressions (MSE) and C = 2 for the binary tasks (softmax
CE over 2 classes, as olfmlm's TokenHead(2)). The losses are weighted means
over `aux_token_weights` (1 on ordinary tokens, 0 on [CLS]/[SEP]/padding);
olfmlm averages over every position, padding included, which we do not copy.

TGS feeds the same head (C = 6) the concatenation of the vectors at t-2, t-1,
t (clamped at position 0) and weights its loss by `tgs_weights` (1 only at the
chosen trigram ends). Whether the identity permutation is one of the 6
classes is the data builder's choice; the head is 6-way either way.

SBO predicts the original token at each masked position from the vectors of
its neighbours through an MLM-style head tied to the input embedding table
(Model Garden's `MaskedLM` structure: Dense(width) -> GELU -> LayerNorm ->
`x E^T + b`), weighted by `masked_lm_weights`.
"""

import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official_ext.data import features as F
from official_ext.modeling.heads import base
from official_ext.modeling.heads import registry

REGRESSION_LOSSES = ('mse', 'l1')
SBO_CONTEXTS = ('boundary', 'olfmlm')


def shifted(sequence, shift):
  """`out[:, t] = sequence[:, max(t - shift, 0)]` for `[batch, seq_len, ...]`."""
  length = tf.shape(sequence)[1]
  index = tf.maximum(tf.range(length) - shift, 0)
  return tf.gather(sequence, index, axis=1)


class _TokenHead(base.TransformedHead):
  """Dense(hidden) -> act -> LayerNorm -> Dense(C) at every position.

  Args: those of `base.TransformedHead` (hidden_size, activation,
    initializer, layer_norm_epsilon); the initializer also serves the output
    layer.
  """

  num_outputs = 1

  def __init__(self, hidden_size, **kwargs):
    super().__init__(hidden_size, **kwargs)
    self.transform = self.make_transform()
    self.output_layer = tf_keras.layers.Dense(
        self.num_outputs,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='output')

  def head_inputs(self, sequence_output):
    """`[batch, seq_len, in_width]` input of the transform."""
    return sequence_output

  def _outputs(self, sequence_output):
    """`[batch, seq_len, C]` head outputs."""
    return self.output_layer(self.transform(
        self.head_inputs(sequence_output)))


class TokenRegressionHead(_TokenHead):
  """Per-token regression (C = 1), loss masked by `aux_token_weights`.

  Args (besides `_TokenHead`'s):
    integer_labels: truncate the targets to integers first, as olfmlm does
      (its `.long()` cast; rescaled TF/TF-IDF targets become 0..9).
    regression_loss: 'mse' (default, olfmlm's final code) or 'l1' (its EMNLP
      single-task commit).

  call -> {`<task>_predictions`: `[batch, seq_len]`}.
  """

  label_key = None

  def __init__(self, hidden_size, integer_labels=False, regression_loss='mse',
               **kwargs):
    if regression_loss not in REGRESSION_LOSSES:
      raise ValueError(f'{self.task_name}: regression_loss='
                       f'{regression_loss!r} is not one of {REGRESSION_LOSSES}')
    super().__init__(hidden_size, **kwargs)
    self._integer_labels = integer_labels
    self._regression_loss = regression_loss

  @property
  def output_key(self):
    return f'{self.task_name}_predictions'

  def call(self, sequence_output, pooled_output, batch, training=None):
    return {self.output_key: tf.squeeze(self._outputs(sequence_output), -1)}

  def targets(self, batch):
    """The float32 targets `[batch, seq_len]` the loss uses."""
    labels = batch[self.label_key]
    if self._integer_labels:  # truncation toward 0, like torch's .long()
      labels = tf.cast(labels, tf.int64)
    return tf.cast(labels, tf.float32)

  def loss(self, batch, outputs):
    self._check(batch)
    error = tf.cast(outputs[self.output_key], tf.float32) - self.targets(batch)
    per_token = tf.square(error) if self._regression_loss == 'mse' else \
        tf.abs(error)
    return base.weighted_mean(per_token, batch[F.AUX_TOKEN_WEIGHTS])

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.Mean(name=f'{cls.task_name}_mse')]

  def update_metrics(self, metrics, batch, outputs):
    self._check(batch)
    error = tf.cast(outputs[self.output_key], tf.float32) - self.targets(batch)
    self._metric(metrics, 'mse').update_state(
        tf.square(error), sample_weight=batch[F.AUX_TOKEN_WEIGHTS])

  def get_config(self):
    config = super().get_config()
    config.update({'integer_labels': self._integer_labels,
                   'regression_loss': self._regression_loss})
    return config


class TokenClassificationHead(_TokenHead):
  """Per-token C-way softmax CE, masked by `weight_key` (aux_token_weights).

  call -> {`<task>_logits`: `[batch, seq_len, C]`}.
  """

  label_key = None
  weight_key = F.AUX_TOKEN_WEIGHTS

  @property
  def output_key(self):
    return f'{self.task_name}_logits'

  def call(self, sequence_output, pooled_output, batch, training=None):
    return {self.output_key: self._outputs(sequence_output)}

  def loss(self, batch, outputs):
    self._check(batch)
    per_token = base.sparse_ce(batch[self.label_key], outputs[self.output_key])
    return base.weighted_mean(per_token, batch[self.weight_key])

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.SparseCategoricalAccuracy(
        name=f'{cls.task_name}_accuracy')]

  def update_metrics(self, metrics, batch, outputs):
    self._check(batch)
    self._metric(metrics, 'accuracy').update_state(
        batch[self.label_key], tf.cast(outputs[self.output_key], tf.float32),
        sample_weight=batch[self.weight_key])


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('tf')
class TermFrequencyHead(TokenRegressionHead):
  """TF: regress the 0-10 rescaled document term frequency of each token."""
  label_key = F.TF_LABELS
  required_features = (F.TF_LABELS, F.AUX_TOKEN_WEIGHTS)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('tf_idf')
class TfIdfHead(TokenRegressionHead):
  """TF-IDF: regress the 0-10 rescaled tf * idf of each token."""
  label_key = F.TF_IDF_LABELS
  required_features = (F.TF_IDF_LABELS, F.AUX_TOKEN_WEIGHTS)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('tlp')
class TokenLengthHead(TokenRegressionHead):
  """TLP: regress the character length of each WordPiece (without '##')."""
  label_key = F.TOKEN_LENGTH_LABELS
  required_features = (F.TOKEN_LENGTH_LABELS, F.AUX_TOKEN_WEIGHTS)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('cap')
class CapitalizationHead(TokenClassificationHead):
  """Cap: was the token capitalised in the original text? (2-way)."""
  num_outputs = 2
  label_key = F.CAP_LABELS
  required_features = (F.CAP_LABELS, F.AUX_TOKEN_WEIGHTS)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('tcp')
class TokenCorruptionHead(TokenClassificationHead):
  """TCP: was the token corrupted (swapped/replaced/inserted)? (2-way)."""
  num_outputs = 2
  label_key = F.TCP_LABELS
  required_features = (F.TCP_LABELS, F.AUX_TOKEN_WEIGHTS)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('tgs')
class TrigramShuffleHead(TokenClassificationHead):
  """TGS: which of 6 permutations shuffled the trigram ending here?

  Head input at position t: `[h_{t-2}; h_{t-1}; h_t]` (`[batch, seq_len,
  3 hidden]`, indices clamped at 0); loss only where `tgs_weights` is 1.
  (olfmlm's released code feeds 2 hidden into a 3-hidden head: not copied.)
  """
  num_outputs = 6
  label_key = F.TGS_LABELS
  weight_key = F.TGS_WEIGHTS
  required_features = (F.TGS_LABELS, F.TGS_WEIGHTS)

  def head_inputs(self, sequence_output):
    """`[batch, seq_len, 3 hidden]`: `[h_{t-2}; h_{t-1}; h_t]`."""
    return tf.concat([shifted(sequence_output, 2),
                      shifted(sequence_output, 1), sequence_output], axis=-1)


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('sbo')
class SpanBoundaryHead(base.AuxHead):
  """SBO: predict each masked token from its neighbours' vectors.

  Args:
    embedding_table: `[vocab, width]` input word-embedding variable; the
      decoder is tied to it (plus an own per-vocab bias), so the transform's
      dense layer maps to `width`.
    activation, initializer, layer_norm_epsilon: of the transform.
    context: 'boundary' (default; paper: the adjacent tokens) concatenates the
      vectors at i-1 and i+1, clamped to [0, seq_len-1]; 'olfmlm' (its code)
      concatenates those at i-2, i-1, i, clamped at 0.

  call reads `masked_lm_positions` `[batch, P]` ->
  {'sbo_logits': `[batch, P, vocab]`}; the loss is the CE against
  `masked_lm_ids` weighted by `masked_lm_weights`.
  """

  required_features = (F.MASKED_LM_POSITIONS, F.MASKED_LM_IDS,
                       F.MASKED_LM_WEIGHTS)
  call_features = (F.MASKED_LM_POSITIONS,)

  def __init__(self, embedding_table, activation='gelu',
               initializer='glorot_uniform', layer_norm_epsilon=1e-12,
               context='boundary', name=None, **kwargs):
    if context not in SBO_CONTEXTS:
      raise ValueError(f'sbo: context={context!r} is not one of '
                       f'{SBO_CONTEXTS}')
    super().__init__(name=name, **kwargs)
    self.embedding_table = embedding_table
    self._activation = tf_keras.activations.get(activation)
    self._initializer = tf_keras.initializers.get(initializer)
    self._layer_norm_epsilon = layer_norm_epsilon
    self._context = context
    vocab_size, width = (int(d) for d in embedding_table.shape)
    self.transform = base.HeadTransform(
        width, activation=self._activation, initializer=self._initializer,
        layer_norm_epsilon=layer_norm_epsilon)
    self.bias = self.add_weight('output_bias', shape=(vocab_size,),
                                initializer='zeros', trainable=True)

  @property
  def output_key(self):
    return 'sbo_logits'

  def context_vectors(self, sequence_output, positions):
    """Neighbour vectors of each position, concatenated.

    Args:
      sequence_output: `[batch, seq_len, hidden]`.
      positions: `[batch, P]` int positions.

    Returns:
      `[batch, P, 2 hidden]` ('boundary') or `[batch, P, 3 hidden]`
      ('olfmlm').
    """
    positions = tf.cast(positions, tf.int32)
    last = tf.shape(sequence_output)[1] - 1
    offsets = (-1, 1) if self._context == 'boundary' else (-2, -1, 0)
    parts = [tf.gather(sequence_output,
                       tf.clip_by_value(positions + k, 0, last), batch_dims=1)
             for k in offsets]
    return tf.concat(parts, axis=-1)

  def call(self, sequence_output, pooled_output, batch, training=None):
    self._check(batch, self.call_features)
    query = self.transform(self.context_vectors(
        sequence_output, batch[F.MASKED_LM_POSITIONS]))
    table = tf.cast(self.embedding_table, query.dtype)
    logits = tf.einsum('bpw,vw->bpv', query, table)
    return {self.output_key: logits + tf.cast(self.bias, logits.dtype)}

  def loss(self, batch, outputs):
    self._check(batch)
    per_position = base.sparse_ce(batch[F.MASKED_LM_IDS],
                                  outputs[self.output_key])
    return base.weighted_mean(per_position, batch[F.MASKED_LM_WEIGHTS])

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.SparseCategoricalAccuracy(name='sbo_accuracy')]

  def update_metrics(self, metrics, batch, outputs):
    self._check(batch)
    self._metric(metrics, 'accuracy').update_state(
        batch[F.MASKED_LM_IDS], tf.cast(outputs[self.output_key], tf.float32),
        sample_weight=batch[F.MASKED_LM_WEIGHTS])

  def get_config(self):
    config = super().get_config()
    config.update({
        'embedding_table': self.embedding_table,
        'activation': tf_keras.activations.serialize(self._activation),
        'initializer': tf_keras.initializers.serialize(self._initializer),
        'layer_norm_epsilon': self._layer_norm_epsilon,
        'context': self._context,
    })
    return config
