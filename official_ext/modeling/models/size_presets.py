"""Encoder sizes for ELECTRA and TEAMS (discriminator, generator).

TEAMS (paper Table 5): generator has the discriminator's width and half its
layers, sharing the bottom half of those with the discriminator. ELECTRA
(Clark et al. 2020): generator has the discriminator's depth and 1/4 (small,
large) or 1/3 (base) of its width; embeddings are tied.
`tiny` is for tests; `mini` (same depth, twice the width, full-width
embeddings) for the README's demo. Every size uses Model Garden's 'gelu'
(tanh) except `init_checkpoint`, which takes the checkpoint's activation
(e.g. the exact GELU of a Hugging Face BERT, `modeling.activations`).
"""

import dataclasses

from official.nlp.configs import encoders

from official_ext.modeling import activations

# name: (layers, hidden, embedding, heads, ffn)
DISCRIMINATOR_SIZES = {
    'tiny': (2, 64, 32, 2, 128),
    'mini': (2, 128, 128, 2, 512),
    'small': (12, 256, 128, 4, 1024),
    'base': (12, 768, 768, 12, 3072),
    'large': (24, 1024, 1024, 16, 4096),
}
# ELECTRA generator width: (hidden, heads, ffn)
ELECTRA_GENERATOR_WIDTH = {
    'tiny': (32, 1, 64),
    'mini': (64, 1, 256),
    'small': (64, 1, 256),
    'base': (256, 4, 1024),
    'large': (256, 4, 1024),
}


# name -> hidden_activation, where not Model Garden's 'gelu' (tanh).
HIDDEN_ACTIVATIONS = {}


CHECKPOINT_SIZE = 'init_checkpoint'
# Position-table length of size `init_checkpoint` (the checkpoint's).
CHECKPOINT_POSITIONS = {}


def register_checkpoint_size(layers, hidden, embedding, heads, ffn,
                             positions=None,
                             hidden_activation=activations.GELU_TANH):
  """Defines size `init_checkpoint` as an init checkpoint's shape,
  `positions` (its position-table length) included, and activation (its
  ELECTRA generator: a quarter of the width, at least 64)."""
  DISCRIMINATOR_SIZES[CHECKPOINT_SIZE] = (layers, hidden, embedding, heads,
                                          ffn)
  CHECKPOINT_POSITIONS.clear()
  if positions:
    CHECKPOINT_POSITIONS[CHECKPOINT_SIZE] = positions
  HIDDEN_ACTIVATIONS[CHECKPOINT_SIZE] = hidden_activation
  width = max(64, hidden // 4)
  ELECTRA_GENERATOR_WIDTH[CHECKPOINT_SIZE] = (width, max(1, width // 64),
                                              4 * width)


def position_table(size, max_seq_length):
  """Position-table length of an encoder of `size`: the checkpoint's for
  size `init_checkpoint` (records of up to that many tokens fit; a
  released 512-position encoder continued on 128-token records keeps its
  512 positions), else `max_seq_length` (MAX_SEQ_LENGTH)."""
  return CHECKPOINT_POSITIONS.get(size, max_seq_length)


def _check_size(size):
  if size not in DISCRIMINATOR_SIZES:
    raise ValueError(f'unknown size {size!r}; choose one of '
                     f'{sorted(DISCRIMINATOR_SIZES)}')


def encoder_config(num_layers, hidden_size, embedding_size, num_heads,
                   intermediate_size, vocab_size, max_seq_length=512,
                   dropout_rate=0.1, hidden_activation=activations.GELU_TANH
                   ) -> encoders.BertEncoderConfig:
  """A Model Garden BertEncoderConfig with the given shape."""
  return encoders.BertEncoderConfig(
      vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers,
      num_attention_heads=num_heads, intermediate_size=intermediate_size,
      hidden_activation=hidden_activation, dropout_rate=dropout_rate,
      attention_dropout_rate=dropout_rate,
      max_position_embeddings=max_seq_length, type_vocab_size=2,
      initializer_range=0.02, embedding_size=embedding_size)


def discriminator_config(size, vocab_size, **kwargs):
  """Discriminator BertEncoderConfig of a named size."""
  _check_size(size)
  layers, hidden, embedding, heads, ffn = DISCRIMINATOR_SIZES[size]
  kwargs.setdefault('hidden_activation', HIDDEN_ACTIVATIONS.get(
      size, activations.GELU_TANH))
  return encoder_config(layers, hidden, embedding, heads, ffn, vocab_size,
                        **kwargs)


def teams_generator_config(size, vocab_size, **kwargs):
  """TEAMS generator: same width, half the layers."""
  disc = discriminator_config(size, vocab_size, **kwargs)
  return dataclasses.replace(disc, num_layers=max(1, disc.num_layers // 2))


def teams_shared_layers(size):
  """Bottom layers the TEAMS generator shares (half of its own, at least 1)."""
  _check_size(size)
  return max(1, DISCRIMINATOR_SIZES[size][0] // 4)


def electra_generator_config(size, vocab_size, **kwargs):
  """ELECTRA generator: same depth and embedding width, narrower."""
  disc = discriminator_config(size, vocab_size, **kwargs)
  hidden, heads, ffn = ELECTRA_GENERATOR_WIDTH[size]
  return dataclasses.replace(disc, hidden_size=hidden,
                             num_attention_heads=heads,
                             intermediate_size=ffn)
