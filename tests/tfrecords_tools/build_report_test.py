"""The skip/repair report: counts, examples, merging, one-line summaries."""
from tfrecords_tools import build_report


def test_counts_examples_merge_and_summary():
  a, b = build_report.BuildReport(), build_report.BuildReport()
  a.skip("empty_file", "x.txt")
  a.repair("non_utf8_line_decoded_with_replacement", "y.txt:3", count=2)
  b.skip("empty_file", "z.txt")
  b.skip("document_too_short_for_so", "y.txt:9")
  a.merge(b)
  assert a.to_json() == {
      "skipped": {"document_too_short_for_so": 1, "empty_file": 2},
      "repaired": {"non_utf8_line_decoded_with_replacement": 2},
      "examples": {"document_too_short_for_so": ["y.txt:9"],
                   "empty_file": ["x.txt", "z.txt"],
                   "non_utf8_line_decoded_with_replacement": ["y.txt:3"]}}
  # Largest count first, then by name; zero counts left out.
  assert build_report.describe_counts(a.skipped) == (
      "2 empty_file, 1 document_too_short_for_so")
  assert build_report.describe_counts({"b": 1, "a": 1, "c": 0}) == "1 a, 1 b"
  assert build_report.describe_counts({}) == ""


def test_examples_are_capped_per_reason():
  r = build_report.BuildReport()
  for i in range(build_report.MAX_EXAMPLES_PER_REASON + 5):
    r.repair("split_inside_sentence", f"f:{i}")
  assert r.repaired["split_inside_sentence"] == (
      build_report.MAX_EXAMPLES_PER_REASON + 5)
  assert len(r.examples["split_inside_sentence"]) == (
      build_report.MAX_EXAMPLES_PER_REASON)
