"""A chunk of documents as flat token arrays: what the workers transform.

Free of TensorFlow: produced by `tokenizer.py` in the main process (or a Beam
worker), pickled to transform workers.
"""
import dataclasses

import numpy as np


@dataclasses.dataclass
class TokenizedChunk:
  """Tokens of the documents of one chunk, back to back.

  N tokens, S sentences, D documents. Sentence s is tokens
  `[sentence_bounds[s], sentence_bounds[s + 1])`; document d is sentences
  `[doc_bounds[d], doc_bounds[d + 1])`.

  Attributes:
    file_index, chunk_index, path: identity of the chunk (seeds derive from
      the first two).
    ids: int32 [N] WordPiece ids.
    cap: uint8 [N] 1 where the token's original text has an upper-case letter.
    token_length: float32 [N] characters of the WordPiece without '##'
      ([UNK]: characters of the original text it covers).
    sentence_bounds: int64 [S + 1].
    doc_bounds: int64 [D + 1].
    doc_indices: int64 [D] position of each document in its file.
    doc_first_lines: int64 [D] 1-based line of each document's first sentence.
  """
  file_index: int
  chunk_index: int
  path: str
  ids: np.ndarray
  cap: np.ndarray
  token_length: np.ndarray
  sentence_bounds: np.ndarray
  doc_bounds: np.ndarray
  doc_indices: np.ndarray
  doc_first_lines: np.ndarray

  @property
  def num_documents(self) -> int:
    return len(self.doc_indices)

  def doc_sentences(self, d: int):
    """Token ranges [(start, end)] of document d's sentences."""
    b = self.sentence_bounds
    lo, hi = int(self.doc_bounds[d]), int(self.doc_bounds[d + 1])
    return list(zip(b[lo:hi].tolist(), b[lo + 1:hi + 1].tolist()))

  def where(self, d: int) -> str:
    """`path:line` of document d, for messages and the manifest."""
    return f"{self.path}:{int(self.doc_first_lines[d])}"
