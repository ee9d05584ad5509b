"""Shared tiny configs, batches and weight copying for modeling tests."""

import dataclasses

import numpy as np
import tensorflow as tf

from official_ext.modeling.models import pretrainer_config

VOCAB = 60
SEQ = 16
PREDICTIONS = 4
BATCH = 3
MASK_ID = 4


def no_dropout(encoder_cfg):
  return dataclasses.replace(encoder_cfg, dropout_rate=0.0,
                             attention_dropout_rate=0.0)


def tiny_teams_config(**overrides):
  config = pretrainer_config.teams_config('tiny', VOCAB)
  config = dataclasses.replace(config, generator=no_dropout(config.generator),
                               discriminator=no_dropout(config.discriminator))
  return dataclasses.replace(config, **overrides)


def tiny_electra_config(**overrides):
  config = pretrainer_config.electra_config('tiny', VOCAB)
  config = dataclasses.replace(config, generator=no_dropout(config.generator),
                               discriminator=no_dropout(config.discriminator))
  return dataclasses.replace(config, **overrides)


def tiny_batch(seed=0, batch=BATCH, seq=SEQ, predictions=PREDICTIONS):
  """A masked batch: padding in row 1, one padded prediction slot per row."""
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, VOCAB, size=(batch, seq)).astype(np.int32)
  ids[:, 0] = 2  # [CLS]
  mask = np.ones((batch, seq), np.int32)
  mask[1, seq - 4:] = 0
  ids[1, seq - 4:] = 0
  positions = np.zeros((batch, predictions), np.int32)
  lm_ids = np.zeros((batch, predictions), np.int32)
  weights = np.zeros((batch, predictions), np.float32)
  for row in range(batch):
    real = predictions - 1
    limit = int(mask[row].sum())
    chosen = np.sort(rng.choice(np.arange(1, limit), real, replace=False))
    positions[row, :real] = chosen
    lm_ids[row, :real] = ids[row, chosen]
    weights[row, :real] = 1.0
    ids[row, chosen] = MASK_ID
  types = np.zeros((batch, seq), np.int32)
  types[:, seq // 2:] = 1
  types *= mask
  return {
      'input_word_ids': tf.constant(ids),
      'input_mask': tf.constant(mask),
      'input_type_ids': tf.constant(types),
      'masked_lm_positions': tf.constant(positions),
      'masked_lm_ids': tf.constant(lm_ids),
      'masked_lm_weights': tf.constant(weights),
  }


def uniform_draws(seed, batch=BATCH, predictions=PREDICTIONS, vocab=VOCAB):
  rng = np.random.default_rng(seed)
  return tf.constant(
      rng.uniform(1e-6, 1.0 - 1e-6, (batch, predictions, vocab)), tf.float32)


def copy_weights(pairs):
  """Copies weights from each (source, target) layer pair."""
  for source, target in pairs:
    values = source.get_weights()
    assert len(values) == len(target.get_weights()), (source.name, target.name)
    target.set_weights(values)


class QueuedUniform:
  """Stands in for tf.random.uniform, returning prepared draws in order."""

  def __init__(self, draws):
    self.draws = list(draws)
    self.calls = 0

  def __call__(self, shape, *args, **kwargs):
    del args, kwargs
    draw = self.draws[self.calls]
    self.calls += 1
    assert list(draw.shape) == [int(d) for d in shape], (draw.shape, shape)
    return draw


def aux_batch(seed=0, batch=4, seq=SEQ, predictions=PREDICTIONS):
  """`tiny_batch` plus every auxiliary label, shaped like the reader's output.

  With an even `batch`, rows batch/2.. can serve as the continuations of the
  first rows (QT/FS layout); `next_sentence_labels` has one row per pair.
  """
  out = tiny_batch(seed=seed, batch=batch, seq=seq, predictions=predictions)
  rng = np.random.default_rng(seed + 100)
  mask = out['input_mask'].numpy()
  ordinary = mask.astype(np.float32)
  ordinary[:, 0] = 0.0
  ordinary[np.arange(batch), mask.sum(1) - 1] = 0.0  # final [SEP]
  tgs_weights = np.zeros((batch, seq), np.float32)
  tgs_weights[:, 5] = 1.0
  out.update({
      'aux_token_weights': tf.constant(ordinary),
      'tf_labels': tf.constant(rng.uniform(0, 10, (batch, seq)), tf.float32),
      'tf_idf_labels': tf.constant(rng.uniform(0, 10, (batch, seq)),
                                   tf.float32),
      'token_length_labels': tf.constant(rng.integers(1, 8, (batch, seq)),
                                         tf.float32),
      'cap_labels': tf.constant(rng.integers(0, 2, (batch, seq)), tf.int32),
      'tcp_labels': tf.constant(rng.integers(0, 2, (batch, seq)), tf.int32),
      'tgs_labels': tf.constant(rng.integers(0, 6, (batch, seq)), tf.int32),
      'tgs_weights': tf.constant(tgs_weights),
      'scp_labels': tf.constant(rng.integers(0, 2, (batch // 2, 1)),
                                tf.int32),
      'next_sentence_labels': tf.constant(rng.integers(0, 2, (batch // 2, 1)),
                                          tf.int32),
  })
  return out
