"""TiedEmbeddingNetwork reuses the source tables and projects to its width."""

import numpy as np
import tensorflow as tf

from official.nlp.modeling import networks

from official_ext.modeling.networks import tied_embedding


def _source():
  return networks.PackedSequenceEmbedding(
      vocab_size=20, type_vocab_size=2, embedding_width=8, hidden_size=16,
      max_seq_length=10, initializer='glorot_uniform', dropout_rate=0.0)


def test_shares_tables_and_projects_to_its_own_width():
  source = _source()
  tied = tied_embedding.TiedEmbeddingNetwork(source, hidden_size=4)
  ids = tf.constant([[1, 5, 7, 0]])
  mask = tf.constant([[1, 1, 1, 0]])
  types = tf.constant([[0, 0, 1, 0]])
  embeddings, attention = tied([ids, mask, types])
  assert embeddings.shape == (1, 4, 4)
  assert attention.shape == (1, 4, 4)
  assert tied.get_embedding_table() is source.get_embedding_table()
  own = {id(w) for w in tied.weights}
  shared = {id(w) for w in source.weights if 'projection' not in w.name}
  assert shared <= own
  # The source's projection (to 16) is not ours; our own maps 8 -> 4.
  projections = [w for w in tied.weights if 'projection' in w.name]
  assert [tuple(w.shape) for w in projections] == [(8, 4)]
  # Before projection both compute the same normalised embeddings.
  words = source.get_layer('word_embeddings')(ids)
  summed = (words + source.get_layer('position_embedding')(words) +
            source.get_layer('type_embeddings')(types))
  normed = source.get_layer('embeddings/layer_norm')(summed)
  np.testing.assert_allclose(embeddings, tf.einsum(
      'bsx,xy->bsy', normed, projections[0]), rtol=1e-5, atol=1e-6)


def test_no_projection_at_equal_width():
  tied = tied_embedding.TiedEmbeddingNetwork(_source(), hidden_size=8)
  assert not [w for w in tied.weights if 'projection' in w.name]
  assert tied.get_config()['hidden_size'] == 8
