"""Span-pair classifier: an encoder and a head over two marked spans.

For tasks that classify a relation between two spans of one text (SuperGLUE
WSC: does the pronoun refer to the noun phrase?). Each span is marked in the
text by a marker token placed before it (and after it), e.g.
`Mark told * Pete * many lies about ~ himself ~ .`; the head reads the
encoder's output at the first occurrence of each opening marker ("entity
start" representations, Baldini Soares et al. 2019), so the span pair is
classified from span-specific states rather than from [CLS]:

  h1 = sequence_output[b, first(marker_1)]
  h2 = sequence_output[b, first(marker_2)]
  logits = Dense(num_classes)(dropout([h1, h2, h1 * h2]))

A sequence without a marker (truncated away) reads position 0 ([CLS]).
"""

import tensorflow as tf
import tf_keras


def first_position(input_word_ids: tf.Tensor, token_id: int) -> tf.Tensor:
  """int32 [batch]: index of the first `token_id` in each row (0 if none).

  Args:
    input_word_ids: int [batch, seq_length].
    token_id: the marker's id.
  """
  hits = tf.cast(tf.equal(input_word_ids, token_id), tf.int32)
  return tf.cast(tf.argmax(hits, axis=-1), tf.int32)


@tf_keras.utils.register_keras_serializable(package='official_ext')
class SpanPairClassifier(tf_keras.Model):
  """Classifies the pair of spans opened by two marker tokens.

  Args:
    network: a Model Garden encoder returning a dict with `sequence_output`
      [batch, seq_length, hidden].
    marker_ids: (id of span 1's marker, id of span 2's marker).
    num_classes: output classes.
    dropout_rate: dropout on the pair features.
    initializer: initializer of the output layer.

  Inputs: dict with `input_word_ids`, `input_mask`, `input_type_ids`, each
  int [batch, seq_length]. Output: logits float [batch, num_classes].
  """

  def __init__(self, network, marker_ids, num_classes=2, dropout_rate=0.1,
               initializer='glorot_uniform', **kwargs):
    super().__init__(**kwargs)
    self._config = dict(network=network, marker_ids=tuple(marker_ids),
                        num_classes=num_classes, dropout_rate=dropout_rate,
                        initializer=initializer)
    self.encoder = network
    self.marker_ids = tuple(int(m) for m in marker_ids)
    self.dropout = tf_keras.layers.Dropout(dropout_rate)
    self.classifier = tf_keras.layers.Dense(
        num_classes, kernel_initializer=initializer, name='span_pair_logits')

  def call(self, inputs, training=None):
    outputs = self.encoder(dict(input_word_ids=inputs['input_word_ids'],
                                input_mask=inputs['input_mask'],
                                input_type_ids=inputs['input_type_ids']),
                           training=training)
    sequence = outputs['sequence_output']  # [batch, seq_length, hidden]
    states = [tf.gather(sequence, first_position(inputs['input_word_ids'], m),
                        batch_dims=1)  # [batch, hidden]
              for m in self.marker_ids]
    features = tf.concat([states[0], states[1], states[0] * states[1]], -1)
    return self.classifier(self.dropout(features, training=training))

  @property
  def checkpoint_items(self):
    return dict(encoder=self.encoder)

  def get_config(self):
    return dict(self._config)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
