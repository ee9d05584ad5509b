r"""How collapsed are an exported encoder's representations? Mean cosines.

  .venv/bin/python bench/token_cosine.py --export_dirs=DIR[,DIR...] \
      [--sentences=80] [--max_seq_length=64]

For each export (`official_ext.export` output: `saved_model/`, `vocab.txt`)
it encodes the first `--sentences` sentences of the bundled SST-2 dev sample
and prints, per export:

  token cos   mean cosine between 300 randomly chosen (seed 0) non-padding
              token vectors of `sequence_output` (near 1: every token points
              the same way; random init measures about 0.4);
  CLS cos     mean pairwise cosine between the sentences' [CLS] vectors
              (near 1: the classifier's input hardly depends on the input).

Early ELECTRA/TEAMS discriminators collapse (token cos 0.85-0.99 after ~1k
steps of the mini comparison) and fine-tune worse than random init; a
6,000-step TEAMS-mini (`official_ext.demo.scratch --pretrain_gin=gin/teams_mini.gin
--pretrain_steps=6000`) is back at the random level, which is why the demo
pretrains a masked LM.
"""
import os

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf
import tensorflow_text as text

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS
flags.DEFINE_list('export_dirs', None, 'Exported encoders to measure.')
flags.DEFINE_integer('sentences', 80, 'SST-2 dev sentences to encode.')
flags.DEFINE_integer('max_seq_length', 64, 'Tokens per sentence.')
flags.DEFINE_integer('token_sample', 300, 'Token vectors compared.')


def _mean_offdiagonal_cosine(vectors):
  unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
  cosines = unit @ unit.T
  return float(cosines[np.triu_indices(len(unit), 1)].mean())


def _batch(export_dir, sentences, length):
  """[B, length] word ids and mask, [CLS] tokens [SEP] with the export's
  vocab (lower-cased, as the bundled vocab is uncased)."""
  vocab_file = os.path.join(export_dir, 'vocab.txt')
  with tf.io.gfile.GFile(vocab_file) as f:
    words = [line.strip() for line in f]
  tokenizer = text.BertTokenizer(vocab_file, lower_case=True)
  pieces = tokenizer.tokenize(sentences).merge_dims(1, 2).to_list()
  ids = np.zeros((len(pieces), length), np.int32)
  for row, tokens in enumerate(pieces):
    tokens = ([words.index('[CLS]')] + tokens[:length - 2] +
              [words.index('[SEP]')])
    ids[row, :len(tokens)] = tokens
  return ids, (ids > 0).astype(np.int32)


def measure(export_dir, sentences, length, token_sample):
  """(token cos, CLS cos) of one export."""
  ids, mask = _batch(export_dir, sentences, length)
  model = tf.saved_model.load(os.path.join(export_dir, 'saved_model'))
  outputs = model.signatures['serving_default'](
      input_word_ids=tf.constant(ids), input_mask=tf.constant(mask),
      input_type_ids=tf.zeros_like(ids))
  sequence = outputs['sequence_output'].numpy()
  tokens = sequence[mask.astype(bool)]
  chosen = np.random.RandomState(0).choice(len(tokens), token_sample)
  return (_mean_offdiagonal_cosine(tokens[chosen]),
          _mean_offdiagonal_cosine(sequence[:, 0]))


def main(argv):
  del argv
  with tf.io.gfile.GFile(os.path.join(REPO, 'data', 'sst2', 'dev.tsv')) as f:
    rows = f.read().split('\n')[1:FLAGS.sentences + 1]
  sentences = [row.split('\t')[0] for row in rows if row.strip()]
  print('| export | token cos | CLS cos |\n|---|---:|---:|')
  for export_dir in FLAGS.export_dirs:
    token_cos, cls_cos = measure(export_dir, sentences,
                                 FLAGS.max_seq_length, FLAGS.token_sample)
    print(f'| {export_dir} | {token_cos:.3f} | {cls_cos:.3f} |', flush=True)


if __name__ == '__main__':
  flags.mark_flag_as_required('export_dirs')
  app.run(main)
