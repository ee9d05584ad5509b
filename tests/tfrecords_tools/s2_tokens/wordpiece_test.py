"""wordpiece: hand cases, and token-for-token parity with tensorflow_text."""
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools.s2_tokens import wordpiece

_REPO = fx.REPO
_DATA = os.path.join(_REPO, "data")
_VOCAB = os.path.join(_DATA, "wikitext2", "vocab_uncased_8k.txt")

TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cafe", "##s",
          "hello", ".", "un", "##aff", "##able", "中", "x", "##x", "fi",
          "##ne", "a", "##b"]

TRICKY = [
    "ab\u00a0cd", "Ünïcödé Café naïve", "中文字符 and 日本語のテキスト 한국어",
    "tab\tnew\nline\rcr\x00nul\x7fdel\x1fus",
    "zero\u200bwidth soft\u00adhyphen bom\ufeffx", "x" * 101, "y" * 100,
    "é" * 60, "ж" * 51, "ж" * 50, "ﬁne Ｆｕｌｌ ² ß İstanbul ǅ ℃",
    "a\u0301b", "e\u0301", "\ue000priv \u0378unassigned",
    "ar\u061cabic \u0600x \u115fk \u3164h \u2060j \U000e0001t",
    "“quoted” — dash – en ‑ nb", "A.B.C. U.S.A. don't 3.14 $5 @-@", "",
    "   ", "\u200b", "Ω℃…‴",
]


def _vocab():
  with open(_VOCAB, encoding="utf-8") as f:
    return [line.rstrip("\n") for line in f]


def _corpus_lines():
  lines = []
  for name in ("valid.bert.txt", "test.bert.txt"):
    with open(os.path.join(_DATA, "wikitext2", name), encoding="utf-8") as f:
      lines += [l for l in f.read().split("\n") if l.strip()]
  for task in ("sst2", "agnews"):
    with open(os.path.join(_DATA, task, "dev.tsv"), encoding="utf-8") as f:
      for line in f:
        lines += line.rstrip("\n").split("\t")
  return lines


def _random_texts(n=1500, seed=0):
  rng = random.Random(seed)
  pool = [chr(c) for c in (
      list(range(32, 127)) + list(range(0xA0, 0x250)) +
      list(range(0x370, 0x3FF)) + list(range(0x2000, 0x206F)) +
      list(range(0x3000, 0x303F)) + list(range(0x4E00, 0x4E40)) +
      [0x200B, 0xAD, 0xFEFF, 0, 9, 10, 13, 0x301, 0xE000, 0xFB01])]
  return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 60)))
          for _ in range(n)]


def _ours(texts, lower, vocab=None):
  return wordpiece.WordPieceTokenizer(vocab or _vocab(),
                                      lower).tokenize_with_offsets(texts)


def _fast(texts, lower):
  tok = tf_text.FastBertTokenizer(
      vocab=_vocab(), token_out_type=tf.int32, unknown_token="[UNK]",
      lower_case_nfd_strip_accents=lower)
  ids, begin, end = tok.tokenize_with_offsets(tf.constant(texts))
  return (ids.flat_values.numpy(), ids.row_splits.numpy(),
          begin.flat_values.numpy(), end.flat_values.numpy())


def _bert(texts, lower):
  vocab = _vocab()
  table = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
      vocab, tf.range(len(vocab), dtype=tf.int64)), 1)
  tok = tf_text.BertTokenizer(table, token_out_type=tf.int64,
                              unknown_token="[UNK]", lower_case=lower)
  ids = tok.tokenize(tf.constant(texts)).merge_dims(-2, -1)
  return ids.flat_values.numpy(), ids.row_splits.numpy()


def _assert_same(ours, theirs, offsets=True):
  np.testing.assert_array_equal(ours[1], theirs[1])  # tokens per text
  np.testing.assert_array_equal(ours[0], theirs[0])
  if offsets:
    np.testing.assert_array_equal(ours[2], theirs[2])
    np.testing.assert_array_equal(ours[3], theirs[3])


