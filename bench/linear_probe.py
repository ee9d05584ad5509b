r"""Do an exported encoder's frozen features carry the task? A linear probe.

  .venv/bin/python bench/linear_probe.py --export_dirs=DIR[,DIR...] \
      [--train_sizes=100,300,2000] [--max_seq_length=48]

For each export (`official_ext.export` output) it encodes the bundled SST-2
sample (data/sst2: train and dev) with the frozen encoder, fits a logistic
regression (scikit-learn, C=1) on the first N of a fixed (seed 0)
permutation of the training sentences, and prints dev accuracy (%) for two
sentence features: the [CLS] vector and the mask-weighted mean of
`sequence_output`. If a pretrained encoder's probe is no better than the
untrained one's, its features hold no more of the task than random ones, and
fine-tuning cannot be expected to gain from them (the demo's measured
BERT-mini: README "Set-up").
"""
import os

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS


def define_flags():
  """token_cosine's flags (--export_dirs, --max_seq_length) and ours."""
  import token_cosine  # pylint: disable=g-import-not-at-top,unused-import
  FLAGS.set_default('max_seq_length', 48)
  flags.DEFINE_list('train_sizes', ['100', '300', '2000'], 'Probe training '
                    'set sizes.')
  flags.DEFINE_integer('batch_size', 256, 'Sentences encoded per call.')


def _sst2(split):
  """(sentences, int labels) of data/sst2/<split>.tsv."""
  path = os.path.join(REPO, 'data', 'sst2', f'{split}.tsv')
  with tf.io.gfile.GFile(path) as f:
    rows = [line.rsplit('\t', 1) for line in f.read().split('\n')[1:]
            if line.strip()]
  return [text.strip() for text, _ in rows], np.array(
      [int(label) for _, label in rows])


def features(export_dir, sentences, length, batch_size):
  """[N, 2 * hidden]: the [CLS] vector, then the masked mean of tokens."""
  import token_cosine  # pylint: disable=g-import-not-at-top
  ids, mask = token_cosine._batch(export_dir, sentences, length)  # pylint: disable=protected-access
  serve = tf.saved_model.load(
      os.path.join(export_dir, 'saved_model')).signatures['serving_default']
  out = []
  for start in range(0, len(ids), batch_size):
    part_ids = tf.constant(ids[start:start + batch_size])
    part_mask = mask[start:start + batch_size]
    sequence = serve(input_word_ids=part_ids,
                     input_mask=tf.constant(part_mask),
                     input_type_ids=tf.zeros_like(part_ids))[
                         'sequence_output'].numpy()
    weights = part_mask[..., None]
    out.append(np.concatenate(
        [sequence[:, 0], (sequence * weights).sum(1) / weights.sum(1)], 1))
  return np.concatenate(out)


def probe(train_x, train_y, dev_x, dev_y, size):
  """Dev accuracy (%) of a logistic regression on `size` training rows."""
  from sklearn import linear_model  # pylint: disable=g-import-not-at-top
  chosen = np.random.RandomState(0).permutation(len(train_x))[:size]
  model = linear_model.LogisticRegression(C=1.0, max_iter=2000)
  model.fit(train_x[chosen], train_y[chosen])
  return 100.0 * model.score(dev_x, dev_y)


def main(argv):
  del argv
  sizes = [int(size) for size in FLAGS.train_sizes]
  (train, train_y), (dev, dev_y) = _sst2('train'), _sst2('dev')
  print('| export | feature | ' + ' | '.join(f'n={s}' for s in sizes) +
        ' |\n|---|---|' + '---:|' * len(sizes))
  for export_dir in FLAGS.export_dirs:
    train_x = features(export_dir, train, FLAGS.max_seq_length,
                       FLAGS.batch_size)
    dev_x = features(export_dir, dev, FLAGS.max_seq_length,
                     FLAGS.batch_size)
    hidden = train_x.shape[1] // 2
    for name, columns in (('[CLS]', slice(0, hidden)),
                          ('mean', slice(hidden, None))):
      scores = [probe(train_x[:, columns], train_y, dev_x[:, columns], dev_y,
                      size) for size in sizes]
      print(f'| {export_dir} | {name} | ' +
            ' | '.join(f'{s:.1f}' for s in scores) + ' |', flush=True)


if __name__ == '__main__':
  define_flags()
  flags.mark_flag_as_required('export_dirs')
  app.run(main)
