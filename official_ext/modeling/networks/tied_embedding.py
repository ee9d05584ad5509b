"""An embedding network that reuses another network's embedding tables.

ELECTRA ties the generator's token, position and type embeddings (and their
LayerNorm) to the discriminator's even when the generator is narrower: only the
projection from `embedding_width` to the generator's hidden size is its own.
Wraps a Model Garden `PackedSequenceEmbedding`; plugs into `EncoderScaffold`
as its `embedding_cls` instance.
"""

import tf_keras

from official.modeling import tf_utils
from official.nlp.modeling import layers

_SHARED_LAYERS = ('word_embeddings', 'position_embedding', 'type_embeddings',
                  'embeddings/layer_norm')


class TiedEmbeddingNetwork(tf_keras.Model):
  """Embeds `[word_ids, mask, type_ids]` with a source network's tables.

  A functional model (as `EncoderScaffold` requires of an embedding network)
  whose word/position/type embeddings and LayerNorm are the source's layers.

  Args:
    source: the discriminator's `PackedSequenceEmbedding`.
    hidden_size: output width; a projection is added when it differs from the
      source's embedding width.
    dropout_rate: dropout after the LayerNorm.
    initializer: initializer of the projection.

  Outputs `[embeddings [batch, seq_len, hidden_size],
  attention_mask [batch, seq_len, seq_len]]`.
  """

  def __init__(self, source, hidden_size, dropout_rate=0.0,
               initializer='glorot_uniform', name='tied_embeddings',
               **kwargs):
    initializer = tf_keras.initializers.get(initializer)
    word_ids = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                     name='input_word_ids')
    mask = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                 name='input_mask')
    type_ids = tf_keras.layers.Input(shape=(None,), dtype='int32',
                                     name='input_type_ids')
    words_layer, position_layer, type_layer, norm_layer = [
        source.get_layer(n) for n in _SHARED_LAYERS]
    words = words_layer(word_ids)
    embeddings = tf_keras.layers.Add()(
        [words, position_layer(words), type_layer(type_ids)])
    embeddings = tf_keras.layers.Dropout(dropout_rate)(norm_layer(embeddings))
    embedding_width = int(source.get_embedding_table().shape[-1])
    embeddings, attention_mask = project_and_mask(
        embeddings, mask, embedding_width, hidden_size, initializer)
    super().__init__(inputs=[word_ids, mask, type_ids],
                     outputs=[embeddings, attention_mask], name=name,
                     **kwargs)
    # A plain closure, not an attribute: tracking `source` would list the
    # discriminator's own layers (e.g. its projection) among our weights.
    self._source_table = source.get_embedding_table
    self._config_dict = {
        'hidden_size': hidden_size, 'dropout_rate': dropout_rate,
        'initializer': tf_keras.initializers.serialize(initializer)}

  def get_embedding_table(self):
    return self._source_table()

  def get_config(self):
    return dict(self._config_dict)


def project_and_mask(embeddings, mask, embedding_width, hidden_size,
                     initializer):
  """The tail every embedding network shares: project `[batch, seq_len,
  embedding_width]` to `hidden_size` when they differ (no bias, named
  `embedding_projection` as in Model Garden) and build the
  `[batch, seq_len, seq_len]` attention mask."""
  if embedding_width != hidden_size:
    embeddings = tf_keras.layers.EinsumDense(
        '...x,xy->...y', output_shape=hidden_size, bias_axes=None,
        kernel_initializer=tf_utils.clone_initializer(initializer),
        name='embedding_projection')(embeddings)
  return embeddings, layers.SelfAttentionMask()(embeddings, mask)


def embedding_table_of(network):
  """The `[vocab, width]` word-embedding table of an EncoderScaffold."""
  return network.embedding_network.get_embedding_table()

