"""Multi-word selection (MWS) head of TEAMS.

For each masked position the head scores a candidate set (the original token
first, then K negatives) by the inner product between a transformed hidden
vector and the candidates' input embeddings:

  logit[b, p, c] = LayerNorm(Dense(h[b, positions[b, p]])) . E[candidates[b, p, c]]

`E` is the discriminator's word-embedding table `[vocab, embedding_width]`, so
the dense layer maps `hidden -> embedding_width`.
"""

import tensorflow as tf
import tf_keras


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class MultiWordSelectionHead(tf_keras.layers.Layer):
  """Scores candidate tokens at masked positions against an embedding table.

  Args:
    embedding_table: `[vocab, embedding_width]` variable (the discriminator's
      word embeddings).
    activation: activation of the transform's dense layer.
    initializer: kernel initializer of the dense layer.
    layer_norm_epsilon: epsilon of the transform's LayerNorm.
  """

  def __init__(self, embedding_table, activation=None,
               initializer='glorot_uniform', layer_norm_epsilon=1e-12,
               name='mws', **kwargs):
    super().__init__(name=name, **kwargs)
    self.embedding_table = embedding_table
    self._activation = tf_keras.activations.get(activation)
    self._initializer = tf_keras.initializers.get(initializer)
    self._layer_norm_epsilon = layer_norm_epsilon
    self.embedding_width = int(embedding_table.shape[-1])
    self.dense = tf_keras.layers.Dense(
        self.embedding_width, activation=self._activation,
        kernel_initializer=self._initializer, name='transform/mws_dense')
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=layer_norm_epsilon, name='transform/mws_layernorm')

  def call(self, sequence_data, masked_positions, candidate_ids):
    """Candidate logits.

    Args:
      sequence_data: `[batch, seq_len, hidden]` discriminator output.
      masked_positions: `[batch, num_predictions]` int positions.
      candidate_ids: `[batch, num_predictions, num_candidates]` token ids.

    Returns:
      `[batch, num_predictions, num_candidates]` logits.
    """
    gathered = tf.gather(sequence_data, masked_positions, batch_dims=1)
    query = self.layer_norm(self.dense(gathered))
    candidates = tf.gather(self.embedding_table, candidate_ids)
    candidates = tf.cast(candidates, query.dtype)
    return tf.einsum('bpe,bpce->bpc', query, candidates)

  def get_config(self):
    config = super().get_config()
    config.update({
        'embedding_table': self.embedding_table,
        'activation': tf_keras.activations.serialize(self._activation),
        'initializer': tf_keras.initializers.serialize(self._initializer),
        'layer_norm_epsilon': self._layer_norm_epsilon,
    })
    return config
