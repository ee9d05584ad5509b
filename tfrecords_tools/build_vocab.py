r"""Learns a WordPiece vocab from BERT-format text.

Reads text in the BERT pretraining format (one sentence per line, blank lines
between documents; blank lines are skipped here), normalises it as the BERT
reference tokenizer does (`wordpiece.normalize_text`: control characters
removed and, with `--do_lower_case`, `str.lower()`, NFD and accents
removed), splits it into words with BERT's basic tokenizer and learns a
WordPiece vocabulary with TF Text's `bert_vocab_from_dataset`. The reserved
tokens `[PAD] [UNK] [CLS] [SEP] [MASK]` get ids 0..4. The learner searches
the frequency threshold that brings the vocab closest to (at most)
`--vocab_size`; on a small corpus the search may stop below it at
`--min_token_count`. The vocab is meant for the BERT reference tokenizer
with the same `do_lower_case` (`tfrecords_tools.s2_tokens.wordpiece`,
Model Garden's `FullTokenizer`, `transformers`' `BertTokenizer`).

Inputs are comma-separated glob patterns of plain or gzip (`.gz`) UTF-8 text
files. Bytes that are not UTF-8 are decoded with U+FFFD replacement characters
and a warning naming the first bad `file:line` of each file.

The vocab is written under a temporary name, validated with
`vocab.load_vocab`, then renamed into place, so a failed run never leaves a
half-written vocab.

Usage:

  python -m tfrecords_tools.build_vocab \
    --input_file=data/wikitext2/valid.bert.txt \
    --vocab_file=out/vocab.txt --vocab_size=8000 --do_lower_case=true
"""
import itertools
import os
import sys
import time
from typing import Dict, Iterator, List, Optional, Sequence, Union

from absl import app
from absl import flags
from absl import logging

from tfrecords_tools import build_report
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import line_decoding
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s2_tokens import wordpiece

# Log progress every this many lines read.
_PROGRESS_EVERY = 100_000
# Lines per element of the tf.data pipeline fed to the learner.
_BATCH_SIZE = 1024


class BuildVocabError(ValueError):
  """Bad inputs for building a vocab; the message says what to fix."""


def expand_patterns(input_patterns: Union[str, Sequence[str]]) -> List[str]:
  """Comma-separated globs (or a list of them) -> sorted unique files.

  Raises:
    BuildVocabError: no pattern given, or a pattern matches no file.
  """
  if not isinstance(input_patterns, str):
    input_patterns = ",".join(input_patterns)
  try:
    return corpus_reader.expand_inputs(input_patterns)
  except corpus_reader.InputError as e:
    raise BuildVocabError(str(e)) from e


def _documents(path, report):
  """The builder's reader; its refusals become BuildVocabError."""
  try:
    yield from corpus_reader.iter_documents(path, report)
  except line_decoding.UndecodableInputError as e:
    raise BuildVocabError(str(e)) from e


def iter_corpus_lines(files: Sequence[str],
                      max_lines: Optional[int] = None,
                      counters: Optional[Dict[str, int]] = None
                      ) -> Iterator[str]:
  """Yields the non-blank lines (sentences) of the files, stripped.

  Reads through `corpus_reader.iter_documents`, so decoding, repairs and
  refusals (`line_decoding`) are the builder's; a non-UTF-8 line is logged
  once per file.

  Args:
    files: text files (plain, or gzip if the name ends in `.gz`).
    max_lines: stop after this many lines (None: all).
    counters: if given, `counters["lines"]` and `counters["files"]` are kept
      up to date (lines yielded, files opened).
  """
  counters = counters if counters is not None else {}
  counters.setdefault("lines", 0)
  counters.setdefault("files", 0)
  start = time.time()
  for path in files:
    counters["files"] += 1
    report = build_report.BuildReport()
    warned = False
    for doc in _documents(path, report):
      if report.repaired and not warned:
        logging.warning("%s is not valid UTF-8; bad bytes decoded as U+FFFD.",
                        report.examples[next(iter(report.repaired))][0])
        warned = True
      for text in doc.sentences:
        if max_lines is not None and counters["lines"] >= max_lines:
          return
        counters["lines"] += 1
        if counters["lines"] % _PROGRESS_EVERY == 0:
          logging.info("Read %d lines (%s, %.0f s).", counters["lines"],
                       path, time.time() - start)
        yield text


