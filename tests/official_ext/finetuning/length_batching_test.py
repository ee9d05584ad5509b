"""Batches cut to their longest example and grouped by length."""

import numpy as np
import tensorflow as tf

from official.nlp.tasks import sentence_prediction
from official.projects.teams import teams

from official_ext.interchange import encoder_export
from official_ext.finetuning import length_batching
from official_ext.finetuning import sentence_prediction_task

SEQ = 12


def _examples(lengths, seed=0):
  """Padded examples of the given lengths (ids 1.., mask 1 on real tokens)."""
  rng = np.random.default_rng(seed)
  ids = np.zeros([len(lengths), SEQ], np.int32)
  for row, n in enumerate(lengths):
    ids[row, :n] = rng.integers(1, 50, n)
  mask = (ids > 0).astype(np.int32)
  return {'input_word_ids': ids, 'input_mask': mask,
          'input_type_ids': np.zeros_like(ids),
          'label_ids': np.arange(len(lengths), dtype=np.int32)}


def _batches(lengths, batch_size):
  return tf.data.Dataset.from_tensor_slices(_examples(lengths)).batch(
      batch_size, drop_remainder=True)


def test_trim_cuts_every_sequence_feature_to_the_longest_example():
  batch = next(iter(_batches([3, 5, 2, 4], 4)))
  trimmed = length_batching.trim_to_longest(batch)
  for key in length_batching.SEQUENCE_FEATURES:
    assert trimmed[key].shape == (4, 5)
    np.testing.assert_array_equal(trimmed[key], batch[key][:, :5])
  np.testing.assert_array_equal(trimmed['label_ids'], [0, 1, 2, 3])


def test_trim_keeps_one_position_of_an_all_padding_batch():
  batch = _examples([0, 0])
  assert length_batching.trim_to_longest(batch)['input_mask'].shape == (2, 1)


def test_group_sorts_each_window_and_keeps_every_example_once():
  lengths = [9, 1, 5, 12, 2, 7, 3, 11, 4, 10, 6, 8]  # 3 windows of 2 x 2
  out = list(length_batching.group_by_length(_batches(lengths, 2), 2, 7))
  assert len(out) == 6
  labels = [int(i) for b in out for i in b['label_ids']]
  assert sorted(labels) == list(range(12))
  for start in (0, 2, 4):  # each window's 4 examples, re-cut by length
    window = [int(i) for b in out[start:start + 2] for i in b['label_ids']]
    assert sorted(window) == list(range(2 * start, 2 * start + 4))
    pairs = [sorted(lengths[i] for i in b['label_ids'])
             for b in out[start:start + 2]]
    shorter, longer = sorted(pairs)
    assert shorter[1] <= longer[0]  # the two shortest share a batch
  for b in out:  # rows travel whole: ids still match their mask
    np.testing.assert_array_equal(b['input_mask'],
                                  (b['input_word_ids'].numpy() > 0).astype(np.int32))


def test_group_is_deterministic_per_seed_and_orders_batches_by_seed():
  lengths = list(range(1, 13)) * 4
  def labels(seed):
    return [[int(i) for i in b['label_ids']] for b in
            length_batching.group_by_length(_batches(lengths, 4), 6, seed)]
  assert labels(3) == labels(3)
  assert any(labels(s) != labels(3) for s in range(4, 10))


def test_apply_positions_like_the_input_stream():
  """One output batch per input batch: skipping n batches of the grouped
  stream resumes where the uninterrupted stream would be."""
  data = _batches(list(range(1, 13)) * 2, 3).repeat()
  whole = length_batching.apply(data, trim=True, window=4, seed=1)
  first = [b['label_ids'].numpy().tolist() for b in whole.take(10)]
  resumed = [b['label_ids'].numpy().tolist()
             for b in whole.skip(6).take(4)]
  assert resumed == first[6:]


# A tiny exported-encoder config (as `finetune --init_checkpoint` rebuilds
# it) with weights of scale 0.5, so activations are O(1).
_ENCODER_CONFIG = encoder_export.finetune_encoder_config(dict(
    vocab_size=60, hidden_size=32, num_layers=2, num_attention_heads=2,
    intermediate_size=64, max_position_embeddings=SEQ, type_vocab_size=2,
    embedding_size=32, dropout_rate=0.0, attention_dropout_rate=0.0,
    hidden_activation='gelu', initializer_range=0.5))


def test_trimmed_batch_gives_the_padded_batch_outputs():
  """The encoder's outputs on real tokens do not depend on trailing
  padding: trimming is exact up to float rounding (weights of scale 0.5, so
  activations are O(1))."""
  encoder = teams.get_encoder(_ENCODER_CONFIG.any)
  batch = _examples([3, 7, 5])
  inputs = lambda b: [b['input_word_ids'], b['input_mask'],
                      b['input_type_ids']]
  padded = encoder(inputs(batch))
  trimmed = encoder(inputs(length_batching.trim_to_longest(batch)))
  np.testing.assert_allclose(trimmed['pooled_output'],
                             padded['pooled_output'], atol=1e-5)
  mask = batch['input_mask'][:, :7, None]
  np.testing.assert_allclose(
      trimmed['sequence_output'] * mask,
      padded['sequence_output'][:, :7] * mask, atol=1e-5)
  assert np.abs(padded['pooled_output']).max() > 0.1  # not a trivial check


def test_trimmed_batch_gives_the_padded_batch_logits_and_loss():
  """The fine-tuning model and loss `runner` uses (the sentence-prediction
  task on the exported encoder's config), on identical weights: the trimmed
  batch's logits and loss are the padded batch's."""
  task = sentence_prediction_task.SentencePredictionTask(
      sentence_prediction.SentencePredictionConfig(
          model=sentence_prediction.ModelConfig(
              num_classes=3, encoder=_ENCODER_CONFIG)))
  model = task.build_model()
  batch = {k: tf.constant(v) for k, v in _examples([2, 9, 4, 6]).items()}
  batch['label_ids'] = tf.constant([0, 2, 1, 2])
  trimmed = length_batching.trim_to_longest(batch)
  assert trimmed['input_word_ids'].shape == (4, 9)
  padded_logits = model(batch, training=False)
  trimmed_logits = model(trimmed, training=False)
  np.testing.assert_allclose(trimmed_logits, padded_logits, atol=1e-5)
  assert np.ptp(padded_logits.numpy(), axis=0).max() > 0.1  # not constant
  padded_loss = task.build_losses(batch, padded_logits)
  trimmed_loss = task.build_losses(trimmed, trimmed_logits)
  np.testing.assert_allclose(trimmed_loss, padded_loss, rtol=1e-5)
