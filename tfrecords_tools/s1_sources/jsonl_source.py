"""JSONL corpora: one document a line, its text in a field (default `text`).

Plain, gzip (`.gz`) or Zstandard (`.zst`) files, read as a stream (memory
holds one line). Rows are numbered by their 1-based line.
"""
import io
import json
from typing import Callable, Iterator, Tuple

import tensorflow as tf


def open_text_stream(path: str):
  """A binary line-iterable stream of `path`, decompressing .gz / .zst."""
  f = tf.io.gfile.GFile(path, "rb")
  if path.endswith(".gz"):
    import gzip  # pylint: disable=g-import-not-at-top
    return gzip.GzipFile(fileobj=f)
  if path.endswith(".zst"):
    import zstandard  # pylint: disable=g-import-not-at-top
    return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(f))
  return f


def iter_rows(path: str, text_field: str,
              bad_row: Callable[[str, str, str], None]
              ) -> Iterator[Tuple[int, str]]:
  """Yields (line number, text) of every good line of a JSONL file.

  Args:
    path: the file.
    text_field: the key holding the document text.
    bad_row: called as bad_row(reason, where, message) for a line that is
      not a JSON object with a string `text_field`; raises or counts.
  """
  with open_text_stream(path) as f:
    for line_no, raw in enumerate(f, 1):
      if not raw.strip():
        continue
      where = f"{path}:{line_no}"
      try:
        record = json.loads(raw)
      except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        bad_row("jsonl_line_not_json", where, f"not a JSON line ({e})")
        continue
      if not isinstance(record, dict) or text_field not in record:
        keys = sorted(record) if isinstance(record, dict) else []
        bad_row("jsonl_line_without_text_field", where,
                f"no key {text_field!r} (keys: {keys}); --text_field names "
                "the text")
        continue
      text = record[text_field]
      if not isinstance(text, str):
        bad_row("jsonl_text_field_not_a_string", where,
                f"key {text_field!r} holds {type(text).__name__}, not a string")
        continue
      yield line_no, text
