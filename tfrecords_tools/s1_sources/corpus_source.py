"""Where the builder's documents come from: `--input_format` and its options.

  bert_text  a sentence a line, a blank line between documents (corpus_reader)
  jsonl      a JSON object a line, its text in --text_field (.gz / .zst too)
  parquet    a row a document, its text in the --text_field column
  tfds       a locally prepared TFDS dataset (--tfds_name/_split/_data_dir)

For the record formats a document's text is split into sentences by
`sentence_splitter` (paragraphs at newlines), keeping the record as the
document boundary. Each format expands to input units (files, or TFDS shards)
and yields the same `corpus_reader.Document`s as BERT text would, so the same
documents give the same shards whatever the source (and whatever the runner:
a `CorpusSource` is a small picklable value, read again on Beam workers).

Bad rows (a line that is not JSON, a missing or non-string field, a Parquet
file without the column) stop the build with one line naming the file, the
line or row and the key, or with `skip_bad_rows` are counted in the report
(and the manifest) by reason. Records whose text holds no sentence are
counted as `empty_document` and are not documents.
"""
import dataclasses
from typing import Callable, Dict, Iterator, List, Optional

from absl import flags

from tfrecords_tools import build_report
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import sentence_splitter

INPUT_FORMATS = ("bert_text", "jsonl", "parquet", "tfds")


def _jsonl_rows(source, unit, bad_row):
  from tfrecords_tools.s1_sources import jsonl_source  # pylint: disable=g-import-not-at-top
  return jsonl_source.iter_rows(unit, source.text_field, bad_row)


def _parquet_rows(source, unit, bad_row):
  from tfrecords_tools.s1_sources import parquet_source  # pylint: disable=g-import-not-at-top
  return parquet_source.iter_rows(unit, source.text_field, bad_row)


def _tfds_rows(source, unit, bad_row):
  from tfrecords_tools.s1_sources import tfds_source  # pylint: disable=g-import-not-at-top
  return tfds_source.iter_rows(unit, source.tfds_data_dir, source.text_field,
                               bad_row)


# input_format -> fn(source, unit, bad_row) -> Iterator[(row, text)].
_ROW_READERS: Dict[str, Callable] = {
    "jsonl": _jsonl_rows, "parquet": _parquet_rows, "tfds": _tfds_rows}


