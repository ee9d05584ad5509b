"""wordpiece: hand cases, token-for-token parity with the BERT reference
tokenizer (Model Garden's copy of Google BERT's `FullTokenizer`, with the
100-character word limit) and, where the normalisations agree, the byte
offsets of tensorflow_text's FastBertTokenizer."""
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from official.nlp.tools import tokenization
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
    "tab\tnew\nline\rcr\x00nul\x7fdel\x1fus\x0bvt\x0cff\x85nel",
    "para\u2028graph\u2029sep", "ΟΔΟΣ ΣΟΦΙΑ ΑΣ.Β ΑΣ\x07Β ΑΣ\u200bΒ Σ ΑΣ'Σ",
    "\ufffdrepl \u1fefvaria \u037eq ¿Qué? «guillemets» l’été",
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
      list(range(0xFF01, 0xFF20)) + [0x3A3] * 8 +
      [0x200B, 0xAD, 0xFEFF, 0, 9, 10, 11, 12, 13, 0x1C, 0x85, 0x301,
       0xE000, 0xFB01, 0x2028, 0xDF, 0x130, 0x212B, 0x1FEF, 0xFFFD])]
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


def _reference(texts, lower):
  """Ids and row splits of Model Garden's FullTokenizer (100-char words)."""
  tok = tokenization.FullTokenizer(_VOCAB, do_lower_case=lower)
  tok.wordpiece_tokenizer.max_input_chars_per_word = (
      wordpiece.MAX_CHARS_PER_WORD)
  rows = [tok.convert_tokens_to_ids(tok.tokenize(t)) for t in texts]
  return (np.asarray([i for row in rows for i in row], np.int64),
          np.cumsum([0] + [len(row) for row in rows]))


def _assert_same_ids(ours, theirs, texts):
  for t, text in enumerate(texts):
    got = ours[0][ours[1][t]:ours[1][t + 1]].tolist()
    want = theirs[0][theirs[1][t]:theirs[1][t + 1]].tolist()
    assert got == want, f"text {t} {text!r}"


def test_hand_cases():
  tok = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  ids, splits, begin, end = tok.tokenize_with_offsets(
      ["The Cafés.", "unaffable xxxx", "中x", "ﬁne fine", "aB\u200bb q",
       "x\x07x"])
  assert [TOKENS[i] for i in ids] == [
      "the", "cafe", "##s", ".", "un", "##aff", "##able", "x", "##x", "##x",
      "##x", "中", "x", "[UNK]", "fi", "##ne", "a", "##b", "##b", "[UNK]",
      "x", "##x"]
  assert splits.tolist() == [0, 4, 11, 13, 16, 20, 22]
  # Byte offsets into the original text: 'é' is 2 bytes, '中' 3, 'ﬁ' 3 (no
  # compatibility folding: the ligature is no 'fi', so the word is
  # unknown); a removed character (zero-width space, BEL) joins the piece
  # before it.
  assert begin.tolist() == [0, 4, 9, 10, 0, 2, 5, 10, 11, 12, 13, 0, 3, 0, 6,
                            8, 0, 1, 5, 7, 0, 2]
  assert end.tolist() == [3, 9, 10, 11, 2, 5, 9, 11, 12, 13, 14, 3, 4, 5, 8,
                          10, 1, 5, 6, 8, 2, 3]


def test_final_sigma_and_no_compatibility_folding():
  tokens = ["[UNK]", "σ", "ς", "##σ", "##ς", "ο", "##ο", "ß", "##ß", "s",
            "##s", "！", "!", "²", "2"]
  tok = wordpiece.WordPieceTokenizer(tokens, lower_case=True)
  # str.lower(): 'Σ' ending a word (before a non-letter) is 'ς'; a removed
  # control character does not end the word.
  assert [tokens[i] for i in tok.tokenize("ΟΣΟΣ! Σ ΟΣ\x07Ο ß！²")] == [
      "ο", "##σ", "##ο", "##ς", "!", "σ", "ο", "##σ", "##ο", "ß", "！", "²"]


def test_words_over_100_characters_are_unknown():
  tok = wordpiece.WordPieceTokenizer(TOKENS, lower_case=True)
  assert tok.tokenize("x" * 100) == [14] + [15] * 99
  assert tok.tokenize("x" * 101) == [1]
  cased = wordpiece.WordPieceTokenizer(TOKENS + ["é", "##é"],
                                       lower_case=False)
  assert cased.tokenize("é" * 100) == [20] + [21] * 99  # 200 bytes
  assert cased.tokenize("é" * 101) == [1]


def test_vocab_without_the_unknown_token_is_refused():
  with pytest.raises(ValueError, match="'\\[UNK\\]' is not in the vocab"):
    wordpiece.WordPieceTokenizer(["a", "b"], lower_case=True)


@pytest.mark.parametrize("lower", [True, False])
def test_same_ids_as_the_reference_on_the_bundled_corpora(lower):
  texts = _corpus_lines()
  _assert_same_ids(_ours(texts, lower), _reference(texts, lower), texts)


@pytest.mark.parametrize("lower", [True, False])
def test_same_ids_as_the_reference_on_hard_text(lower):
  texts = TRICKY + _random_texts()
  _assert_same_ids(_ours(texts, lower), _reference(texts, lower), texts)


@pytest.mark.parametrize("lower", [True, False])
def test_offsets_as_fast_bert_tokenizer_where_the_tokens_agree(lower):
  # Both split and place pieces alike; they differ in normalisation
  # (tensorflow_text folds compatibility characters), so texts whose ids
  # differ (64 lower-cased corpus lines, e.g. with U+2011 or '½') are left
  # out, and the rest must be almost all.
  texts = _corpus_lines()
  ours, fast = _ours(texts, lower), _fast(texts, lower)
  agreed = 0
  for t in range(len(texts)):
    a, b = slice(*ours[1][t:t + 2]), slice(*fast[1][t:t + 2])
    if np.array_equal(ours[0][a], fast[0][b]):
      agreed += 1
      np.testing.assert_array_equal(ours[2][a], fast[2][b])
      np.testing.assert_array_equal(ours[3][a], fast[3][b])
  assert agreed >= 0.99 * len(texts)


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
