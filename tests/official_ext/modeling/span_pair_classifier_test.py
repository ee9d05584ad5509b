"""SpanPairClassifier reads the marker states and learns a span relation."""

import numpy as np
import tensorflow as tf
import tf_keras

from official_ext.modeling.models import span_pair_classifier

VOCAB, SEQ, M1, M2 = 12, 10, 10, 11


class _LocalEncoder(tf_keras.Model):
  """Stub encoder: embeddings mixed over a window of 3 (no attention)."""

  def __init__(self):
    super().__init__()
    self.embed = tf_keras.layers.Embedding(VOCAB, 16)
    self.mix = tf_keras.layers.Conv1D(16, 3, padding='same',
                                      activation='relu')

  def call(self, inputs, training=None):
    return {'sequence_output': self.mix(self.embed(inputs['input_word_ids']))}


def _inputs(ids):
  ids = tf.constant(ids, tf.int32)
  return {'input_word_ids': ids, 'input_mask': tf.ones_like(ids),
          'input_type_ids': tf.zeros_like(ids)}


def _batch(rng, n):
  """Marker 1 then word a at 1..2, marker 2 then word b; label a == b."""
  ids = rng.integers(1, 10, size=(n, SEQ))
  labels = rng.integers(0, 2, size=n)
  for i in range(n):
    p1, p2 = rng.integers(1, 4), rng.integers(5, SEQ - 1)
    ids[i, p1], ids[i, p2] = M1, M2
    word = rng.integers(1, 10)
    ids[i, p1 + 1] = word
    ids[i, p2 + 1] = word if labels[i] else 1 + (word % 9)
  return ids, labels


def test_first_position():
  ids = tf.constant([[2, 5, 7, 5], [1, 1, 1, 1]])
  assert span_pair_classifier.first_position(ids, 5).numpy().tolist() == [
      1, 0]


def test_reads_only_the_marker_neighbourhoods_and_round_trips_config():
  model = span_pair_classifier.SpanPairClassifier(
      _LocalEncoder(), (M1, M2), num_classes=3, dropout_rate=0.0)
  ids = np.array([[1, M1, 2, 3, 4, 5, 6, M2, 7, 8]])
  logits = model(_inputs(ids)).numpy()
  assert logits.shape == (1, 3)
  far = ids.copy()
  far[0, 4] = 9  # two tokens away from both markers
  np.testing.assert_allclose(model(_inputs(far)).numpy(), logits, atol=1e-6)
  near = ids.copy()
  near[0, 8] = 9  # right after marker 2
  assert not np.allclose(model(_inputs(near)).numpy(), logits)
  config = model.get_config()
  assert config['marker_ids'] == (M1, M2) and config['num_classes'] == 3
  assert model.checkpoint_items['encoder'] is model.encoder


def test_learns_whether_the_two_spans_match():
  tf_keras.utils.set_random_seed(0)
  rng = np.random.default_rng(0)
  model = span_pair_classifier.SpanPairClassifier(
      _LocalEncoder(), (M1, M2), num_classes=2, dropout_rate=0.0)
  model.compile(optimizer=tf_keras.optimizers.Adam(0.01),
                loss=tf_keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True))
  ids, labels = _batch(rng, 512)
  model.fit(_inputs(ids), labels, batch_size=64, epochs=15, verbose=0)
  test_ids, test_labels = _batch(rng, 256)
  accuracy = np.mean(np.argmax(model(_inputs(test_ids)).numpy(), -1)
                     == test_labels)
  assert accuracy > 0.9
