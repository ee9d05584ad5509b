"""Tests for tfrecords_tools.build_vocab and the checks in vocab.py."""
import gzip
import logging
import os
import subprocess
import sys

from absl import flags
import pytest

from tfrecords_tools import build_vocab
from tfrecords_tools.s0_prep import wikitext_to_bert_format
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s2_tokens import wordpiece

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_RESERVED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Each line 10 times: uncased "the" x30, "quick", "fox", "dog" x20 each;
# cased "The" x20, "the" x10, "Quick" x10, "quick" x10.
_CORPUS = ("The quick brown fox jumps over the lazy dog.\n"
           "The dog sleeps.\n"
           "\n"
           "A Quick fox runs!\n") * 10


def _run_cli(*args):
  return subprocess.run(
      [sys.executable, "-m", "tfrecords_tools.build_vocab", *args],
      cwd=_REPO, capture_output=True, text=True, timeout=120,
      check=False)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
  d = tmp_path_factory.mktemp("corpus")
  # Half plain, half gzip, to read both kinds.
  half = len(_CORPUS) // 2
  half = _CORPUS.rindex("\n", 0, half) + 1
  (d / "part-0.txt").write_text(_CORPUS[:half], encoding="utf-8")
  with gzip.open(d / "part-1.txt.gz", "wt", encoding="utf-8") as f:
    f.write(_CORPUS[half:])
  return d


@pytest.fixture(scope="module")
def uncased(corpus_dir):
  return build_vocab.build_vocab(
      f"{corpus_dir}/*.txt,{corpus_dir}/*.gz", vocab_size=200,
      do_lower_case=True)


@pytest.fixture(scope="module")
def cased(corpus_dir):
  return build_vocab.build_vocab(
      [f"{corpus_dir}/*.txt", f"{corpus_dir}/*.gz"], vocab_size=200,
      do_lower_case=False)


def test_uncased_vocab(uncased):
  assert uncased[:5] == _RESERVED
  assert len(uncased) == len(set(uncased))
  assert len(uncased) <= 200
  for word in ["the", "quick", "fox", "dog", "a", ".", "!"]:
    assert word in uncased
  ordinary = [t for t in uncased if t not in _RESERVED]
  assert not [t for t in ordinary if t != t.lower()]
  assert "The" not in uncased and "Quick" not in uncased


def test_cased_vocab_keeps_capitals(cased, uncased):
  assert cased[:5] == _RESERVED
  assert len(cased) == len(set(cased))
  assert len(cased) <= 200
  for word in ["The", "the", "Quick", "quick", "fox", "A"]:
    assert word in cased
  assert set(cased) != set(uncased)


def test_small_vocab_size_is_respected(corpus_dir):
  # 28 characters (a pangram plus "." and "!"), bare and with "##", and the 5
  # reserved tokens already make 61 tokens.
  tokens = build_vocab.build_vocab(str(corpus_dir / "part-0.txt"),
                                   vocab_size=70, do_lower_case=True,
                                   min_token_count=1)
  assert tokens[:5] == _RESERVED
  assert len(tokens) <= 70
  assert len(tokens) == len(set(tokens))
  for char in "abcdefghijklmnopqrstuvwxyz.!":
    assert char in tokens
    if char.isalpha():
      assert "##" + char in tokens


def test_fit_to_size_keeps_reserved_and_characters():
  tokens = _RESERVED + ["a", "b", "the", "##a", "cat", "##b", "dog"]
  assert build_vocab._fit_to_size(tokens, 20, 5) == tokens
  assert build_vocab._fit_to_size(tokens, 9, 5) == _RESERVED + [
      "a", "b", "##a", "##b"]
  assert build_vocab._fit_to_size(tokens, 10, 5) == _RESERVED + [
      "a", "b", "the", "##a", "##b"]


def test_vocab_works_with_the_reference_tokenizer(uncased, tmp_path):
  path = tmp_path / "vocab.txt"
  vocab = build_vocab.write_vocab_atomically(uncased, str(path))
  assert vocab.tokens == tuple(uncased)
  tokenizer = wordpiece.WordPieceTokenizer(vocab.tokens, lower_case=True)
  ids = tokenizer.tokenize("The QUICK dog!")
  assert [vocab.tokens[i] for i in ids] == ["the", "quick", "dog", "!"]
  # A word never seen as a whole is spelled from pieces, not [UNK].
  ids = tokenizer.tokenize("zebra")
  assert vocab.unk_id not in ids
  pieces = [vocab.tokens[i] for i in ids]
  assert "".join(p.removeprefix("##") for p in pieces) == "zebra"