@dataclasses.dataclass(frozen=True)
class CorpusSource:
  """The input format and its options (recorded in the manifest).

  Attributes:
    input_format: one of INPUT_FORMATS.
    text_field: JSONL key / Parquet column / TFDS feature of the text.
    sentence_splitter: a key of sentence_splitter.SPLITTERS.
    skip_bad_rows: count bad rows in the report instead of failing.
    tfds_name: TFDS dataset name with config, e.g. "wikipedia/20230601.en".
    tfds_split: TFDS split.
    tfds_data_dir: the directory the dataset was prepared in.
  """
  input_format: str = "bert_text"
  text_field: str = "text"
  sentence_splitter: str = "syntok"
  skip_bad_rows: bool = False
  tfds_name: Optional[str] = None
  tfds_split: str = "train"
  tfds_data_dir: Optional[str] = None

  def __post_init__(self):
    if self.input_format not in INPUT_FORMATS:
      raise ValueError(f"--input_format: unknown format "
                       f"{self.input_format!r}; choose from {INPUT_FORMATS}.")
    if self.input_format == "tfds" and not self.tfds_name:
      raise ValueError("--input_format=tfds needs --tfds_name (e.g. "
                       "wikipedia/20230601.en).")
    if self.sentence_splitter not in sentence_splitter.SPLITTERS:
      raise ValueError(f"--sentence_splitter: unknown splitter "
                       f"{self.sentence_splitter!r}; choose from "
                       f"{sorted(sentence_splitter.SPLITTERS)}.")

  def expand(self, input_patterns: Optional[str]) -> List[str]:
    """The input units (files, or TFDS shards) in their canonical order."""
    if self.input_format == "tfds":
      from tfrecords_tools.s1_sources import tfds_source  # pylint: disable=g-import-not-at-top
      return tfds_source.expand(self.tfds_name, self.tfds_split,
                                self.tfds_data_dir, self.text_field)
    return corpus_reader.expand_inputs(input_patterns or "")

  def iter_documents(self, unit: str, report: build_report.BuildReport,
                     max_undecodable_share: Optional[float] = None
                     ) -> Iterator[corpus_reader.Document]:
    """The documents of one unit, as `corpus_reader.iter_documents` gives
    (`max_undecodable_share` applies to BERT text)."""
    if self.input_format == "bert_text":
      yield from corpus_reader.iter_documents(
          unit, report, *([] if max_undecodable_share is None
                          else [max_undecodable_share]))
      return
    splitter = sentence_splitter.SentenceSplitter(self.sentence_splitter)
    doc_index = 0
    rows = _ROW_READERS[self.input_format](self, unit,
                                           self._bad_row_handler(report))
    try:
      for row, text in rows:
        sentences = splitter.split_document(text)
        if not sentences:
          report.skip("empty_document", f"{unit}:{row}")
          continue
        yield corpus_reader.Document(doc_index, sentences,
                                     [row] * len(sentences))
        doc_index += 1
    except (OSError, EOFError) as e:
      raise corpus_reader.InputError(f"Cannot read input {unit}: {e}") from e
    if doc_index == 0:
      report.skip("empty_file", unit)

  def _bad_row_handler(self, report):
    def bad_row(reason: str, where: str, message: str):
      if not self.skip_bad_rows:
        raise corpus_reader.InputError(
            f"{where}: {message} (--skip_bad_rows counts such rows instead).")
      report.skip(reason, where)
    return bad_row

  def describe(self) -> dict:
    """The manifest's "source": format, field, splitter and versions."""
    out = {"input_format": self.input_format}
    if self.input_format == "bert_text":
      return out
    out.update(text_field=self.text_field, skip_bad_rows=self.skip_bad_rows,
               sentence_splitter=sentence_splitter.SentenceSplitter(
                   self.sentence_splitter).describe())
    if self.input_format == "tfds":
      import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
      out.update(tfds_name=self.tfds_name, tfds_split=self.tfds_split,
                 tfds_data_dir=self.tfds_data_dir,
                 tensorflow_datasets_version=tfds.__version__)
    return out


def define_flags():
  """The corpus-source flags of create_pretraining_data."""
  flags.DEFINE_enum("input_format", "bert_text", list(INPUT_FORMATS),
                    "bert_text (a sentence a line), jsonl (.gz/.zst too), "
                    "parquet, or tfds (a locally prepared TFDS dataset).")
  flags.DEFINE_string("text_field", "text", "JSONL key / Parquet column / "
                      "TFDS feature holding a document's text.")
  flags.DEFINE_enum("sentence_splitter", "syntok",
                    sorted(sentence_splitter.SPLITTERS),
                    "Splits jsonl/parquet/tfds documents into sentences "
                    "('lines': the text already holds a sentence a line).")
  flags.DEFINE_bool("skip_bad_rows", False, "Count unusable JSONL lines / "
                    "Parquet rows in the manifest instead of failing.")
  flags.DEFINE_string("tfds_name", None, "TFDS dataset, e.g. "
                      "wikipedia/20230601.en or c4/en (--input_format=tfds).")
  flags.DEFINE_string("tfds_split", "train", "TFDS split.")
  flags.DEFINE_string("tfds_data_dir", None, "Directory the TFDS dataset was "
                      "prepared in (nothing is downloaded).")


def from_flags(values) -> CorpusSource:
  """The CorpusSource of parsed flags (`absl.flags.FLAGS`)."""
  return CorpusSource(
      input_format=values.input_format, text_field=values.text_field,
      sentence_splitter=values.sentence_splitter,
      skip_bad_rows=values.skip_bad_rows, tfds_name=values.tfds_name,
      tfds_split=values.tfds_split, tfds_data_dir=values.tfds_data_dir)
