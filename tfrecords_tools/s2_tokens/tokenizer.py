"""WordPiece tokenisation of chunks (`wordpiece`, no TensorFlow).

One tokenizer call per chunk (not per sentence). The tokens are those of the
BERT reference tokenizer (Google BERT's and Model Garden's `FullTokenizer`,
`transformers`' `BertTokenizer`), without importing TensorFlow, so the
builder starts in well under a second and a few hundred MB. Byte offsets into
the original text give each token's capitalisation (from the cased text even
when the vocab is uncased) and the length of [UNK] spans.

These are the Cap and TLP labels (olfmlm "cap", "wlen"): per token of the
text, gathered onto the view a run reads (the plain input, or the
corrupted/shuffled one of a run that trains TCP/SCP/TGS, where they move
with their token; a random TCP token has Cap 0 and its own length). olfmlm
reads the same one input per run; its corruption leaves these labels in
place.
"""
from typing import List

import numpy as np

from tfrecords_tools import build_report
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s2_tokens import tokenized_chunk
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s2_tokens import wordpiece


def _upper_byte_flags(text: str) -> np.ndarray:
  """uint8 [len(text.encode())]: 1 on the bytes of upper-case characters."""
  raw = text.encode("utf-8")
  low = text.lower().encode("utf-8")
  if len(raw) == len(low):  # lower-casing kept every character's byte length
    return (np.frombuffer(raw, np.uint8) != np.frombuffer(low, np.uint8)
            ).astype(np.uint8)
  return np.frombuffer(b"".join(
      (b"\x01" if ch.isupper() else b"\x00") * len(ch.encode("utf-8"))
      for ch in text), np.uint8)


class Tokenizer:
  """Turns corpus_reader.Chunk into tokenized_chunk.TokenizedChunk.

  Args:
    vocab: a loaded vocab_lib.Vocab.
    do_lower_case: lower-case and strip accents before WordPiece.
    max_seq_length: sentences longer than this minus 2 are reported (they are
      split or truncated later, never dropped silently).
  """

  def __init__(self, vocab: vocab_lib.Vocab, do_lower_case: bool,
               max_seq_length: int):
    self._vocab = vocab
    self._max_tokens = max_seq_length - 2
    self._tok = wordpiece.WordPieceTokenizer(
        vocab.tokens, lower_case=do_lower_case, unknown_token=vocab_lib.UNK)
    self._length_table = vocab.token_length_table()

  def tokenize_texts(self, texts: List[str]):
    """Flat ids, per-text row splits, begin and end byte offsets (numpy)."""
    return self._tok.tokenize_with_offsets(texts)

  def tokenize(self, chunk: corpus_reader.Chunk,
               report: build_report.BuildReport,
               with_cap: bool = True) -> tokenized_chunk.TokenizedChunk:
    """Tokenizes every sentence of a chunk in one call.

    Empty sentences after tokenization are dropped and counted; documents left
    with no sentence are skipped and counted.
    """
    texts, lines, doc_of = [], [], []
    for d, doc in enumerate(chunk.documents):
      texts.extend(doc.sentences)
      lines.extend(doc.line_numbers)
      doc_of.extend([d] * len(doc.sentences))
    if not texts:
      return self._empty(chunk)
    ids, splits, begin, end = self.tokenize_texts(texts)
    lengths = np.diff(splits)
    for s in np.flatnonzero(lengths > self._max_tokens):
      report.repair("sentence_longer_than_sequence",
                    f"{chunk.path}:{lines[s]}")
    for s in np.flatnonzero(lengths == 0):
      report.skip("sentence_empty_after_tokenization",
                  f"{chunk.path}:{lines[s]}")
    keep = lengths > 0
    sent_doc = np.asarray(doc_of)[keep]
    kept_docs = np.unique(sent_doc)
    for d in sorted(set(range(len(chunk.documents))) - set(kept_docs.tolist())):
      report.skip("document_empty_after_tokenization",
                  f"{chunk.path}:{chunk.documents[d].line_numbers[0]}")
    sentence_bounds = np.concatenate([[0], np.cumsum(lengths[keep])])
    doc_bounds = np.searchsorted(sent_doc, np.append(kept_docs, np.inf),
                                 side="left").astype(np.int64)
    token_length = self._length_table[ids]
    unk = np.flatnonzero(ids == self._vocab.unk_id)
    sent_of_token = np.repeat(np.arange(len(texts)), lengths)
    if len(unk):
      for t in unk:  # rare: measure the original text the [UNK] covers
        raw = texts[sent_of_token[t]].encode("utf-8")[begin[t]:end[t]]
        token_length[t] = len(raw.decode("utf-8", errors="ignore"))
    if with_cap:
      flags = [_upper_byte_flags(t) for t in texts]
      starts = np.concatenate([[0], np.cumsum([len(f) for f in flags])])
      csum = np.concatenate([[0], np.cumsum(np.concatenate(flags),
                                            dtype=np.int64)])
      base = starts[sent_of_token]
      cap = (csum[base + end] - csum[base + begin] > 0).astype(np.uint8)
    else:
      cap = np.zeros(len(ids), np.uint8)
    docs = chunk.documents
    return tokenized_chunk.TokenizedChunk(
        file_index=chunk.file_index, chunk_index=chunk.chunk_index,
        path=chunk.path, ids=ids.astype(np.int32), cap=cap,
        token_length=token_length.astype(np.float32),
        sentence_bounds=sentence_bounds.astype(np.int64),
        doc_bounds=doc_bounds,
        doc_indices=np.array([docs[d].doc_index for d in kept_docs], np.int64),
        doc_first_lines=np.array([docs[d].line_numbers[0] for d in kept_docs],
                                 np.int64))

  def _empty(self, chunk):
    z = np.zeros(0, np.int64)
    return tokenized_chunk.TokenizedChunk(
        chunk.file_index, chunk.chunk_index, chunk.path, z.astype(np.int32),
        z.astype(np.uint8), z.astype(np.float32), np.zeros(1, np.int64),
        np.zeros(1, np.int64), z, z)
