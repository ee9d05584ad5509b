"""Fine-tuning batches cut to their longest example, optionally length-grouped.

GLUE examples are cached padded to `--max_seq_length` (Model Garden's
fixed-length records), but most are far shorter (the SST-2 sample: mean 13
tokens, batches of 32 padded to 48). Padding is masked out of attention, the
position table is indexed from 0 and every other layer works token by token,
so a batch whose longest example has n tokens gives the same outputs when
cut to its first n positions: `trim_to_longest` does that (equal up to float
rounding, tested; on TPU, where every new shape compiles anew, it is off).

`group_by_length` also makes the batches hold examples of similar length:
each window of `window` consecutive batches of the shuffled stream is
sorted by length, cut back into `window` batches, and those are put in a
seeded random order (Hugging Face's `group_by_length` idea). Which examples
share a batch changes, not which examples are seen: with `window` 8 and
batch 32 the SST-2 sample trains on about a third of the padded tokens.

Both work on the batched stream, one output batch per input batch, so a
stream positioned by skipping `n` batches (`runner._train_dataset_fn`)
resumes where an uninterrupted run would be.
"""

import tensorflow as tf

# Features of a [batch, seq_len] layout; every other feature is per example.
SEQUENCE_FEATURES = ('input_word_ids', 'input_mask', 'input_type_ids')


def _lengths(batch):
  return tf.reduce_sum(tf.cast(batch['input_mask'] > 0, tf.int32), axis=-1)


def trim_to_longest(batch):
  """`batch` with its `[batch, seq_len]` features cut to the longest
  example's length (at least 1 position)."""
  longest = tf.maximum(tf.reduce_max(_lengths(batch)), 1)
  return {k: (v[:, :longest] if k in SEQUENCE_FEATURES else v)
          for k, v in batch.items()}


def group_by_length(dataset: tf.data.Dataset, window: int,
                    seed: int) -> tf.data.Dataset:
  """Re-cuts each `window` consecutive batches of `dataset` by length.

  Args:
    dataset: batches (dicts of `[batch, ...]` tensors with `input_mask`),
      all of one batch size (a repeated training stream; a last partial
      window is dropped).
    window: batches sorted together (1: unchanged).
    seed: orders the batches inside each window (stateless, per window).

  Returns:
    Batches of the same size and features, `window` per input window.
  """
  if window <= 1:
    return dataset
  windows = dataset.batch(window, drop_remainder=True)

  def regroup(index, stacked):
    flat = {k: tf.reshape(v, tf.concat([[-1], tf.shape(v)[2:]], 0))
            for k, v in stacked.items()}
    order = tf.argsort(_lengths(flat), stable=True)
    batch_order = tf.random.experimental.stateless_shuffle(
        tf.range(window), seed=tf.stack([tf.cast(seed, tf.int64), index]))
    out = {}
    for k, v in flat.items():
      grouped = tf.reshape(tf.gather(v, order), tf.shape(stacked[k]))
      grouped = tf.gather(grouped, batch_order)
      grouped.set_shape(stacked[k].shape)
      out[k] = grouped
    return out

  return windows.enumerate().map(
      regroup, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def apply(dataset: tf.data.Dataset, trim: bool, window: int = 0,
          seed: int = 0) -> tf.data.Dataset:
  """`group_by_length` (when `window` > 1), then `trim_to_longest` (when
  `trim`), on a batched dataset."""
  if window > 1:
    dataset = group_by_length(dataset, window, seed)
  if trim:
    dataset = dataset.map(trim_to_longest,
                          num_parallel_calls=tf.data.AUTOTUNE)
  return dataset
