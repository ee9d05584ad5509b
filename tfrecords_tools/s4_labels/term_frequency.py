"""TF and TF-IDF labels (olfmlm "tf" / "tf_idf"), and the IDF table file.

TF of a token = how often its WordPiece id occurs in the whole document;
TF-IDF = TF * idf, idf(t) = ln(N_docs / df(t)) from a separate counting pass.
A token absent from the counting pass gets df = 1, i.e. the largest idf,
ln(N_docs) (it is at least as rare as the rarest counted token).
Both are min-max rescaled to [0, 10]: 10 * (x - min) / (max - min + 1e-8),
min/max over the document (paper; default) or over the sentence (olfmlm code).

Inputs. A token's label is computed on the document's own tokens and
gathered onto whichever view a run reads: the plain input, or, for a run
that also trains TCP/SCP/TGS, the corrupted/shuffled one, where labels move
with their token and a random token (TCP replace/insert) gets 0. olfmlm's TF
head reads the same single input of its run, but its corruption leaves the
labels in place (after a swap or insert they label the wrong token).
"""
import json

import numpy as np

from tfrecords_tools import file_io

_EPS = 1e-8


def _rescale(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
  """Min-max rescales each [bounds[i], bounds[i+1]) group to [0, 10]."""
  starts = bounds[:-1]
  lo = np.minimum.reduceat(values, starts)
  hi = np.maximum.reduceat(values, starts)
  group = np.repeat(np.arange(len(starts)), np.diff(bounds))
  return (10.0 * (values - lo[group]) / (hi[group] - lo[group] + _EPS)
          ).astype(np.float32)


def labels(ids: np.ndarray, doc_token_bounds: np.ndarray,
           sentence_bounds: np.ndarray, idf: np.ndarray = None,
           scope: str = "document"):
  """Rescaled TF (and TF-IDF) label of every token of a chunk.

  Args:
    ids: int [N] token ids, documents back to back.
    doc_token_bounds: int [D + 1] token offsets of the documents.
    sentence_bounds: int [S + 1] token offsets of the sentences.
    idf: float32 [vocab] or None (then the TF-IDF result is None).
    scope: "document" or "sentence" min-max.

  Returns:
    (tf [N] float32, tf_idf [N] float32 or None).
  """
  if len(ids) == 0:
    empty = np.zeros(0, np.float32)
    return empty, (empty if idf is not None else None)
  doc_of = np.repeat(np.arange(len(doc_token_bounds) - 1),
                     np.diff(doc_token_bounds))
  key = doc_of.astype(np.int64) * (int(ids.max()) + 1) + ids
  _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
  tf = counts[inverse].astype(np.float64)
  bounds = doc_token_bounds if scope == "document" else sentence_bounds
  tf_idf = None if idf is None else _rescale(tf * idf[ids], bounds)
  return _rescale(tf, bounds), tf_idf


def document_frequencies(ids: np.ndarray, doc_token_bounds: np.ndarray,
                         vocab_size: int) -> np.ndarray:
  """int64 [vocab]: in how many of the chunk's documents each id occurs."""
  doc_of = np.repeat(np.arange(len(doc_token_bounds) - 1),
                     np.diff(doc_token_bounds)).astype(np.int64)
  pairs = np.unique(doc_of * vocab_size + ids)
  return np.bincount(pairs % vocab_size, minlength=vocab_size)


def idf_from_counts(df: np.ndarray, num_documents: int) -> np.ndarray:
  """float32 [vocab]: ln(N / df), with df = 0 treated as 1."""
  return np.log(max(num_documents, 1) / np.maximum(df, 1)).astype(np.float32)


def save_idf(path: str, df: np.ndarray, num_documents: int, vocab_sha256: str,
             do_lower_case: bool, inputs) -> None:
  """Writes the counting pass atomically as JSON (reusable across builds)."""
  file_io.write_text_atomically(path, json.dumps(
      {"vocab_sha256": vocab_sha256, "do_lower_case": do_lower_case,
       "num_documents": int(num_documents), "inputs": list(inputs),
       "document_frequency": df.astype(int).tolist()}))


def load_idf(path: str, vocab_sha256: str, vocab_size: int,
             do_lower_case: bool):
  """Reads an IDF file, checking it was counted with this vocab.

  Returns:
    (idf float32 [vocab], the file's metadata dict without the counts).

  Raises:
    ValueError: naming the file, when it does not match the vocab/casing.
  """
  try:
    with file_io.open_file(path) as f:
      data = json.load(f)
    df = np.asarray(data["document_frequency"], np.int64)
  except (OSError, ValueError, KeyError) as e:
    raise ValueError(f"IDF file {path} is unreadable ({e}); delete it to "
                     "recount.") from e
  if data.get("vocab_sha256") != vocab_sha256 or len(df) != vocab_size:
    raise ValueError(f"IDF file {path} was counted with another vocab "
                     f"(sha256 {data.get('vocab_sha256')}); delete it or pass "
                     "a new --idf_file to recount.")
  if bool(data.get("do_lower_case")) != bool(do_lower_case):
    raise ValueError(f"IDF file {path} was counted with do_lower_case="
                     f"{data.get('do_lower_case')}; this build uses "
                     f"{do_lower_case}.")
  meta = {k: v for k, v in data.items() if k != "document_frequency"}
  return idf_from_counts(df, data["num_documents"]), meta
