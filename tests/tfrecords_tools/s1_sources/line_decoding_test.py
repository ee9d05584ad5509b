"""UTF-8 line decoding: repairs counted, binary and mostly-bad files refused."""
import re

import pytest

from tfrecords_tools import build_report
from tfrecords_tools.s1_sources import line_decoding


def _decode_all(raw_lines, max_share=0.1, path="in.txt"):
  report = build_report.BuildReport()
  decoder = line_decoding.LineDecoder(path, report, max_share)
  texts = [decoder.decode(raw, i) for i, raw in enumerate(raw_lines, 1)]
  decoder.finish()
  return texts, decoder, report


def test_valid_lines_pass_unchanged_and_bad_ones_are_repaired():
  raw = [b"caf\xc3\xa9\n", b"\n", b"ok\n"] + [b"fine\n"] * 7 + [b"bad \xff\n"]
  texts, decoder, report = _decode_all(raw, max_share=0.1)
  assert texts[0] == "caf\u00e9\n" and texts[1] == "\n"
  assert texts[-1] == "bad \ufffd\n"
  # 1 repaired of 10 non-blank lines: exactly the 10% limit, accepted.
  assert (decoder.repaired, decoder.lines, decoder.share) == (1, 10, 0.1)
  assert report.repaired == {line_decoding.REPAIR_REASON: 1}
  assert report.examples[line_decoding.REPAIR_REASON] == ["in.txt:11"]


def test_a_larger_share_of_bad_lines_is_refused_naming_file_and_share():
  raw = [b"fine\n"] * 8 + [b"\xfe\xff\n", b"\x80abc\n"]
  with pytest.raises(line_decoding.UndecodableInputError, match=re.escape(
      "Input corpus.txt: 2 of 10 lines (20.0%) are not valid UTF-8, more "
      "than --max_undecodable_share=0.1; convert the file to UTF-8 or leave "
      "it out.")):
    _decode_all(raw, max_share=0.1, path="corpus.txt")
  _, decoder, _ = _decode_all(raw, max_share=0.2)  # the flag lets it pass
  assert decoder.repaired == 2


def test_a_large_bad_file_is_refused_after_its_first_lines():
  n = line_decoding.EARLY_CHECK_LINES
  report = build_report.BuildReport()
  decoder = line_decoding.LineDecoder("big.txt", report, 0.1)
  for i in range(1, n):  # every 5th line is bad: 20%
    decoder.decode(b"\xff\n" if i % 5 == 0 else b"ok\n", i)
  with pytest.raises(line_decoding.UndecodableInputError, match=re.escape(
      f"Input big.txt: {n // 5} of the first {n} lines (20.0%) are not "
      "valid UTF-8")):
    decoder.decode(b"\xff\n", n)  # the n-th non-blank line: checked now


def test_a_nul_byte_means_binary():
  with pytest.raises(line_decoding.UndecodableInputError, match=re.escape(
      "Input x.bin looks binary (a NUL byte on line 2); give UTF-8 text "
      "(--input_file).")):
    _decode_all([b"text\n", b"a\x00b\n"], max_share=1.0, path="x.bin")
  with pytest.raises(line_decoding.UndecodableInputError, match="binary"):
    _decode_all(["UTF-16 text\n".encode("utf-16")], max_share=1.0)


def test_empty_file_and_bad_setting():
  _, decoder, _ = _decode_all([], max_share=0.0)
  assert decoder.share == 0.0
  with pytest.raises(ValueError, match=r"must be in \[0, 1\], got 1.5"):
    line_decoding.LineDecoder("f", build_report.BuildReport(), 1.5)
