"""BERT WordPiece tokenisation in plain Python, with byte offsets (no TensorFlow).

Token-for-token the BERT reference tokenizer: Google BERT's
`tokenization.FullTokenizer` (`BasicTokenizer` + `WordpieceTokenizer`), which
Model Garden's `official.nlp.tools.tokenization` (our fine-tuning data path)
copies, with the word-length limit of Hugging Face's tokenizers, 100
characters (Google's is 200, Model Garden's 400: a word of 101-400
characters is [UNK] here and in `transformers`, pieces in Model Garden's
fine-tuning). `tests/tfrecords_tools/s2_tokens/wordpiece_test.py` checks it
against Model Garden's on the bundled corpora and on accents, CJK, control
characters, compatibility characters and very long words; the interop tests
(`tests/official_ext/interchange/interop_test.py`) against `transformers`'
`BertTokenizer` loaded from our Hugging Face exports.
Importing it costs milliseconds and a few MB, where TensorFlow costs seconds
and ~800 MB.

Steps, as the reference does them:
  1. Clean: NUL, U+FFFD and control/format characters (Cc, Cf) other than
     tab, newline and carriage return are removed; whitespace (those three,
     ' ' and category Zs) becomes ' '.
  2. Lower-case mode only: `str.lower()` (so 'Σ' ends a word as 'ς'), NFD,
     accents (category Mn) removed. No compatibility folding: 'ﬁ', full-width
     forms, '²' and 'ß' stay as they are (tensorflow_text's NFKC case folding,
     which this module followed before, turned them into 'fi', ASCII, '2' and
     'ss', so ids differed from the reference and from `transformers`).
  3. Split on whitespace (`str.split`'s); every punctuation character (ASCII
     symbols `!-/ :-@ [-` {-~` and category P*) and every CJK ideograph is
     its own word.
  4. WordPiece: greedy longest-match-first with the '##' continuation
     prefix; a word with an unmatched rest, or longer than 100 characters
     after normalisation, is one unknown token.

Known differences of `transformers`' (Rust `tokenizers`) BertTokenizer from
the reference, kept here on the reference's side: it lower-cases character
by character ('Σ' is always 'σ') and removes private-use, surrogate and
unassigned characters (the reference keeps them, usually as [UNK]).

Offsets are byte offsets into the ORIGINAL text: a piece spans from the first
to the last original character it came from (a character that normalises to
several, e.g. 'İ' -> 'i' + dot, gives its span to the last of them; a removed
one extends the span of the character before it; see `_tokenize_unicode`).

Speed: all plain-ASCII texts of a call (the common case) are joined, mapped
with one `str.translate` and split with one regex; other texts are handled
per special character. Each distinct word's pieces are computed once and
kept in flat tables (up to MAX_CACHED_WORDS words, then the cache restarts),
so the per-token work is NumPy indexing. Character properties come from
Python's `unicodedata`.
"""
import re
import unicodedata
from typing import Dict, List, Sequence, Tuple

import numpy as np

MAX_CHARS_PER_WORD = 100
MAX_CACHED_WORDS = 1_000_000
SUFFIX = "##"

