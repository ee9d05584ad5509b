"""Per-row uniform draws for a whole batch at once (no per-row loop).

Each batch row has its own int64 `[2]` seed and gets its own stream of
uniforms, so a row's draws depend only on its seed: splitting a batch over
replicas, or reordering it, changes no row's randomness.

The stream is SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom
number generators", OOPSLA 2014): state_i = key + (i + 1) * golden_gamma,
output_i = mix64(state_i), a generator that passes BigCrush. The row's key is
mix64 of its two seed words. Every element is computed independently from its
counter, so the whole `[batch, n]` draw is a handful of element-wise uint64
ops; they are XLA-compiled into one fused loop (`jit_compile=True`), which
also holds inside a non-XLA train step. Uniforms take the top 24 bits:
(bits + 0.5) / 2^24, strictly inside (0, 1) (no log(0) in Gumbel noise).
"""

import tensorflow as tf

_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_MIX_1 = 0xBF58476D1CE4E5B9
_MIX_2 = 0x94D049BB133111EB
_SEED_SALT = 0xD1B54A32D192ED03
_FLOAT_BITS = 24


def _u64(value):
  return tf.constant(value, tf.uint64)


def mix64(z):
  """SplitMix64's finaliser on a uint64 tensor (element-wise bijection)."""
  z = tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, _u64(30))) * _u64(
      _MIX_1)
  z = tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, _u64(27))) * _u64(
      _MIX_2)
  return tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, _u64(31)))


def row_keys(row_seeds):
  """`[batch]` uint64 stream keys from `[batch, 2]` integer seeds."""
  seeds = tf.bitcast(tf.cast(row_seeds, tf.int64), tf.uint64)
  return mix64(seeds[:, 0] * _u64(_SEED_SALT) +
               mix64(seeds[:, 1] + _u64(_GOLDEN_GAMMA)))


def _row_bits(row_seeds, num):
  """`[batch, num]` uint64: the first `num` SplitMix64 outputs of each row."""
  counters = tf.bitcast(tf.range(1, num + 1, dtype=tf.int64), tf.uint64)
  states = row_keys(row_seeds)[:, None] + counters[None, :] * _u64(
      _GOLDEN_GAMMA)
  return mix64(states)


@tf.function(jit_compile=True)
def _row_uniform_flat(row_seeds, num):
  bits = tf.bitwise.right_shift(_row_bits(row_seeds, num),
                                _u64(64 - _FLOAT_BITS))
  return (tf.cast(bits, tf.float32) + 0.5) * (1.0 / (1 << _FLOAT_BITS))


def row_uniform(row_seeds, row_shape):
  """One uniform draw of `row_shape` per batch row, all rows at once.

  Args:
    row_seeds: `[batch, 2]` integer seeds (int32 or int64).
    row_shape: shape of each row's draw, e.g. `[2, num_predictions, vocab]`
      (list or 1-D int tensor).

  Returns:
    `[batch] + row_shape` float32 draws in (0, 1); row b is a function of
    `row_seeds[b]` only.
  """
  row_shape = tf.cast(tf.convert_to_tensor(row_shape), tf.int32)
  num = tf.reduce_prod(row_shape)
  flat = _row_uniform_flat(tf.cast(row_seeds, tf.int64), num)
  return tf.reshape(flat, tf.concat([tf.shape(row_seeds)[:1], row_shape], 0))
