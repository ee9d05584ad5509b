"""R3F (Aghajanyan et al. 2020): L + lambda * KL_sym(f(x) || f(x + z)).

z is noise added i.i.d. to every coordinate of the input token embeddings:
uniform on [-eps, eps] or normal(0, eps), eps = 1e-5 (fairseq's defaults:
uniform, lambda = 1.0). The model runs twice, clean and noisy; the penalty
compares the two output distributions.

  symmetric_kl(logits_p, logits_q)    KL(p||q) + KL(q||p) of the softmaxes
                                      over the last axis, batch mean
  embedding_noise(shape, kind, eps, seed)
  r3f_penalty(clean, noisy)           the KL term (see regression below)
  r3f_loss(task_loss, clean, noisy, lam)

Regression heads (last axis of size 1): a softmax over one output is
constant, so the categorical KL is always 0. `r3f_penalty` / `r3f_loss`
instead treat each output as the mean of a unit-variance Gaussian, whose
symmetric KL is exactly (a - b)^2 (each direction is (a - b)^2 / 2): the
batch mean of the squared difference, summed over any last axis of size 1.
`symmetric_kl` itself refuses a last axis of size 1.

All maths runs in float32 (mixed-precision logits are cast up).
"""

from typing import Callable, Dict, Sequence, Union

import tensorflow as tf

Seed = Union[int, Sequence[int], tf.Tensor, None]


def _kl_inputs(logits_p, logits_q):
  p = tf.cast(tf.convert_to_tensor(logits_p), tf.float32)
  q = tf.cast(tf.convert_to_tensor(logits_q), tf.float32)
  p.shape.assert_is_compatible_with(q.shape)
  if p.shape.rank == 0:
    raise ValueError('symmetric_kl needs logits with a class axis (rank >= '
                     f'1), got shape {p.shape}.')
  return p, q


def symmetric_kl(logits_p, logits_q) -> tf.Tensor:
  """Mean over leading axes of KL(p||q) + KL(q||p), p, q = softmax(logits).

  Args:
    logits_p: [..., C] logits (C >= 2), e.g. [batch, num_classes].
    logits_q: the same shape.

  Returns:
    float32 scalar. Computed as sum_c (p_c - q_c)(log p_c - log q_c) with
    log_softmax, so extreme logits stay finite.
  """
  p, q = _kl_inputs(logits_p, logits_q)
  if p.shape[-1] == 1:
    raise ValueError('symmetric_kl over a last axis of size 1 is always 0 '
                     '(softmax of one output); for a regression head use '
                     'r3f_penalty, which uses the Gaussian form (a - b)^2.')
  log_p = tf.nn.log_softmax(p, axis=-1)
  log_q = tf.nn.log_softmax(q, axis=-1)
  per_example = tf.reduce_sum(
      (tf.exp(log_p) - tf.exp(log_q)) * (log_p - log_q), axis=-1)
  return tf.reduce_mean(per_example)


def gaussian_symmetric_kl(outputs_p, outputs_q) -> tf.Tensor:
  """Symmetric KL of N(a, 1) and N(b, 1) = (a - b)^2; batch mean.

  Args: [..., 1] (or [..., K]: summed over the last axis) regression outputs.
  """
  a, b = _kl_inputs(outputs_p, outputs_q)
  return tf.reduce_mean(tf.reduce_sum(tf.square(a - b), axis=-1))


def r3f_penalty(clean_logits, noisy_logits) -> tf.Tensor:
  """symmetric_kl, or gaussian_symmetric_kl when the last axis is 1."""
  clean = tf.convert_to_tensor(clean_logits)
  if clean.shape.rank and clean.shape[-1] == 1:
    return gaussian_symmetric_kl(clean, noisy_logits)
  return symmetric_kl(clean, noisy_logits)


def r3f_loss(task_loss, clean_logits, noisy_logits,
             lam: float = 1.0) -> tf.Tensor:
  """task_loss + lam * r3f_penalty(clean_logits, noisy_logits), float32.

  `task_loss` is the loss of the clean pass. Gradients flow through both
  passes, as in fairseq.
  """
  if not lam >= 0:
    raise ValueError(f'r3f lambda must be >= 0, got {lam!r}.')
  return (tf.cast(task_loss, tf.float32)
          + float(lam) * r3f_penalty(clean_logits, noisy_logits))


def _seed_pair(seed) -> tf.Tensor:
  if isinstance(seed, int):
    return tf.constant([seed, 0], dtype=tf.int64)
  pair = tf.cast(tf.convert_to_tensor(seed), tf.int64)
  if pair.shape != (2,):
    raise ValueError(f'seed must be an int or a pair of ints, got {seed!r}.')
  return pair


def _uniform(shape, eps, seed, dtype):
  if seed is None:
    return tf.random.uniform(shape, -eps, eps, dtype=dtype)
  return tf.random.stateless_uniform(shape, _seed_pair(seed), -eps, eps,
                                     dtype=dtype)


def _normal(shape, eps, seed, dtype):
  if seed is None:
    return tf.random.normal(shape, 0.0, eps, dtype=dtype)
  return tf.random.stateless_normal(shape, _seed_pair(seed), 0.0, eps,
                                    dtype=dtype)


NOISE_KINDS: Dict[str, Callable] = {'uniform': _uniform, 'normal': _normal}


def embedding_noise(shape, kind: str = 'uniform', eps: float = 1e-5,
                    seed: Seed = None, dtype=tf.float32) -> tf.Tensor:
  """R3F noise z of `shape` (e.g. [batch, seq, hidden]).

  Args:
    shape: shape of the token embeddings the noise is added to.
    kind: 'uniform' (on [-eps, eps]) or 'normal' (mean 0, std eps).
    eps: noise scale, > 0.
    seed: None (stateful tf.random), or an int / [2] int pair for a
      reproducible stateless draw (an int s means the pair (s, 0)).
    dtype: dtype of the noise (match the embeddings').
  """
  if kind not in NOISE_KINDS:
    raise ValueError(f'unknown R3F noise kind {kind!r}; known kinds: '
                     f'{", ".join(sorted(NOISE_KINDS))}.')
  if not eps > 0:
    raise ValueError(f'R3F noise eps must be > 0, got {eps!r}.')
  return NOISE_KINDS[kind](shape, eps, seed, dtype)
