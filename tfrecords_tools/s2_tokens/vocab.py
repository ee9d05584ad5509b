"""WordPiece vocabulary files: loading, validation and per-id tables.

A vocab file is BERT's `vocab.txt` layout: one token per line, the line number
is the id. Works for files made by `build_vocab` and for any existing BERT
vocab. Free of TensorFlow so the builder's workers can use it.
"""
import dataclasses
import hashlib
from typing import Tuple

import numpy as np

from tfrecords_tools import file_io

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
RESERVED_TOKENS = (PAD, UNK, CLS, SEP, MASK)
CONTINUATION = "##"


class VocabError(ValueError):
  """A vocab file that cannot be used; the message names the file."""


@dataclasses.dataclass(frozen=True)
class Vocab:
  """A loaded vocabulary.

  Attributes:
    path: the file it came from.
    tokens: tuple of token strings; index = id.
    sha256: hex digest of the file's bytes (recorded in manifests).
    pad_id, unk_id, cls_id, sep_id, mask_id: ids of the reserved tokens.
  """
  path: str
  tokens: Tuple[str, ...]
  sha256: str
  pad_id: int
  unk_id: int
  cls_id: int
  sep_id: int
  mask_id: int

  def __len__(self):
    return len(self.tokens)

  @property
  def special_ids(self) -> np.ndarray:
    """int32 [num_special]: ids of every `[...]` token (never masked or drawn)."""
    return np.array([i for i, t in enumerate(self.tokens)
                     if t.startswith("[") and t.endswith("]")], np.int32)

  def word_start_table(self) -> np.ndarray:
    """bool [vocab]: True where a token starts a word (no leading '##')."""
    return np.array([not t.startswith(CONTINUATION) for t in self.tokens])

  def token_length_table(self) -> np.ndarray:
    """float32 [vocab]: characters of each WordPiece without a leading '##'."""
    return np.array([len(t[2:]) if t.startswith(CONTINUATION) else len(t)
                     for t in self.tokens], np.float32)

  def random_replacement_ids(self) -> np.ndarray:
    """int32 [n]: ids that random replacement and insertion may draw.

    Every id but the special `[...]` tokens (BERT's reference draws from the
    whole vocab, special tokens included; we never insert a [CLS] or [PAD]).
    """
    special = np.zeros(len(self.tokens), bool)
    special[self.special_ids] = True
    return np.flatnonzero(~special).astype(np.int32)


def load_vocab(path: str) -> Vocab:
  """Reads and validates a vocab file.

  Args:
    path: a `vocab.txt` path.

  Returns:
    The Vocab.

  Raises:
    VocabError: the file is missing, unreadable, not UTF-8, has duplicate or
      empty tokens, or lacks one of the reserved tokens.
  """
  try:
    with file_io.open_file(path, "rb") as f:
      raw = f.read()
  except OSError as e:
    raise VocabError(f"Cannot read vocab file {path!r}: {e.strerror}.") from e
  try:
    text = raw.decode("utf-8")
  except UnicodeDecodeError as e:
    line = raw[:e.start].count(b"\n") + 1
    raise VocabError(f"Vocab file {path}:{line} is not valid UTF-8.") from e
  tokens = text.split("\n")
  if tokens and tokens[-1] == "":
    tokens.pop()
  tokens = [t.rstrip("\r") for t in tokens]
  seen = {}
  for line, tok in enumerate(tokens, 1):
    if not tok.strip():
      raise VocabError(f"Vocab file {path}:{line} is an empty token.")
    if tok in seen:
      raise VocabError(f"Vocab file {path}:{line} repeats token {tok!r} "
                       f"(first at line {seen[tok]}).")
    seen[tok] = line
  missing = [t for t in RESERVED_TOKENS if t not in seen]
  if missing:
    raise VocabError(
        f"Vocab file {path} lacks the reserved token(s) {missing}; a BERT "
        f"vocab needs all of {list(RESERVED_TOKENS)}. Rebuild it with "
        f"`python -m tfrecords_tools.build_vocab` or add them.")
  ids = {t: seen[t] - 1 for t in RESERVED_TOKENS}
  return Vocab(path=path, tokens=tuple(tokens),
               sha256=hashlib.sha256(raw).hexdigest(), pad_id=ids[PAD],
               unk_id=ids[UNK], cls_id=ids[CLS], sep_id=ids[SEP],
               mask_id=ids[MASK])


def write_vocab(tokens, path: str) -> None:
  """Writes tokens one per line (the BERT vocab.txt layout)."""
  with file_io.open_file(path, "w") as f:
    for tok in tokens:
      f.write(tok + "\n")
