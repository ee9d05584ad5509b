"""Sentence-level auxiliary heads: NSP, ASP, SO, SDP, SCP.

Each is olfmlm's SentHead: one Dense(C) on the pooled output (BERT pooler:
dense + tanh on [CLS]), softmax CE averaged over the rows.

NSP (2), ASP (3), SO (2) and SDP (3) read `next_sentence_labels` `[B, 1]`, the
label of the record's pair mode (its class order is the builder's
`sentence_pairing.PAIR_MODES`); SCP (2) reads `scp_labels` `[B, 1]`.

When the batch has more rows than labels (the QT/FS pair layout, 2B rows with
`next_sentence_labels` [B, 1]), the labels belong to the first B rows: only
those enter the loss and the metric.
"""

import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official_ext.data import features as F
from official_ext.modeling.heads import base
from official_ext.modeling.heads import registry


class SentenceClassificationHead(base.AuxHead):
  """Dense(num_classes) on the pooled output.

  Args:
    initializer: kernel initializer of the classifier.

  call -> {`<task>_logits`: `[rows, num_classes]`}.
  """

  num_classes = 2
  label_key = F.NEXT_SENTENCE_LABELS
  required_features = (F.NEXT_SENTENCE_LABELS,)

  def __init__(self, initializer='glorot_uniform', name=None, **kwargs):
    super().__init__(name=name, **kwargs)
    self._initializer = tf_keras.initializers.get(initializer)
    self.classifier = tf_keras.layers.Dense(
        self.num_classes,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='classifier')

  @property
  def output_key(self):
    return f'{self.task_name}_logits'

  def call(self, sequence_output, pooled_output, batch, training=None):
    return {self.output_key: self.classifier(pooled_output)}

  def _labels_and_logits(self, batch, outputs):
    """Labels `[n]` and the logits of their rows `[n, C]` (see module doc)."""
    labels = tf.reshape(batch[self.label_key], [-1])
    logits = tf.cast(outputs[self.output_key], tf.float32)
    return labels, logits[:tf.shape(labels)[0]]

  def loss(self, batch, outputs):
    self._check(batch)
    labels, logits = self._labels_and_logits(batch, outputs)
    return tf.reduce_mean(base.sparse_ce(labels, logits))

  @classmethod
  def build_metrics(cls):
    return [tf_keras.metrics.SparseCategoricalAccuracy(
        name=f'{cls.task_name}_accuracy')]

  def update_metrics(self, metrics, batch, outputs):
    self._check(batch)
    labels, logits = self._labels_and_logits(batch, outputs)
    self._metric(metrics, 'accuracy').update_state(labels, logits)

  def get_config(self):
    config = super().get_config()
    config['initializer'] = tf_keras.initializers.serialize(self._initializer)
    return config


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('nsp')
class NextSentenceHead(SentenceClassificationHead):
  """NSP: is segment B the continuation of A, or from another document?"""
  num_classes = 2


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('asp')
class AdjacentSentenceHead(SentenceClassificationHead):
  """ASP: B follows A / B precedes A (swapped) / B from another document."""
  num_classes = 3


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('so')
class SentenceOrderHead(SentenceClassificationHead):
  """SO: are the two contiguous segments in order or swapped?"""
  num_classes = 2


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('sdp')
class SentenceDistanceHead(SentenceClassificationHead):
  """SDP: contiguous / same document with a gap / different documents."""
  num_classes = 3


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
@registry.register('scp')
class SequenceCorruptionHead(SentenceClassificationHead):
  """SCP: was this sequence corrupted (the TCP corruption)?"""
  num_classes = 2
  label_key = F.SCP_LABELS
  required_features = (F.SCP_LABELS,)
