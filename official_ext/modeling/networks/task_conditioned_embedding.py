"""A PackedSequenceEmbedding with a task-id embedding in the sum.

Same layers and layer names as Model Garden's `PackedSequenceEmbedding`
(`word_embeddings`, `position_embedding`, `type_embeddings`,
`embeddings/layer_norm`, `embedding_projection`) plus `task_embedding`, so
`fold_task_embedding` can turn an encoder built on it into the plain
`EncoderScaffold` Model Garden's fine-tuning rebuilds.
"""

import tf_keras

from official.modeling import tf_utils
from official.nlp.modeling import layers
from official.nlp.modeling.networks import packed_sequence_embedding as pse

from official_ext.modeling.layers import task_embedding
from official_ext.modeling.networks import tied_embedding


class TaskConditionedEmbedding(tf_keras.Model):
  """Embeds `[word_ids, mask, type_ids]`; adds the active tasks' embedding.

  Args: as `PackedSequenceEmbedding` (vocab_size, type_vocab_size,
    embedding_width, hidden_size, max_seq_length, initializer, dropout_rate)
    plus num_tasks.

  Outputs `[embeddings [batch, seq_len, hidden_size],
  attention_mask [batch, seq_len, seq_len]]`.
  """

  def __init__(self, vocab_size, type_vocab_size, embedding_width,
               hidden_size, max_seq_length, initializer, dropout_rate,
               num_tasks, **kwargs):
    initializer = tf_keras.initializers.get(initializer)
    embedding_width = embedding_width or hidden_size
    word_ids = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                     name='input_word_ids')
    mask = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                 name='input_mask')
    type_ids = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                     name='input_type_ids')
    word_layer = layers.OnDeviceEmbedding(
        vocab_size=vocab_size, embedding_width=embedding_width,
        initializer=tf_utils.clone_initializer(initializer),
        name='word_embeddings')
    words = word_layer(word_ids)
    positions = pse.PositionEmbeddingWithSubSeqMask(
        initializer=tf_utils.clone_initializer(initializer),
        use_dynamic_slicing=True, max_sequence_length=max_seq_length,
        name='position_embedding')(words)
    types = layers.OnDeviceEmbedding(
        vocab_size=type_vocab_size, embedding_width=embedding_width,
        initializer=tf_utils.clone_initializer(initializer), use_one_hot=True,
        name='type_embeddings')(type_ids)
    summed = tf_keras.layers.Add()([words, positions, types])
    self_task = task_embedding.TaskEmbedding(
        num_tasks, initializer=tf_utils.clone_initializer(initializer),
        name='task_embedding')
    summed = self_task(summed)
    embeddings = tf_keras.layers.LayerNormalization(
        name='embeddings/layer_norm', axis=-1, epsilon=1e-12,
        dtype='float32')(summed)
    embeddings = tf_keras.layers.Dropout(dropout_rate, dtype='float32')(
        embeddings)
    embeddings, attention_mask = tied_embedding.project_and_mask(
        embeddings, mask, embedding_width, hidden_size, initializer)
    super().__init__(inputs=[word_ids, mask, type_ids],
                     outputs=[embeddings, attention_mask], **kwargs)
    self.task_embedding = self_task
    self._word_layer = word_layer
    self._config_dict = dict(
        vocab_size=vocab_size, type_vocab_size=type_vocab_size,
        embedding_width=embedding_width, hidden_size=hidden_size,
        max_seq_length=max_seq_length,
        initializer=tf_keras.initializers.serialize(initializer),
        dropout_rate=dropout_rate, num_tasks=num_tasks)

  def get_embedding_table(self):
    return self._word_layer.embeddings

  def get_config(self):
    return dict(self._config_dict)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)


def build(encoder_cfg, num_tasks):
  """A TaskConditionedEmbedding shaped by a `BertEncoderConfig`."""
  return TaskConditionedEmbedding(
      vocab_size=encoder_cfg.vocab_size,
      type_vocab_size=encoder_cfg.type_vocab_size,
      embedding_width=encoder_cfg.embedding_size,
      hidden_size=encoder_cfg.hidden_size,
      max_seq_length=encoder_cfg.max_position_embeddings,
      initializer=tf_keras.initializers.TruncatedNormal(
          stddev=encoder_cfg.initializer_range),
      dropout_rate=encoder_cfg.dropout_rate, num_tasks=num_tasks)


def fold_task_embedding(conditioned_encoder, plain_encoder):
  """Copies a task-conditioned encoder into a plain one, folding the mean task
  vector (all tasks active) into the position table.

  Args:
    conditioned_encoder: EncoderScaffold on a TaskConditionedEmbedding.
    plain_encoder: EncoderScaffold of the same config on a
      PackedSequenceEmbedding (e.g. from `teams.get_encoder`).
  """
  source = conditioned_encoder.embedding_network
  target = plain_encoder.embedding_network
  task = source.task_embedding
  for layer in target.layers:
    if not layer.weights:
      continue
    values = source.get_layer(layer.name).get_weights()
    if layer.name == 'position_embedding':
      values = [values[0] + task.mean_vector(
          tf_keras.backend.ones_like(task.active)).numpy()]
    layer.set_weights(values)
  for src, dst in zip(conditioned_encoder.hidden_layers,
                      plain_encoder.hidden_layers):
    dst.set_weights(src.get_weights())
  plain_encoder.pooler_layer.set_weights(
      conditioned_encoder.pooler_layer.get_weights())
