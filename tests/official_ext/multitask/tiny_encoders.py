"""Tiny encoders for the multi-task model tests (2 layers, hidden 32).

`teams_encoder()`: the `EncoderScaffold` our export writes
(`teams.get_encoder` on a `size_presets.encoder_config`); `bert_encoder()`:
Model Garden's `BertEncoderV2`. Dropout 0, so training=True is deterministic.
"""

import tensorflow as tf

from official.nlp.modeling import networks
from official.projects.teams import teams
from official_ext.modeling.models import size_presets

VOCAB, HIDDEN, EMBEDDING, MAX_LEN = 100, 32, 16, 32


def teams_encoder():
  config = size_presets.encoder_config(
      num_layers=2, hidden_size=HIDDEN, embedding_size=EMBEDDING, num_heads=2,
      intermediate_size=64, vocab_size=VOCAB, max_seq_length=MAX_LEN,
      dropout_rate=0.0)
  return teams.get_encoder(config)


def bert_encoder():
  return networks.BertEncoderV2(
      vocab_size=VOCAB, hidden_size=HIDDEN, num_layers=2,
      num_attention_heads=2, inner_dim=64, max_sequence_length=MAX_LEN,
      output_dropout=0.0, attention_dropout=0.0)


ENCODERS = {'teams': teams_encoder, 'bert_v2': bert_encoder}


def inputs(batch=3, seq_len=8, seed=0, choices=None):
  """Encoder inputs `[batch, seq_len]` (or `[batch, choices, seq_len]`); the
  last two positions of every row are padding."""
  shape = [batch, seq_len] if choices is None else [batch, choices, seq_len]
  ids = tf.random.stateless_uniform(shape, [seed, 1], 1, VOCAB, tf.int32)
  mask = tf.concat([tf.ones(shape[:-1] + [seq_len - 2], tf.int32),
                    tf.zeros(shape[:-1] + [2], tf.int32)], axis=-1)
  return {'input_word_ids': ids * mask, 'input_mask': mask,
          'input_type_ids': tf.zeros(shape, tf.int32)}
