r"""Deterministic class-balanced train/dev samples of a labelled TSV.

Rows are grouped by label (the `--label_column`-th field); the labels are
taken in sorted order and each draws its quota of train and then dev rows
with one `random.Random(seed)` (`rng.sample` over its row indices), so the
two splits are disjoint. Quotas split `--train` and `--dev` evenly over the
labels (the first labels in sorted order take any remainder). Both files
keep their rows unchanged and in source order, under a header row.

The bundled AG News sample (`data/agnews/`, see `data/README.md`):

  python -m official_ext.multitask.sample_tsv \
    --input=/work/shared/data/agnews/dev.tsv --output_dir=data/agnews \
    --train=1200 --dev=400 --seed=0
"""

import collections
import os
import random
from typing import Dict, List, Sequence, Tuple

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf


class SampleError(ValueError):
  """The input cannot give the requested sample; names file or label."""


def read_rows(path: str, num_columns: int, has_header: bool
              ) -> List[Tuple[int, str, List[str]]]:
  """(line number, line, fields) of every non-blank data row.

  Raises:
    SampleError: a row whose column count is not `num_columns` (file:line).
  """
  with tf.io.gfile.GFile(path) as f:
    lines = f.read().split('\n')
  rows = []
  for number, line in enumerate(lines, start=1):
    if (has_header and number == 1) or not line.strip():
      continue
    fields = line.split('\t')
    if len(fields) != num_columns:
      raise SampleError(f'{path}:{number}: expected {num_columns} '
                        f'tab-separated columns, found {len(fields)}')
    rows.append((number, line, fields))
  return rows


def _quotas(total, labels):
  base, extra = divmod(total, len(labels))
  return {label: base + (1 if i < extra else 0)
          for i, label in enumerate(labels)}


def balanced_sample(labels: Sequence[str], num_train: int, num_dev: int,
                    seed: int = 0) -> Tuple[List[int], List[int]]:
  """Disjoint train and dev row indices, balanced over labels.

  Args:
    labels: the label of each row.
    num_train, num_dev: sample sizes.
    seed: `random.Random` seed.

  Returns:
    (train indices, dev indices), each sorted.

  Raises:
    SampleError: a label has fewer rows than its quotas need.
  """
  by_label = collections.defaultdict(list)
  for index, label in enumerate(labels):
    by_label[label].append(index)
  names = sorted(by_label)
  if not names:
    raise SampleError('no rows to sample from')
  train_quota, dev_quota = _quotas(num_train, names), _quotas(num_dev, names)
  rng = random.Random(seed)
  train, dev = [], []
  for name in names:
    need = train_quota[name] + dev_quota[name]
    if len(by_label[name]) < need:
      raise SampleError(f'label {name!r} has {len(by_label[name])} rows; '
                        f'{train_quota[name]} train + {dev_quota[name]} dev '
                        f'need {need}')
    picked = rng.sample(by_label[name], need)
    train.extend(picked[:train_quota[name]])
    dev.extend(picked[train_quota[name]:])
  return sorted(train), sorted(dev)


def sample_tsv(input_path: str, output_dir: str, num_train: int,
               num_dev: int, seed: int = 0,
               header: Sequence[str] = ('text_a', 'label'),
               input_has_header: bool = False,
               label_column: int = -1) -> Dict[str, Dict[str, int]]:
  """Writes `output_dir/{train,dev}.tsv`; returns split -> label -> rows."""
  rows = read_rows(input_path, len(header), input_has_header)
  labels = [fields[label_column].strip() for _, _, fields in rows]
  train, dev = balanced_sample(labels, num_train, num_dev, seed)
  tf.io.gfile.makedirs(output_dir)
  counts = {}
  for split, indices in (('train', train), ('dev', dev)):
    path = os.path.join(output_dir, f'{split}.tsv')
    with tf.io.gfile.GFile(path, 'w') as f:
      f.write('\n'.join(['\t'.join(header)] +
                        [rows[i][1] for i in indices]) + '\n')
    counts[split] = dict(sorted(collections.Counter(
        labels[i] for i in indices).items()))
    logging.info('%s: %d rows %s', path, len(indices), counts[split])
  return counts


FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('input', None, 'Labelled TSV to sample from.')
  flags.DEFINE_string('output_dir', None, 'Where train.tsv, dev.tsv go.')
  flags.DEFINE_integer('train', 1200, 'Training rows.')
  flags.DEFINE_integer('dev', 400, 'Dev rows.')
  flags.DEFINE_integer('seed', 0, 'random.Random seed.')
  flags.DEFINE_list('header', ['text_a', 'label'],
                    'Column names written as the header row (and the '
                    'expected column count).')
  flags.DEFINE_bool('input_has_header', False,
                    'Skip the first line of --input.')
  flags.DEFINE_integer('label_column', -1, 'Index of the label field.')
  flags.mark_flags_as_required(['input', 'output_dir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  sample_tsv(FLAGS.input, FLAGS.output_dir, FLAGS.train, FLAGS.dev,
             FLAGS.seed, FLAGS.header, FLAGS.input_has_header,
             FLAGS.label_column)


if __name__ == '__main__':
  define_flags()
  app.run(main)