def build_vocab(input_patterns: Union[str, Sequence[str]],
                vocab_size: int,
                do_lower_case: bool,
                max_lines: Optional[int] = None,
                min_token_count: int = 2,
                learn_params: Optional[dict] = None) -> List[str]:
  """Learns a WordPiece vocab from BERT-format text files.

  Args:
    input_patterns: comma-separated glob patterns (or a list of them) of plain
      or `.gz` text files, one sentence per line.
    vocab_size: the maximum vocab size, reserved tokens included.
    do_lower_case: lower-case and strip accents before learning (an uncased
      vocab), as the BERT reference tokenizer does (`wordpiece`).
    max_lines: read at most this many non-blank lines (None: all).
    min_token_count: the lowest frequency threshold the learner may try (its
      `lower_thresh`): a piece seen fewer times never becomes a token. The
      learner searches the threshold that brings the vocab closest to
      `vocab_size`, so this only matters for small corpora; TF Text's default
      of 10 would leave a 1 MB corpus far below an 8k vocab.
    learn_params: other keyword arguments for TF Text's
      `wordpiece_tokenizer_learner_lib.learn`.

  Returns:
    The tokens: the reserved tokens first (ids 0..4), then single characters
    and word pieces; at most `vocab_size` tokens, no duplicates.

  Raises:
    BuildVocabError: a pattern matches nothing, an input is binary or
      mostly non-UTF-8 (`line_decoding`), the corpus is empty, or
      `vocab_size` is too small to hold the reserved tokens.
  """
  reserved = list(vocab_lib.RESERVED_TOKENS)
  if vocab_size <= len(reserved):
    raise BuildVocabError(
        f"vocab_size={vocab_size} leaves no room beside the {len(reserved)} "
        f"reserved tokens {reserved}.")
  files = expand_patterns(input_patterns)
  logging.info("Building a vocab from %d file(s): %s", len(files),
               ", ".join(files[:5]) + (" ..." if len(files) > 5 else ""))
  counters = {}
  lines = iter_corpus_lines(files, max_lines, counters)
  first = next(lines, None)
  if first is None:
    raise BuildVocabError(
        f"The corpus is empty: no non-blank line in {len(files)} file(s) "
        f"matching {input_patterns!r}.")
  # The learner's own lower-casing is tensorflow_text's NFKC case folding
  # (it would learn 'ss' for 'ß'); the reference normalisation runs here.
  lines = (wordpiece.normalize_text(line, do_lower_case)
           for line in itertools.chain([first], lines))

  # TensorFlow is imported here, not at module level, so that argument errors
  # are reported without paying for the import.
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset
  # pylint: enable=g-import-not-at-top

  dataset = tf.data.Dataset.from_generator(
      lambda: lines,
      output_signature=tf.TensorSpec(shape=(), dtype=tf.string))
  dataset = dataset.batch(_BATCH_SIZE).prefetch(2)
  learn_params = dict(learn_params or {})
  learn_params.setdefault("lower_thresh", min_token_count)
  start = time.time()
  tokens = bert_vocab_from_dataset.bert_vocab_from_dataset(
      dataset,
      vocab_size=vocab_size,
      reserved_tokens=reserved,
      bert_tokenizer_params=dict(lower_case=False),
      learn_params=learn_params)
  logging.info("Learned %d tokens from %d lines in %.1f s.", len(tokens),
               counters["lines"], time.time() - start)
  tokens = _fit_to_size(list(tokens), vocab_size, len(reserved))
  if tokens[:len(reserved)] != reserved:
    raise AssertionError(f"Reserved tokens not first: {tokens[:8]}")
  if len(tokens) < 0.9 * vocab_size:
    logging.warning(
        "The vocab has %d tokens, fewer than vocab_size=%d: no frequency "
        "threshold down to min_token_count=%d gives a size closer to it "
        "(lower min_token_count or add text).", len(tokens), vocab_size,
        learn_params["lower_thresh"])
  return tokens


