"""A fixed, class-balanced subset of a prepared training set (learning curves).

`finetune --max_train_examples=N` trains on N of the task's training
examples. The subset depends only on the training records, N and the subset
seed (`--train_subset_seed`), never on the run's seed or the encoder, so every
seed and every encoder of a learning-curve point sees the same examples.

Selection (`select`): examples are grouped by label (regression tasks form one
group); the groups are filled evenly ("water-filling"): in order of size,
smallest first (ties by label), each group takes
`min(its size, remaining // groups left)`, so a group too small for an even
share gives all its examples and the larger groups share the rest; the last
group takes what remains. Each group draws its quota with
`random.Random(seed).sample` over its example indices (groups in label
order). The subset keeps source order and is written once as
`train-n<N>-seed<S>.tf_record` next to the full training TFRecord.
"""

import collections
import dataclasses
import os
import random
from typing import Dict, List, Sequence

import tensorflow as tf


class SubsetError(ValueError):
  """The requested subset size cannot be drawn."""


def check_size(size: int, available: int, flag: str = '--max_train_examples',
               what: str = 'training examples') -> None:
  """One-line `SubsetError` unless `1 <= size <= available`."""
  if size < 1:
    raise SubsetError(f'{flag}={size}: must be at least 1')
  if size > available:
    raise SubsetError(f'{flag}={size}: the task has only {available} '
                      f'{what}')


def quotas(counts: Dict[object, int], size: int) -> Dict[object, int]:
  """Per-group quotas summing to `size`, as even as group sizes allow."""
  check_size(size, sum(counts.values()))
  order = sorted(counts, key=lambda g: (counts[g], str(g)))
  remaining, result = size, {}
  for i, group in enumerate(order):
    take = min(counts[group], remaining // (len(order) - i))
    if i == len(order) - 1:
      take = remaining
    result[group] = take
    remaining -= take
  return result


def select(labels: Sequence[object], size: int, seed: int = 0) -> List[int]:
  """Sorted indices of `size` examples, balanced over `labels` (see module
  docstring); the same arguments give the same indices."""
  groups = collections.defaultdict(list)
  for index, label in enumerate(labels):
    groups[label].append(index)
  wanted = quotas({g: len(v) for g, v in groups.items()}, size)
  rng = random.Random(seed)
  picked = []
  for group in sorted(groups, key=str):
    picked.extend(rng.sample(groups[group], wanted[group]))
  return sorted(picked)


def _label(record: bytes):
  """The `label_ids` of one serialized sentence-prediction example."""
  feature = tf.train.Example.FromString(record).features.feature['label_ids']
  values = feature.int64_list.value or feature.float_list.value
  return values[0]


def _regression_key(label):
  return None if isinstance(label, float) else label


def apply(prepared, size: int, seed: int = 0):
  """`prepared` (a `glue_data.PreparedData`) training on `size` examples.

  Writes (or reuses) the subset TFRecord and returns a copy of `prepared`
  whose `train_path`/`num_train` point to it and whose `train_subset`
  records {size, seed, of, labels} for run.json.
  """
  check_size(size, prepared.num_train)
  path = os.path.join(os.path.dirname(prepared.train_path),
                      f'train-n{size}-seed{seed}.tf_record')
  if tf.io.gfile.exists(path):  # Written by an earlier run: read only it.
    chosen = [r.numpy() for r in tf.data.TFRecordDataset(path)]
  else:
    records = [r.numpy()
               for r in tf.data.TFRecordDataset(prepared.train_path)]
    labels = [_regression_key(_label(r)) for r in records]
    chosen = [records[i] for i in select(labels, size, seed)]
    tmp = path + '.tmp'
    with tf.io.TFRecordWriter(tmp) as writer:
      for record in chosen:
        writer.write(record)
    tf.io.gfile.rename(tmp, path, overwrite=True)
  counts = collections.Counter(str(_regression_key(_label(r)))
                               for r in chosen)
  return dataclasses.replace(
      prepared, train_path=path, num_train=size,
      train_subset={'size': size, 'seed': seed, 'of': prepared.num_train,
                    'labels': dict(sorted(counts.items()))})
