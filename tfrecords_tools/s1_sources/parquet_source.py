"""Parquet corpora: one document a row, its text in a column (default `text`).

Read a record batch at a time (only the text column), so memory holds one
batch. Rows are numbered from 0 in file order.
"""
import io
from typing import Callable, Iterator, Tuple

import tensorflow as tf

_BATCH_ROWS = 1024


class _SeekableGFile(io.RawIOBase):
  """A tf.io.gfile.GFile as the random-access file object pyarrow reads."""

  def __init__(self, path: str):
    super().__init__()
    self._f = tf.io.gfile.GFile(path, "rb")

  def readable(self):
    return True

  def seekable(self):
    return True

  def seek(self, offset, whence=io.SEEK_SET):
    self._f.seek(offset, whence)
    return self._f.tell()

  def tell(self):
    return self._f.tell()

  def readinto(self, buffer):
    data = self._f.read(len(buffer))
    buffer[:len(data)] = data
    return len(data)

  def close(self):
    self._f.close()
    super().close()


def iter_rows(path: str, text_field: str,
              bad_row: Callable[[str, str, str], None]
              ) -> Iterator[Tuple[int, str]]:
  """Yields (row number, text) of every good row of a Parquet file.

  Args:
    path: the file.
    text_field: the column holding the document text.
    bad_row: called as bad_row(reason, where, message) for a file without
      the column (then nothing is read from it) or a null / non-string cell.
  """
  import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
  with _SeekableGFile(path) as f:
    parquet = pq.ParquetFile(f)
    names = parquet.schema_arrow.names
    if text_field not in names:
      bad_row("parquet_file_without_text_column", path,
              f"no column {text_field!r} (columns: {names}); --text_field "
              "names the text")
      return
    row = 0
    for batch in parquet.iter_batches(batch_size=_BATCH_ROWS,
                                      columns=[text_field]):
      for text in batch.column(0).to_pylist():
        if not isinstance(text, str):
          bad_row("parquet_text_cell_not_a_string", f"{path}:row {row}",
                  f"column {text_field!r} holds "
                  f"{'null' if text is None else type(text).__name__}, not a "
                  "string")
        else:
          yield row, text
        row += 1