def test_uncased_vocab_learns_the_reference_normalisation(tmp_path):
  # str.lower() keeps 'ß' and the ligature 'ﬁ' (NFKC case folding, the
  # learner's own, would give 'ss' and 'fi'); accents go.
  path = tmp_path / "de.txt"
  path.write_text("Die Straße ist ﬁne, Café.\n" * 10, encoding="utf-8")
  tokens = build_vocab.build_vocab(str(path), vocab_size=100,
                                   do_lower_case=True, min_token_count=1)
  assert {"ß", "ﬁ", "cafe"} <= set(tokens)
  assert "é" not in tokens and "Straße" not in tokens
  tokenizer = wordpiece.WordPieceTokenizer(tokens, lower_case=True)
  assert vocab_lib.UNK not in [tokens[i] for i in tokenizer.tokenize(
      "DIE STRASSE Straße ﬁne")]


def test_max_lines(corpus_dir):
  files = build_vocab.expand_patterns(str(corpus_dir / "part-0.txt"))
  lines = list(build_vocab.iter_corpus_lines(files, max_lines=3))
  assert lines == ["The quick brown fox jumps over the lazy dog.",
                   "The dog sleeps.", "A Quick fox runs!"]


def test_non_utf8_is_replaced_and_warned_once(tmp_path, caplog):
  path = tmp_path / "bad.txt"
  # 2 of 20 lines: the builder's limit (10%) accepts the file.
  path.write_bytes(b"ok line\n" * 18 + b"\ncaf\xe9 one\ncaf\xe9 two\n")
  with caplog.at_level(logging.WARNING):
    lines = list(build_vocab.iter_corpus_lines([str(path)]))
  assert lines == ["ok line"] * 18 + ["caf\ufffd one", "caf\ufffd two"]
  warnings = [r.getMessage() for r in caplog.records
              if r.levelno == logging.WARNING]
  assert len(warnings) == 1
  assert f"{path}:20 " in warnings[0]
  # Mostly non-UTF-8, or binary: refused as the builder refuses it.
  path.write_bytes(b"ok line\ncaf\xe9 one\n")
  with pytest.raises(build_vocab.BuildVocabError,
                     match=r"1 of 2 lines \(50\.0%\) are not valid UTF-8"):
    build_vocab.build_vocab(str(path), 100, True)


def test_empty_corpus_is_an_error(tmp_path):
  (tmp_path / "blank.txt").write_text("\n  \n\n", encoding="utf-8")
  with pytest.raises(build_vocab.BuildVocabError, match="corpus is empty"):
    build_vocab.build_vocab(str(tmp_path / "blank.txt"), 100, True)


def test_missing_glob_cli_exits_2_naming_the_glob(tmp_path, corpus_dir):
  missing = str(tmp_path / "nothing-*.txt")
  out = tmp_path / "vocab.txt"
  proc = _run_cli(f"--input_file={corpus_dir}/part-0.txt,{missing}",
                  f"--vocab_file={out}", "--vocab_size=100",
                  "--do_lower_case=true")
  assert proc.returncode == 2
  assert missing in proc.stderr
  assert "No file matches" in proc.stderr
  assert "Traceback" not in proc.stderr
  assert not out.exists()


def test_cli_writes_validated_vocab(tmp_path, corpus_dir):
  out = tmp_path / "out" / "vocab.txt"
  proc = _run_cli(f"--input_file={corpus_dir}/part-*", f"--vocab_file={out}",
                  "--vocab_size=200", "--do_lower_case=false")
  assert proc.returncode == 0, proc.stderr
  vocab = vocab_lib.load_vocab(str(out))
  assert list(vocab.tokens[:5]) == _RESERVED
  assert "Quick" in vocab.tokens
  assert f"{len(vocab)} tokens, sha256 {vocab.sha256}" in proc.stdout
  assert [p.name for p in out.parent.iterdir()] == ["vocab.txt"]


def test_tools_can_be_imported_together():
  # Each CLI defines its flags only when run as a program, so both modules
  # (which share flag names) import into one process.
  defining_modules = set(flags.FLAGS.flags_by_module_dict())
  assert not defining_modules & {build_vocab.__name__,
                                 wikitext_to_bert_format.__name__}
  assert callable(wikitext_to_bert_format.convert_file)
  assert callable(build_vocab.build_vocab)


def test_load_vocab_names_file_and_missing_mask(tmp_path):
  path = tmp_path / "vocab.txt"
  path.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n", encoding="utf-8")
  with pytest.raises(vocab_lib.VocabError) as e:
    vocab_lib.load_vocab(str(path))
  assert str(path) in str(e.value)
  assert "[MASK]" in str(e.value)


def test_load_vocab_names_duplicate_line(tmp_path):
  path = tmp_path / "vocab.txt"
  path.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nfox\nthe\n",
                  encoding="utf-8")
  with pytest.raises(vocab_lib.VocabError, match=r"vocab\.txt:8 repeats "
                     r"token 'the' \(first at line 6\)"):
    vocab_lib.load_vocab(str(path))


def test_write_vocab_atomically_rejects_invalid_and_leaves_nothing(tmp_path):
  path = tmp_path / "vocab.txt"
  with pytest.raises(vocab_lib.VocabError, match=r"\[MASK\]"):
    build_vocab.write_vocab_atomically(_RESERVED[:4] + ["the"], str(path))
  assert list(tmp_path.iterdir()) == []
