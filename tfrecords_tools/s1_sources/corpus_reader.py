"""Streams BERT-format documents from text files, a chunk at a time.

Input layout: one sentence per line, a blank line between documents; plain or
gzip (`.gz`) files; comma-separated globs. Memory holds one chunk of
documents at a time, never the corpus.

Documents are grouped per file into chunks of `docs_per_chunk`. A chunk is the
unit of work and of randomness (its seed is derived from the file's position
and the chunk's position in that file), so the output does not depend on how
many workers run or on the runner (local or Beam). A last chunk of a single
document joins the one before it, so random-segment modes always find
another document when the file has two.
"""
import dataclasses
import gzip
from typing import Iterator, List, Sequence

from tfrecords_tools import build_report
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import line_decoding


class InputError(ValueError):
  """Unusable input; the message names the file or glob."""


@dataclasses.dataclass
class Document:
  """One document of raw sentences.

  Attributes:
    doc_index: position of the document in its file (0-based).
    sentences: its non-blank lines, stripped.
    line_numbers: the 1-based line number of each sentence.
  """
  doc_index: int
  sentences: List[str]
  line_numbers: List[int]


@dataclasses.dataclass
class Chunk:
  """Consecutive documents of one file: the unit of work.

  Attributes:
    file_index: position of the file in the sorted, expanded input list.
    chunk_index: position of the chunk in its file.
    path: the file.
    documents: the documents.
  """
  file_index: int
  chunk_index: int
  path: str
  documents: List[Document]


def expand_inputs(patterns: str) -> List[str]:
  """Comma-separated globs -> sorted unique file list.

  Raises:
    InputError: a glob matches nothing, or names a directory.
  """
  files = []
  for pattern in [p.strip() for p in patterns.split(",") if p.strip()]:
    try:
      matched = [m for m in file_io.glob(pattern) if not file_io.isdir(m)]
    except OSError as e:
      raise InputError(f"{e} (--input_file).") from e
    if not matched:
      raise InputError(f"No file matches the input pattern {pattern!r} "
                       "(--input_file).")
    files.extend(matched)
  if not files:
    raise InputError("--input_file is empty: give one or more files or globs.")
  return sorted(set(files))


def _open_binary(path: str):
  f = file_io.open_file(path, "rb")
  return gzip.GzipFile(fileobj=f) if path.endswith(".gz") else f


def iter_documents(path: str, report: build_report.BuildReport,
                   max_undecodable_share: float = (
                       line_decoding.DEFAULT_MAX_UNDECODABLE_SHARE)
                   ) -> Iterator[Document]:
  """Yields the documents of one file, repairing and counting bad lines.

  Raises:
    InputError: the file cannot be opened or read (e.g. a corrupt gzip).
    line_decoding.UndecodableInputError: the file is binary or more than
      `max_undecodable_share` of its lines are not UTF-8.
  """
  doc, lines, doc_index = [], [], 0
  line_no = 0
  decoder = line_decoding.LineDecoder(path, report, max_undecodable_share)
  try:
    with _open_binary(path) as f:
      for line_no, raw in enumerate(f, 1):
        text = decoder.decode(raw, line_no).strip()
        if text:
          doc.append(text)
          lines.append(line_no)
        elif doc:
          yield Document(doc_index, doc, lines)
          doc, lines, doc_index = [], [], doc_index + 1
  except (OSError, EOFError) as e:
    where = f"{path}:{line_no + 1}" if line_no else path
    raise InputError(f"Cannot read input {where}: {e}") from e
  decoder.finish()
  if doc:
    yield Document(doc_index, doc, lines)
  elif doc_index == 0:
    report.skip("empty_file", path)


def iter_chunks(paths: Sequence[str], docs_per_chunk: int,
                report: build_report.BuildReport,
                file_indices: Sequence[int] = None,
                max_undecodable_share: float = (
                    line_decoding.DEFAULT_MAX_UNDECODABLE_SHARE),
                source=None) -> Iterator[Chunk]:
  """Yields chunks of every file in order.

  Args:
    paths: files, in their canonical (sorted) order.
    docs_per_chunk: documents per chunk (>= 2).
    report: receives skips/repairs.
    file_indices: the files' positions in the full input list (defaults to
      0..len(paths)-1); lets a runner read a subset of the files.
    max_undecodable_share: see `iter_documents`.
    source: a corpus_source.CorpusSource whose `iter_documents` reads the
      inputs (default: BERT-format text).
  """
  if docs_per_chunk < 2:
    raise ValueError(f"docs_per_chunk must be >= 2, got {docs_per_chunk}")
  if file_indices is None:
    file_indices = range(len(paths))
  for file_index, path in zip(file_indices, paths):
    pending, current, chunk_index = None, [], 0
    if source is None:
      docs = iter_documents(path, report, max_undecodable_share)
    else:
      docs = source.iter_documents(path, report, max_undecodable_share)
    for doc in docs:
      current.append(doc)
      if len(current) == docs_per_chunk:
        if pending is not None:
          yield pending
        pending = Chunk(file_index, chunk_index, path, current)
        current, chunk_index = [], chunk_index + 1
    if len(current) == 1 and pending is not None:
      pending.documents.extend(current)  # no lone-document chunk
    elif current:
      if pending is not None:
        yield pending
      pending = Chunk(file_index, chunk_index, path, current)
    if pending is not None:
      yield pending
