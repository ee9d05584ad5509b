"""Tests for tfrecords_tools.s1_sources.parquet_source:
batches, nulls, missing column."""
import pyarrow as pa
import pyarrow.parquet as pq

from tfrecords_tools.s1_sources import parquet_source


def _write(path, **columns):
  pq.write_table(pa.table(columns), str(path), row_group_size=2)


def test_reads_every_row_group_in_order(tmp_path, monkeypatch):
  monkeypatch.setattr(parquet_source, "_BATCH_ROWS", 2)
  texts = [f"doc {i}" for i in range(7)]
  _write(tmp_path / "c.parquet", body=texts, n=list(range(7)))
  bad = []
  rows = list(parquet_source.iter_rows(str(tmp_path / "c.parquet"), "body",
                                       lambda *a: bad.append(a)))
  assert rows == list(enumerate(texts)) and not bad


def test_null_cells_and_missing_column_go_to_the_handler(tmp_path):
  path = tmp_path / "c.parquet"
  _write(path, text=["a", None, "c"])
  bad = []
  rows = list(parquet_source.iter_rows(str(path), "text",
                                       lambda *a: bad.append(a)))
  assert rows == [(0, "a"), (2, "c")]
  assert bad == [("parquet_text_cell_not_a_string", f"{path}:row 1",
                  "column 'text' holds null, not a string")]
  bad.clear()
  assert not list(parquet_source.iter_rows(str(path), "body",
                                           lambda *a: bad.append(a)))
  assert bad == [("parquet_file_without_text_column", str(path),
                  "no column 'body' (columns: ['text']); --text_field names "
                  "the text")]
