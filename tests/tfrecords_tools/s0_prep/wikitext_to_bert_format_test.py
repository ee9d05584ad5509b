"""Tests for tfrecords_tools.s0_prep.wikitext_to_bert_format
(no TensorFlow needed)."""
import subprocess
import sys

from tfrecords_tools.s0_prep import wikitext_to_bert_format as w2b

# A hand-written snippet in the WikiText layout: every line starts with a
# space, headings stand between blank (" ") lines.
_SNIPPET = "\n".join([
    " ",
    " = Alpha Beta = ",
    " ",
    " Alpha Beta is a 3 @.@ 5 km @-@ long river in the U.S. state of Ohio , "
    "with 1 @,@ 200 residents . It was named by Dr. J. Smith ( 1850 – 1920 ) "
    "in 1901 ! Its name is \" <unk> \" in the local language ; nobody knows "
    "why . ",
    " ",
    " = = History = = ",
    " ",
    " The river 's source wasn 't found until 1950 : it lies near the town 's "
    "edge . ",
    " ",
    " = = = Later years = = = ",
    " ",
    " Fishing is popular . Is it clean ? \" Yes , \" the mayor said . ",
    " ",
    " = Empty Article = ",
    " ",
    " = = Notes = = ",
    " ",
    " = Gamma = ",
    " ",
    " Gamma ( born 1 @,@ 000 BC ) was a king of the Greeks ' city . He ruled "
    "20 % of the land . ",
    " ",
]) + "\n"

_EXPECTED = (
    "Alpha Beta is a 3.5 km-long river in the U.S. state of Ohio, with 1,200 "
    "residents.\n"
    "It was named by Dr. J. Smith (1850 – 1920) in 1901!\n"
    "Its name is \"<unk>\" in the local language; nobody knows why.\n"
    "The river's source wasn't found until 1950: it lies near the town's "
    "edge.\n"
    "Fishing is popular.\n"
    "Is it clean?\n"
    "\"Yes,\" the mayor said.\n"
    "\n"
    "Gamma (born 1,000 BC) was a king of the Greeks' city.\n"
    "He ruled 20% of the land.\n")


def test_snippet_converts_to_expected_text():
  assert w2b.convert_text(_SNIPPET) == _EXPECTED


def test_convert_file_counts_and_skips_empty_article(tmp_path):
  src = tmp_path / "wiki.valid.tokens"
  # A byte-order mark at the start, as in the shared copy of the release.
  src.write_bytes(b"\xef\xbb\xbf" + _SNIPPET.encode("utf-8"))
  out = tmp_path / "sub" / "valid.bert.txt"
  stats = w2b.convert_file(str(src), str(out))
  assert out.read_text(encoding="utf-8") == _EXPECTED
  assert (stats.articles, stats.documents, stats.sentences,
          stats.skipped_empty) == (3, 2, 9, 1)
  assert [p.name for p in out.parent.iterdir()] == ["valid.bert.txt"]


def test_max_documents_stops_after_n_documents():
  first_doc = _EXPECTED.split("\n\n")[0] + "\n"
  assert w2b.convert_text(_SNIPPET, max_documents=1) == first_doc


def test_heading_levels():
  assert w2b.heading_level(" = Alpha Beta = \n") == 1
  assert w2b.heading_level(" = = History = = ") == 2
  assert w2b.heading_level(" = = = Later years = = = ") == 3
  assert w2b.heading_level(" = = Unbalanced = ") == 0
  assert w2b.heading_level(" Some text . ") == 0
  assert w2b.heading_level(" ") == 0


def test_heading_shaped_line_inside_text_is_text():
  # From the test split: a formula broken over lines looks like a title.
  text = " \n = Title = \n \n A filter with \n = 1 k = \n and more . \n"
  assert w2b.convert_text(text) == "A filter with\n= 1 k =\nand more.\n"


def test_single_quotes_and_elisions():
  assert w2b.paragraph_to_sentences(
      " He said , ' Go home . ' Then Linnaeus ' idea of the ' anti @-@ war ' "
      "concept of the ' 70s won . ") == [
          "He said, 'Go home.'",
          "Then Linnaeus' idea of the 'anti-war' concept of the '70s won."]


def test_abbreviations_and_lowercase_do_not_split():
  assert w2b.paragraph_to_sentences(
      " H. gammarus and St. Paul met Mr. Smith . then he left . ") == [
          "H. gammarus and St. Paul met Mr. Smith. then he left."]


def test_text_before_first_title_is_its_own_document():
  text = " Preface text . \n \n = Title = \n \n Body . \n"
  assert w2b.convert_text(text) == "Preface text.\n\nBody.\n"


def test_cli_writes_file(tmp_path):
  src = tmp_path / "in.txt"
  src.write_text(_SNIPPET, encoding="utf-8")
  out = tmp_path / "out.txt"
  proc = subprocess.run(
      [sys.executable, "-m", "tfrecords_tools.s0_prep.wikitext_to_bert_format",
       f"--input_file={src}", f"--output_file={out}", "--max_documents=5"],
      cwd="/work/main", capture_output=True, text=True, timeout=60,
      check=False)
  assert proc.returncode == 0, proc.stderr
  assert "2 documents, 9 sentences" in proc.stdout
  assert out.read_text(encoding="utf-8") == _EXPECTED
