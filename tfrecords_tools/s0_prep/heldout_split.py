r"""Splits a BERT-format corpus into training and held-out documents.

  python -m tfrecords_tools.s0_prep.heldout_split --corpus=a.txt,b.txt \
      --output_dir=D --heldout_every=10 --vocab_size=8000

Every `heldout_every`-th document (counting across the files in order,
starting with the last of the first `heldout_every`) goes to
`D/corpus/heldout.bert.txt`, the rest to `D/corpus/train.bert.txt`; a
pretraining build on the training file never sees a held-out document, so
metrics on records built from the held-out file (dupe factor 1) measure
generalisation, not memorisation. With `--vocab_size` the WordPiece vocab
is learned from the training documents only (`D/vocab.txt`).
`D/corpus/split.json` records the inputs and the document counts.
"""
import json
import os
import sys
import time
from typing import Dict, Sequence

from absl import app
from absl import flags

from tfrecords_tools import build_report
from tfrecords_tools import build_vocab
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import corpus_reader

TRAIN_FILE = 'train.bert.txt'
HELDOUT_FILE = 'heldout.bert.txt'
SPLIT_FILE = 'split.json'


class SplitError(ValueError):
  """A split that would leave either side empty."""


def split_documents(patterns: str, output_dir: str,
                    heldout_every: int) -> Dict[str, object]:
  """Writes `output_dir/{train,heldout}.bert.txt`; returns the split record.

  Args:
    patterns: comma-separated files or globs (BERT format: a sentence per
      line, a blank line between documents).
    output_dir: where the two files and `split.json` go.
    heldout_every: document k (1-based, across files) is held out when
      k % heldout_every == 0.

  Raises:
    SplitError: heldout_every < 2, or either side gets no document.
  """
  if heldout_every < 2:
    raise SplitError(f'--heldout_every={heldout_every}: must be >= 2 (one '
                     f'document in heldout_every is held out)')
  files = corpus_reader.expand_inputs(patterns)
  report = build_report.BuildReport()
  file_io.makedirs(output_dir)
  counts = {'train': 0, 'heldout': 0}
  paths = {'train': os.path.join(output_dir, TRAIN_FILE),
           'heldout': os.path.join(output_dir, HELDOUT_FILE)}
  texts = {'train': [], 'heldout': []}
  number = 0
  for path in files:
    for doc in corpus_reader.iter_documents(path, report):
      number += 1
      side = 'heldout' if number % heldout_every == 0 else 'train'
      counts[side] += 1
      texts[side].append('\n'.join(doc.sentences) + '\n')
  for side in ('train', 'heldout'):
    if not counts[side]:
      raise SplitError(f'{patterns}: {number} document(s) leave the {side} '
                       f'split empty at --heldout_every={heldout_every}')
    file_io.write_text_atomically(paths[side], '\n'.join(texts[side]))
  record = {'inputs': files, 'heldout_every': heldout_every,
            'documents': counts, 'files': paths}
  file_io.write_text_atomically(os.path.join(output_dir, SPLIT_FILE),
                                json.dumps(record, indent=1))
  return record


def define_flags():
  flags.DEFINE_string('corpus', None, 'BERT-format corpus files or globs '
                      '(comma-separated).')
  flags.DEFINE_string('output_dir', None, 'Writes corpus/{train,heldout}.'
                      'bert.txt (and vocab.txt) here.')
  flags.DEFINE_integer('heldout_every', 10, 'Hold out every n-th document.')
  flags.DEFINE_integer('vocab_size', 0, 'Learn a WordPiece vocab of this '
                       'size from the training documents (0: none).')
  flags.mark_flags_as_required(['corpus', 'output_dir'])


def split_and_learn_vocab(corpus: str, output_dir: str, heldout_every: int,
                          vocab_size: int) -> Dict[str, object]:
  """`split_documents` into `output_dir/corpus`, then (vocab_size > 0)
  `output_dir/vocab.txt` learned from the training side."""
  record = split_documents(corpus, os.path.join(output_dir, 'corpus'),
                           heldout_every)
  if vocab_size:
    tokens = build_vocab.build_vocab(record['files']['train'], vocab_size,
                                     do_lower_case=True)
    vocab_file = os.path.join(output_dir, 'vocab.txt')
    build_vocab.write_vocab_atomically(tokens, vocab_file)
    record['vocab'] = {'path': vocab_file, 'size': len(tokens)}
  return record


def main(argv: Sequence[str]):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  start = time.time()
  try:
    record = split_and_learn_vocab(flags.FLAGS.corpus, flags.FLAGS.output_dir,
                                   flags.FLAGS.heldout_every,
                                   flags.FLAGS.vocab_size)
  except (SplitError, corpus_reader.InputError,
          build_vocab.BuildVocabError) as e:
    print(f'heldout_split: error: {e}', file=sys.stderr)
    sys.exit(2)
  print(f"documents: {record['documents']} "
        f"({time.time() - start:.1f}s)", flush=True)


if __name__ == '__main__':
  define_flags()
  app.run(main)
