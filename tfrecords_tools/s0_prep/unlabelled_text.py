r"""Unlabelled in-domain pretraining text from a labelled TSV.

Domain-adaptive pretraining (Gururangan et al. 2020, "Don't Stop
Pretraining") continues pretraining on unlabelled text of the task's domain.
This module turns the text column of a GLUE-layout TSV into the BERT
pretraining format (one sentence per line, a blank line between documents),
dropping the labels, so that a corpus such as SST-2's training split can be
pretrained on:

  * exact duplicates are dropped, and so is every text that is a contiguous
    word span of a longer text (GLUE's SST-2 lists each sentence together
    with the phrases of its parse tree; only the longest survive);
  * with `--exclude_tsv` (the evaluation set), every text that contains an
    excluded text of at least `--exclude_min_words` words as a contiguous
    word span is dropped, so no evaluation text of that length is ever
    pretrained on. Shorter evaluation texts ("good", "a mess") are ordinary
    phrases of the language and are not searched for;
  * the texts left keep their source order and are grouped into documents of
    `--sentences_per_document` lines (the rows of a task file are unrelated,
    so documents only bound the packing of records).

Words are whitespace-separated tokens; the output is a pure function of the
inputs. Usage:

  python -m tfrecords_tools.s0_prep.unlabelled_text \
    --input_tsv=/work/shared/data/sst2/train.tsv \
    --exclude_tsv=data/sst2/dev.tsv --output_file=data/sst2/unlabelled.bert.txt
"""
import csv
import dataclasses
import io
from typing import Dict, List, Sequence, Tuple

from absl import app
from absl import flags

from tfrecords_tools import file_io

Words = Tuple[str, ...]


@dataclasses.dataclass
class Report:
  """What `select_texts` kept and dropped (row counts)."""
  rows: int = 0
  duplicates: int = 0
  sub_phrases: int = 0
  excluded: int = 0
  kept: int = 0

  def as_dict(self) -> Dict[str, int]:
    return dataclasses.asdict(self)


def read_texts(path: str, column: str = "sentence") -> List[str]:
  """The `column` of a TSV with a header row, in row order.

  Raises:
    ValueError: naming the file, if it has no such column.
  """
  with file_io.open_file(path) as f:
    reader = csv.DictReader(io.StringIO(f.read()), delimiter="\t",
                            quoting=csv.QUOTE_NONE)
    if column not in (reader.fieldnames or []):
      raise ValueError(f"{path}: no column {column!r} in the header "
                       f"{reader.fieldnames}")
    return [" ".join(row[column].split()) for row in reader
            if row[column] and row[column].strip()]


def _spans(words: Words, min_len: int = 1):
  for i in range(len(words)):
    for j in range(i + min_len, len(words) + 1):
      yield words[i:j]


def select_texts(texts: Sequence[str], exclude: Sequence[str] = (),
                 exclude_min_words: int = 3) -> Tuple[List[str], Report]:
  """The maximal texts of `texts` (see the module docstring), without any
  that contains an `exclude` text of at least `exclude_min_words` words;
  source order kept."""
  report = Report(rows=len(texts))
  unique = list(dict.fromkeys(texts))
  report.duplicates = len(texts) - len(unique)
  # Longest first: a text is a sub-phrase iff it is a span of a kept one.
  order = sorted(range(len(unique)), key=lambda i: -len(unique[i].split()))
  covered, maximal = set(), []
  for i in order:
    words = tuple(unique[i].split())
    if words in covered:
      continue
    maximal.append(i)
    covered.update(_spans(words))
  report.sub_phrases = len(unique) - len(maximal)
  banned = {tuple(t.split()) for t in exclude
            if len(t.split()) >= exclude_min_words}
  kept = []
  for i in sorted(maximal):
    words = tuple(unique[i].split())
    if banned and any(s in banned for s in _spans(words, exclude_min_words)):
      report.excluded += 1
      continue
    kept.append(unique[i])
  report.kept = len(kept)
  return kept, report


def to_bert_format(texts: Sequence[str], sentences_per_document: int) -> str:
  """One text per line, a blank line after every `sentences_per_document`."""
  if sentences_per_document < 1:
    raise ValueError(f"sentences_per_document must be at least 1, got "
                     f"{sentences_per_document}")
  docs = ["\n".join(texts[i:i + sentences_per_document])
          for i in range(0, len(texts), sentences_per_document)]
  return "\n\n".join(docs) + ("\n" if docs else "")


def convert(input_tsv: str, output_file: str, exclude_tsv: str = "",
            column: str = "sentence", exclude_min_words: int = 3,
            sentences_per_document: int = 10) -> Report:
  """Reads, selects and writes (atomically); returns the counts."""
  exclude = read_texts(exclude_tsv, column) if exclude_tsv else ()
  texts, report = select_texts(read_texts(input_tsv, column), exclude,
                               exclude_min_words)
  file_io.makedirs_for(output_file)
  file_io.write_text_atomically(
      output_file, to_bert_format(texts, sentences_per_document))
  return report


def define_flags():
  flags.DEFINE_string("input_tsv", None, "Labelled TSV with a header row.")
  flags.DEFINE_string("output_file", None, "BERT-format text to write.")
  flags.DEFINE_string("exclude_tsv", "", "TSV whose texts must not occur "
                      "(the evaluation set).")
  flags.DEFINE_string("column", "sentence", "Text column of both TSVs.")
  flags.DEFINE_integer("exclude_min_words", 3, "Shortest excluded text "
                       "searched for, in words.")
  flags.DEFINE_integer("sentences_per_document", 10, "Lines per document.")
  flags.mark_flags_as_required(["input_tsv", "output_file"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  report = convert(flags.FLAGS.input_tsv, flags.FLAGS.output_file,
                   flags.FLAGS.exclude_tsv, flags.FLAGS.column,
                   flags.FLAGS.exclude_min_words,
                   flags.FLAGS.sentences_per_document)
  print(", ".join(f"{k} {v}" for k, v in report.as_dict().items()) +
        f" -> {flags.FLAGS.output_file}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
