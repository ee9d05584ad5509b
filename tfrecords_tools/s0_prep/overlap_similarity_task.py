r"""A sentence-similarity task in the GLUE STS-B layout, made from any text.

  python -m tfrecords_tools.s0_prep.overlap_similarity_task \
      --input_tsv=data/sst2/train.tsv --output_dir=out/sts_overlap \
      --num_examples=2000 --split=train
  (again with --input_tsv=data/sst2/dev.tsv --split=dev)

Each pair is a real sentence `a` (first TSV column) and a copy `b` in which
`k` of its `n` words, `k` uniform in 0..n, are replaced by words of other
sentences of the same file (real words, so no out-of-vocabulary tell); the
label is `5 * (n - k) / n`, STS-B's 0-5 scale. The label is a deterministic
function of the text (word overlap), so a regression head that works learns
it, and dev Pearson/Spearman measure how well an encoder lines up the two
segments' words. It is a stand-in where STS-B itself is not on the machine,
not a substitute for it.

Writes `<output_dir>/STS-B/<split>.tsv` with STS-B's ten header columns
(what `python -m official_ext.finetune --task=glue/stsb` reads).
"""

import os
import random
from typing import List, Sequence, Tuple

from absl import app
from absl import flags
import tensorflow as tf

STSB_HEADER = ('index', 'genre', 'filename', 'year', 'old_index', 'source1',
               'source2', 'sentence1', 'sentence2', 'score')


def read_sentences(path: str, min_words: int = 4) -> List[str]:
  """First column of a TSV with a header; rows of >= `min_words` words."""
  with tf.io.gfile.GFile(path) as f:
    lines = f.read().splitlines()[1:]
  rows = [line.split('\t')[0].strip() for line in lines]
  return [r for r in rows if len(r.split()) >= min_words]


def make_pairs(sentences: Sequence[str], count: int,
               seed: int) -> List[Tuple[str, str, float]]:
  """`count` (a, b, label) pairs; see the module docstring."""
  if len(sentences) < 2:
    raise ValueError(f'need at least 2 sentences of 4+ words, got '
                     f'{len(sentences)}')
  rng = random.Random(seed)
  pool = [w for s in sentences for w in s.split()]
  pairs = []
  for _ in range(count):
    words = rng.choice(sentences).split()
    n = len(words)
    k = rng.randint(0, n)
    changed = list(words)
    for i in rng.sample(range(n), k):
      replacement = rng.choice(pool)
      while replacement == words[i] and len(set(pool)) > 1:
        replacement = rng.choice(pool)
      changed[i] = replacement
    pairs.append((' '.join(words), ' '.join(changed),
                  round(5.0 * (n - k) / n, 3)))
  return pairs


def write_stsb(pairs, output_dir: str, split: str) -> str:
  """Writes `<output_dir>/STS-B/<split>.tsv`; returns its path."""
  folder = os.path.join(output_dir, 'STS-B')
  tf.io.gfile.makedirs(folder)
  path = os.path.join(folder, f'{split}.tsv')
  with tf.io.gfile.GFile(path, 'w') as f:
    f.write('\t'.join(STSB_HEADER) + '\n')
    for i, (a, b, label) in enumerate(pairs):
      f.write('\t'.join([str(i), 'overlap', 'none', '0', str(i), 'none',
                         'none', a, b, f'{label:.3f}']) + '\n')
  return path


def main(argv):
  del argv
  flag_values = flags.FLAGS
  sentences = read_sentences(flag_values.input_tsv)
  pairs = make_pairs(sentences, flag_values.num_examples, flag_values.seed)
  path = write_stsb(pairs, flag_values.output_dir, flag_values.split)
  print(f'{len(pairs)} pairs from {len(sentences)} sentences -> {path}')


if __name__ == '__main__':
  flags.DEFINE_string('input_tsv', None, 'TSV with a header; sentences in '
                      'the first column (e.g. data/sst2/train.tsv).')
  flags.DEFINE_string('output_dir', None, 'Writes <output_dir>/STS-B/.')
  flags.DEFINE_enum('split', 'train', ['train', 'dev'], 'Which file.')
  flags.DEFINE_integer('num_examples', 2000, 'Pairs to write.')
  flags.DEFINE_integer('seed', 0, 'Sampling seed.')
  flags.mark_flags_as_required(['input_tsv', 'output_dir'])
  app.run(main)
