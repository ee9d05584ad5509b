"""Tests for tfrecords_tools.s1_sources.jsonl_source:
streams, compression, bad lines."""
import gzip

import pytest
import zstandard

from tfrecords_tools.s1_sources import jsonl_source

_LINES = b'{"text": "one"}\n\n{"t": 1}\n[1, 2]\n{"text": null}\n\xff{\n' \
         b'{"text": "two", "id": 7}\n'


def _rows(path, bad):
  return list(jsonl_source.iter_rows(str(path), "text",
                                     lambda *a: bad.append(a)))


@pytest.mark.parametrize("suffix,compress", [
    ("", lambda b: b), (".gz", gzip.compress),
    (".zst", zstandard.ZstdCompressor().compress)])
def test_rows_and_bad_lines_in_every_compression(tmp_path, suffix, compress):
  path = tmp_path / f"c.jsonl{suffix}"
  path.write_bytes(compress(_LINES))
  bad = []
  assert _rows(path, bad) == [(1, "one"), (7, "two")]
  assert [(reason, where) for reason, where, _ in bad] == [
      ("jsonl_line_without_text_field", f"{path}:3"),
      ("jsonl_line_without_text_field", f"{path}:4"),
      ("jsonl_text_field_not_a_string", f"{path}:5"),
      ("jsonl_line_not_json", f"{path}:6")]
  assert bad[0][2] == ("no key 'text' (keys: ['t']); --text_field names the "
                       "text")
  assert bad[2][2] == "key 'text' holds NoneType, not a string"


def test_a_raising_handler_stops_at_the_first_bad_line(tmp_path):
  path = tmp_path / "c.jsonl"
  path.write_bytes(_LINES)

  def fail(reason, where, message):
    raise ValueError(f"{where}: {message} [{reason}]")

  with pytest.raises(ValueError, match=rf"^{path}:3: no key 'text'"):
    list(jsonl_source.iter_rows(str(path), "text", fail))