_ASCII_PUNCT = "!-/:-@\\[-`{-~"
_WORD_RE = re.compile("([^\\s" + _ASCII_PUNCT + "]+|[" + _ASCII_PUNCT + "])")
# Characters handled one by one: non-ASCII, and ASCII controls that are
# removed (all but tab, newline, carriage return).
_SPECIAL = re.compile("([^\\t\\n\\r\\x20-\\x7e])")
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF),
               (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF),
               (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
_CAPITAL_SIGMA = "\u03a3"

# Character classes of the splitter.
_SPACE, _ALONE, _WORD = 0, 1, 2
_SKELETON = {_SPACE: " ", _ALONE: "!", _WORD: "a"}  # an ASCII stand-in


def _in_ranges(code: int, ranges) -> bool:
  return any(lo <= code <= hi for lo, hi in ranges)


def _is_removed(ch: str) -> bool:
  """NUL, U+FFFD and controls other than tab/newline/CR (reference step 1)."""
  if ch in "\t\n\r":
    return False
  return (ch in "\x00\ufffd" or
          unicodedata.category(ch) in ("Cc", "Cf"))


def _is_space(ch: str) -> bool:
  return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def normalize_char(ch: str, lower_case: bool) -> str:
  """What one original character becomes before splitting ('' if removed).

  'Σ' in lower-case mode depends on its place in the word (`_sigma_forms`);
  this gives its form inside a word, 'σ'.
  """
  if _is_removed(ch):
    return ""
  if _is_space(ch):
    return " "
  if not lower_case:
    return ch
  return "".join(c for c in unicodedata.normalize("NFD", ch.lower())
                 if unicodedata.category(c) != "Mn")


def _sigma_forms(text: str) -> List[str]:
  """The lower case of each 'Σ' of `text`, in order, as the reference gets
  it: `str.lower()` of the cleaned text ('ς' at the end of a word)."""
  cleaned = "".join(c for c in text if not _is_removed(c))
  lowered = cleaned.lower()
  forms, position = [], 0
  for ch in cleaned:
    if ch == _CAPITAL_SIGMA:
      forms.append(lowered[position])
    position += len(ch.lower())  # the same in any context
  return forms


def normalize_text(text: str, lower_case: bool) -> str:
  """`text` as the splitter sees it (steps 1-2 of the module docstring)."""
  if not _SPECIAL.search(text):
    return text.translate(_ascii_table(lower_case))
  sigmas = (iter(_sigma_forms(text))
            if lower_case and _CAPITAL_SIGMA in text else None)
  return "".join(next(sigmas) if sigmas and ch == _CAPITAL_SIGMA else
                 normalize_char(ch, lower_case) for ch in text)


def char_class(ch: str) -> int:
  """_SPACE, _ALONE (punctuation or CJK: a word by itself) or _WORD."""
  if ch.isspace():
    return _SPACE
  code = ord(ch)
  if (33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or
      123 <= code <= 126 or unicodedata.category(ch).startswith("P") or
      _in_ranges(code, _CJK_RANGES)):
    return _ALONE
  return _WORD


def _ascii_table(lower_case: bool) -> Dict[int, int]:
  """Plain ASCII (no removed controls): tab/newline/CR -> space, and A-Z ->
  a-z when lower-casing."""
  table = {9: 32, 10: 32, 13: 32}
  if lower_case:
    table.update({c: c + 32 for c in range(65, 91)})
  return table


class WordPieceTokenizer:
  """Text -> WordPiece ids and original byte offsets.

  Args:
    tokens: the vocabulary, id order.
    lower_case: fold case and strip accents (uncased vocab).
    unknown_token: the token of words WordPiece cannot cover.
  """

  def __init__(self, tokens: Sequence[str], lower_case: bool,
               unknown_token: str = "[UNK]"):
    self._ids = {t: i for i, t in enumerate(tokens)}
    if unknown_token not in self._ids:
      raise ValueError(f"unknown token {unknown_token!r} is not in the vocab")
    self.unk_id = self._ids[unknown_token]
    self._lower = lower_case
    self._table = _ascii_table(lower_case)
    self._max_len = max(len(t) for t in tokens)
    self._chars: Dict[str, Tuple[str, str, int]] = {}
    self._forget_words()

  def _forget_words(self):
    # Every distinct word seen: its index, and its pieces in flat tables.
    self._word_index: Dict[str, int] = {}
    self._first: List[int] = []
    self._count: List[int] = []
    self._piece = ([], [], [])  # ids, begin and end (characters in word)
    self._arrays = None

  def word_pieces(self, word: str) -> Tuple[List[int], List[int], List[int]]:
    """(ids, piece begins, piece ends) in the word's characters.

    A word WordPiece cannot cover, or longer than MAX_CHARS_PER_WORD
    characters, is one unknown token.
    """
    ids, ends = [], []
    n = len(word)
    if n <= MAX_CHARS_PER_WORD:
      start = 0
      while start < n:
        stop = min(n, start + self._max_len)
        prefix = SUFFIX if start else ""
        while stop > start and (prefix + word[start:stop]) not in self._ids:
          stop -= 1
        if stop == start:
          ids = None
          break
        ids.append(self._ids[prefix + word[start:stop]])
        ends.append(stop)
        start = stop
    else:
      ids = None
    if ids is None:
      ids, ends = [self.unk_id], [n]
    return ids, [0] + ends[:-1], ends

  def _indices(self, words: Sequence[str]) -> np.ndarray:
    """Index of each word in the piece tables (new words are added)."""
    if len(self._first) > MAX_CACHED_WORDS:
      self._forget_words()
    index = list(map(self._word_index.get, words))
    if None in index:
      for word in set(w for w, i in zip(words, index) if i is None):
        ids, begins, ends = self.word_pieces(word)
        self._word_index[word] = len(self._first)
        self._first.append(len(self._piece[0]))
        self._count.append(len(ids))
        for table, values in zip(self._piece, (ids, begins, ends)):
          table.extend(values)
      self._arrays = None
      index = list(map(self._word_index.get, words))
    return np.asarray(index, np.int64)

  def _tables(self):
    if self._arrays is None:
      self._arrays = tuple(np.asarray(t, np.int64) for t in
                           (self._first, self._count) + self._piece)
    return self._arrays

  def _pieces(self, normalized: str, skeleton: str):
    """Pieces of a normalised string, split on its ASCII skeleton.

    Returns:
      (ids, begin, end, word start) numpy arrays per piece; positions are
      characters of `normalized` (end exclusive).
    """
    parts = _WORD_RE.split(skeleton)  # gap, word, gap, ..., word, gap
    if len(parts) == 1:
      z = np.zeros(0, np.int64)
      return z, z, z, z
    lengths = np.fromiter(map(len, parts), np.int64, len(parts))
    starts = (np.cumsum(lengths) - lengths)[1::2]
    word_len = lengths[1::2]
    words = parts[1::2]
    if skeleton is not normalized:
      words = [normalized[a:a + n] for a, n in zip(starts.tolist(),
                                                    word_len.tolist())]
    index = self._indices(words)
    first, count, ids, begin, end = self._tables()
    counts = count[index]
    offsets = np.cumsum(counts) - counts
    pos = (np.arange(int(counts.sum())) - np.repeat(offsets, counts) +
           np.repeat(first[index], counts))
    word_start = np.repeat(starts, counts)
    return ids[pos], word_start + begin[pos], word_start + end[pos], word_start

  def _normalized(self, ch: str) -> Tuple[str, str, int]:
    """(normalised string, its ASCII skeleton, UTF-8 width) of a character.

    The skeleton keeps ASCII characters and stands for the others by their
    splitter class: 'a' (word), '!' (alone), ' ' (space).
    """
    hit = self._chars.get(ch)
    if hit is None:
      norm = normalize_char(ch, self._lower)
      skeleton = "".join(c if c.isascii() else _SKELETON[char_class(c)]
                         for c in norm)
      hit = (norm, skeleton, len(ch.encode("utf-8")))
      self._chars[ch] = hit
    return hit

  def _final_sigmas(self, text: str):
    """An iterator over the forms of the text's 'Σ's, or None when they
    need no context (cased mode, or none in the text)."""
    if self._lower and _CAPITAL_SIGMA in text:
      return iter(_sigma_forms(text))
    return None

  def _tokenize_ascii(self, texts: List[str]):
    """(text, ids, begin, end) per piece of plain-ASCII texts (no removed
    controls), bytes in each text."""
    joined = "\n".join(texts).translate(self._table)
    ids, begin, end, word_start = self._pieces(joined, joined)
    text_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    text = np.searchsorted(text_starts, word_start, side="right") - 1
    return text, ids, begin - text_starts[text], end - text_starts[text]

  def _tokenize_unicode(self, texts: List[str]):
    """(text, ids, begin, end) per piece of any texts, bytes in each text.

    A character that normalises to several (e.g. 'İ' -> 'i' + combining
    dot, before the dot is removed) gives its span to the last of them (the
    others get an empty span at its start); a removed one (zero-width,
    control) extends the span of the character before it.
    """
    norm, skel, char_begin, char_end, text_starts = [], [], [], [], []
    for text in texts:
      text_starts.append(len(char_begin))
      byte = 0
      sigmas = self._final_sigmas(text)
      for i, part in enumerate(_SPECIAL.split(text)):
        if i % 2 == 0:  # a run of plain ASCII
          part = part.translate(self._table)
          norm.append(part)
          skel.append(part)
          char_begin.extend(range(byte, byte + len(part)))
          char_end.extend(range(byte + 1, byte + len(part) + 1))
          byte += len(part)
          continue
        if sigmas and part == _CAPITAL_SIGMA:
          chars, skeleton, width = next(sigmas), "a", 2
        else:
          chars, skeleton, width = self._normalized(part)
        if chars:
          norm.append(chars)
          skel.append(skeleton)
          char_begin.extend([byte] * len(chars))
          char_end.extend([byte] * (len(chars) - 1) + [byte + width])
        elif char_end and len(char_end) > text_starts[-1]:
          char_end[-1] = byte + width
        byte += width
      norm.append("\n")
      skel.append("\n")
      char_begin.append(byte)
      char_end.append(byte)
    ids, begin, end, word_start = self._pieces("".join(norm), "".join(skel))
    char_begin = np.asarray(char_begin, np.int64)
    char_end = np.asarray(char_end, np.int64)
    text = np.searchsorted(np.asarray(text_starts), word_start,
                           side="right") - 1
    return text, ids, char_begin[begin], char_end[end - 1]

  def tokenize_with_offsets(self, texts: Sequence[str]):
    """Flat ids, per-text row splits, begin and end byte offsets (numpy).

    Returns:
      (ids int32 [n], row_splits int64 [len(texts) + 1], begin int64 [n],
      end int64 [n]); text t's tokens are ids[row_splits[t]:row_splits[t+1]].
    """
    texts = list(texts)
    plain = np.fromiter((not _SPECIAL.search(t) for t in texts), bool,
                        len(texts))
    blocks = []
    for flag, tokenize in ((True, self._tokenize_ascii),
                           (False, self._tokenize_unicode)):
      rows = np.flatnonzero(plain == flag)
      if len(rows):
        text, ids, begin, end = tokenize([texts[i] for i in rows])
        blocks.append((rows[text], ids, begin, end))
    if not blocks:
      z = np.zeros(0, np.int64)
      return z.astype(np.int32), np.zeros(len(texts) + 1, np.int64), z, z
    rows, ids, begin, end = (np.concatenate(x) for x in zip(*blocks))
    order = np.argsort(rows, kind="stable")
    splits = np.concatenate([[0], np.cumsum(np.bincount(
        rows, minlength=len(texts)))]).astype(np.int64)
    return (ids[order].astype(np.int32), splits, begin[order].astype(np.int64),
            end[order].astype(np.int64))

  def tokenize(self, text: str) -> List[int]:
    """The ids of one text."""
    return self.tokenize_with_offsets([text])[0].tolist()
