"""Samplers that turn generator logits into replacement tokens and candidates.

Both samplers take their randomness as an explicit `uniform` tensor
`[batch, num_predictions, vocab]` in (0, 1), so a caller can inject the draws
(parity tests) or make them reproducible (`draw_uniform` with a seed). The
Gumbel transform is the one Model Garden's ELECTRA/TEAMS pretrainers use, so
the same uniform draws give the same tokens as the peer.

* `sample_replacements`: one token per masked position from the generator's
  softmax (Gumbel-max), optionally never the original token.
* `sample_candidates`: K tokens per masked position, never the original and
  never twice: "sampled" draws them without replacement from the softmax
  (Gumbel-top-K); "hardest" takes the K most probable non-original tokens.
"""

import tensorflow as tf

from official_ext.modeling.layers import row_random

CANDIDATE_STRATEGIES = ('sampled', 'hardest')
_GUMBEL_EPS = 1e-9


def draw_uniform(shape, seed=None):
  """Uniform (0, 1) draws of `shape`; stateless and repeatable if `seed`.

  Args:
    shape: Shape of the draw, e.g. `[batch, num_predictions, vocab]`.
    seed: None (stateful global RNG) or an int32/int64 `[2]` seed tensor.

  Returns:
    A float32 tensor of `shape`.
  """
  if seed is None:
    return tf.random.uniform(shape, minval=0.0, maxval=1.0)
  return tf.random.stateless_uniform(shape, seed=seed, minval=0.0, maxval=1.0)


def draw_uniform_per_row(row_seeds, row_shape):
  """One stateless draw of `row_shape` per batch row, all rows at once.

  Each row's draw depends only on its own seed, so splitting a batch across
  replicas does not change any row's randomness. Vectorised (one fused
  SplitMix64 pass over the batch, `row_random.row_uniform`), not a per-row
  loop.

  Args:
    row_seeds: `[batch, 2]` int64 seeds.
    row_shape: shape of each row's draw, e.g. `[2, num_predictions, vocab]`.

  Returns:
    `[batch] + row_shape` float32 uniform draws in (0, 1).
  """
  return row_random.row_uniform(row_seeds, row_shape)


def row_fingerprints(token_ids):
  """`[batch]` int64 content hash of each row of `[batch, seq_len]` ids."""
  ids = tf.cast(token_ids, tf.int64)
  length = tf.shape(ids, out_type=tf.int64)[1]
  weights = tf.range(1, length + 1, dtype=tf.int64) * 2654435761 % 2147483647
  return tf.reduce_sum(ids * weights[None, :], axis=1) % 2147483647


def gumbel_from_uniform(uniform):
  """Standard Gumbel noise from uniform draws, `-log(-log(u))` (stabilised)."""
  return -tf.math.log(-tf.math.log(uniform + _GUMBEL_EPS) + _GUMBEL_EPS)


def exclude_ids(logits, ids):
  """Sets `logits[..., ids]` to -inf.

  Args:
    logits: `[batch, num_predictions, vocab]` float logits.
    ids: `[batch, num_predictions]` int ids to exclude.

  Returns:
    Float32 logits of the same shape, -inf at the excluded ids.
  """
  logits = tf.cast(logits, tf.float32)
  hit = tf.one_hot(ids, depth=tf.shape(logits)[-1], on_value=True,
                   off_value=False)
  return tf.where(hit, tf.constant(float('-inf'), tf.float32), logits)


def sample_replacements(logits, uniform, disallow_ids=None):
  """Draws one token per position from `softmax(logits)` (Gumbel-max).

  Args:
    logits: `[batch, num_predictions, vocab]` generator logits.
    uniform: `[batch, num_predictions, vocab]` uniform draws in (0, 1).
    disallow_ids: optional `[batch, num_predictions]` ids never to return
      (ELECTRA's `disallow_correct`).

  Returns:
    `[batch, num_predictions]` int32 sampled ids.
  """
  logits = tf.cast(logits, tf.float32)
  if disallow_ids is not None:
    logits = exclude_ids(logits, disallow_ids)
  return tf.argmax(logits + gumbel_from_uniform(uniform), axis=-1,
                   output_type=tf.int32)


def sample_candidates(logits, original_ids, num_negatives, strategy='sampled',
                      uniform=None):
  """K non-original, distinct candidate tokens per position.

  Args:
    logits: `[batch, num_predictions, vocab]` generator logits.
    original_ids: `[batch, num_predictions]` the true tokens (never returned).
    num_negatives: K, the number of negatives (the paper's K; Model Garden's
      `candidate_size` is K + 1).
    strategy: "sampled" (without replacement from the softmax) or "hardest"
      (top-K non-original by logit).
    uniform: `[batch, num_predictions, vocab]` uniform draws; required for
      "sampled", ignored for "hardest".

  Returns:
    `[batch, num_predictions, K]` int32 ids, most likely first.

  Raises:
    ValueError: unknown strategy, K < 1, K >= vocab, or no draws for "sampled".
  """
  if strategy not in CANDIDATE_STRATEGIES:
    raise ValueError(f'candidate strategy {strategy!r} is not one of '
                     f'{CANDIDATE_STRATEGIES}')
  vocab_size = logits.shape[-1]
  if num_negatives < 1 or (vocab_size is not None and
                           num_negatives >= vocab_size):
    raise ValueError(f'num_negatives={num_negatives} must be in '
                     f'[1, vocab_size - 1 = {vocab_size - 1}]')
  scores = exclude_ids(logits, original_ids)
  if strategy == 'sampled':
    if uniform is None:
      raise ValueError('strategy "sampled" needs uniform draws')
    scores += gumbel_from_uniform(uniform)
  return tf.math.top_k(scores, k=num_negatives, sorted=True).indices