def _fit_to_size(tokens: List[str], vocab_size: int,
                 num_reserved: int) -> List[str]:
  """Cuts the learner's output down to `vocab_size` tokens if it is longer.

  The learner's threshold search can stop above the target (no threshold
  gives a size in range). Reserved tokens and every single character, bare
  and `##`-prefixed, are kept so that every word stays tokenisable; the
  other pieces are kept in the learner's order (most frequent first) until
  the vocab is full.

  Args:
    tokens: the learner's vocab (reserved tokens first).
    vocab_size: the maximum size.
    num_reserved: how many leading tokens are reserved.

  Returns:
    At most `vocab_size` tokens in the learner's order.
  """
  if len(tokens) <= vocab_size:
    return tokens
  def essential(i, tok):
    return i < num_reserved or len(tok) == 1 or (
        tok.startswith(vocab_lib.CONTINUATION) and
        len(tok) == len(vocab_lib.CONTINUATION) + 1)
  keep = {i for i, tok in enumerate(tokens) if essential(i, tok)}
  if len(keep) > vocab_size:
    logging.warning("%d reserved and single-character tokens exceed "
                    "vocab_size=%d; rare characters will map to [UNK].",
                    len(keep), vocab_size)
    return tokens[:vocab_size]
  room = vocab_size - len(keep)
  for i, _ in enumerate(tokens):
    if room == 0:
      break
    if i not in keep:
      keep.add(i)
      room -= 1
  logging.info("The learner returned %d tokens; kept the %d most useful.",
               len(tokens), vocab_size)
  return [tok for i, tok in enumerate(tokens) if i in keep]


def write_vocab_atomically(tokens: Sequence[str],
                           vocab_file: str) -> vocab_lib.Vocab:
  """Writes a vocab under a temporary name, validates it, renames it in place.

  Args:
    tokens: the vocab tokens, id order.
    vocab_file: the destination; parent directories are created.

  Returns:
    The validated `vocab.Vocab` (its `path` is `vocab_file`).

  Raises:
    vocab.VocabError: the tokens do not make a valid vocab (nothing is
      written at `vocab_file` then).
  """
  file_io.makedirs_for(vocab_file)
  tmp = f"{vocab_file}.tmp-{os.getpid()}"
  try:
    vocab_lib.write_vocab(tokens, tmp)
    vocab_lib.load_vocab(tmp)
    file_io.replace(tmp, vocab_file)
  finally:
    file_io.remove(tmp)
  return vocab_lib.load_vocab(vocab_file)


FLAGS = flags.FLAGS


def define_flags():
  """Defines the CLI flags (not at import, so other tools can import this)."""
  flags.DEFINE_string(
      "input_file", None,
      "Comma-separated glob patterns of BERT-format text files (plain or "
      ".gz).")
  flags.DEFINE_string("vocab_file", None, "Where to write the vocab.txt.")
  flags.DEFINE_integer("vocab_size", 8000,
                       "Maximum vocab size, reserved tokens included.")
  flags.DEFINE_bool("do_lower_case", True,
                    "Learn an uncased vocab (lower-case, strip accents).")
  flags.DEFINE_integer(
      "min_token_count", 2,
      "Lowest frequency threshold the WordPiece learner may use (its "
      "lower_thresh); only small corpora reach it.", lower_bound=1)
  flags.DEFINE_integer(
      "max_lines", None,
      "Read at most this many non-blank lines (default: all).", lower_bound=1)
  flags.mark_flags_as_required(["input_file", "vocab_file"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError("Too many command-line arguments.")
  start = time.time()
  try:
    tokens = build_vocab(FLAGS.input_file, FLAGS.vocab_size,
                         FLAGS.do_lower_case, max_lines=FLAGS.max_lines,
                         min_token_count=FLAGS.min_token_count)
    vocab = write_vocab_atomically(tokens, FLAGS.vocab_file)
  except (BuildVocabError, vocab_lib.VocabError) as e:
    print(f"build_vocab: error: {e}", file=sys.stderr)
    sys.exit(2)
  print(f"Wrote {FLAGS.vocab_file}: {len(vocab)} tokens, "
        f"sha256 {vocab.sha256} ({time.time() - start:.1f} s)")


if __name__ == "__main__":
  define_flags()
  app.run(main)