def test_hand_cases():
  tok = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  ids, splits, begin, end = tok.tokenize_with_offsets(
      ["The Cafés.", "unaffable xxxx", "中x", "ﬁne", "aB\u200bb q"])
  assert [TOKENS[i] for i in ids] == [
      "the", "cafe", "##s", ".", "un", "##aff", "##able", "x", "##x", "##x",
      "##x", "中", "x", "fi", "##ne", "a", "##b", "##b", "[UNK]"]
  assert splits.tolist() == [0, 4, 11, 13, 15, 19]
  # Byte offsets into the original text: 'é' is 2 bytes, '中' 3, 'ﬁ' 3 (its
  # two letters share its span); the zero-width space joins the piece
  # before it.
  assert begin.tolist() == [0, 4, 9, 10, 0, 2, 5, 10, 11, 12, 13, 0, 3, 0, 3,
                            0, 1, 5, 7]
  assert end.tolist() == [3, 9, 10, 11, 2, 5, 9, 11, 12, 13, 14, 3, 4, 3, 5,
                          1, 5, 6, 8]


def test_words_over_100_bytes_are_unknown():
  tok = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  assert tok.tokenize("x" * 100) == [14] + [15] * 99
  assert tok.tokenize("x" * 101) == [1]


def test_vocab_without_the_unknown_token_is_refused():
  with pytest.raises(ValueError, match="'\\[UNK\\]' is not in the vocab"):
    wordpiece.WordPieceTokenizer(["a", "b"], lower_case=True)


@pytest.mark.parametrize("lower", [True, False])
def test_same_as_fast_bert_tokenizer_on_the_bundled_corpora(lower):
  texts = _corpus_lines()
  _assert_same(_ours(texts, lower), _fast(texts, lower))


@pytest.mark.parametrize("lower", [True, False])
def test_same_as_fast_bert_tokenizer_on_hard_text(lower):
  texts = TRICKY + _random_texts()
  _assert_same(_ours(texts, lower), _fast(texts, lower))


def test_same_as_bert_tokenizer_lower_case():
  corpus = _corpus_lines()
  _assert_same(_ours(corpus, True), _bert(corpus, True), offsets=False)
  # BertTokenizer's regex splits on ASCII whitespace only; its case folding
  # turns every other space into ' ' except the line/paragraph separators
  # U+2028/U+2029, which FastBertTokenizer (and this module) split on.
  hard = [t for t in TRICKY + _random_texts() if
          "\u2028" not in t and "\u2029" not in t]
  _assert_same(_ours(hard, True), _bert(hard, True), offsets=False)


def test_builder_modules_import_no_tensorflow():
  code = ("import sys; from tfrecords_tools import create_pretraining_data; "
          "from tfrecords_tools.s2_tokens import tokenizer; "
          "from tfrecords_tools.s4_labels import idf_pass; "
          "from tfrecords_tools.s6_runners import local_builder; "
          "sys.exit(int('tensorflow' in sys.modules))")
  env = dict(os.environ, PYTHONPATH=_REPO)
  assert subprocess.run([sys.executable, "-c", code], env=env,
                        check=False).returncode == 0


def test_results_stay_the_same_when_the_word_cache_restarts(monkeypatch):
  tok = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  tok.tokenize_with_offsets(["the cafes"])
  monkeypatch.setattr(wordpiece, "MAX_CACHED_WORDS", 1)
  got = tok.tokenize_with_offsets(["unaffable hello", "The"])
  words = tok._word_index  # pylint: disable=protected-access
  assert "cafes" not in words and set(words) == {"unaffable", "hello", "the"}
  fresh = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  for a, b in zip(got, fresh.tokenize_with_offsets(["unaffable hello",
                                                    "The"])):
    np.testing.assert_array_equal(a, b)
