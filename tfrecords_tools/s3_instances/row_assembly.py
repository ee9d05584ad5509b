"""Instances (token ranges) -> padded rows of source indices.

A row does not hold token ids but *source indices*: for each position, the
index of the chunk token it shows, or a negative code. Labels are then
gathered once, vectorised, from the chunk's per-token arrays, and follow their
token through swaps, shuffles and truncation for free.
"""
import random
from typing import List, Sequence, Tuple

import numpy as np

PAD = -1   # padding
CLS = -2   # [CLS]
SEP = -3   # [SEP]
RANDOM_BASE = -10  # a random vocab token t (TCP) is coded RANDOM_BASE - t

Range = Tuple[int, int]


def random_code(token_ids: np.ndarray) -> np.ndarray:
  """Source codes for random vocab tokens inserted or substituted by TCP."""
  return RANDOM_BASE - np.asarray(token_ids, np.int64)


def source_to_ids(src: np.ndarray, chunk_ids: np.ndarray, pad_id: int,
                  cls_id: int, sep_id: int) -> np.ndarray:
  """Token ids of a source-index matrix, same shape, int64."""
  ids = np.where(src >= 0, chunk_ids[np.maximum(src, 0)], RANDOM_BASE - src)
  ids = np.where(src == PAD, pad_id, ids)
  ids = np.where(src == CLS, cls_id, ids)
  return np.where(src == SEP, sep_id, ids).astype(np.int64)


def _trim(ranges: Sequence[Range], front: int, back: int) -> List[Range]:
  """Drops `front` tokens from the start and `back` from the end of ranges."""
  out = []
  for s, e in ranges:
    cut = min(front, e - s)
    s, front = s + cut, front - cut
    if s < e:
      out.append((s, e))
  for i in range(len(out) - 1, -1, -1):
    if back == 0:
      break
    s, e = out[i]
    cut = min(back, e - s)
    out[i] = (s, e - cut)
    back -= cut
  return [(s, e) for s, e in out if s < e]


def _length(ranges):
  return sum(e - s for s, e in ranges)


def truncate_pair(a, b, max_tokens: int, rng: random.Random):
  """BERT's truncation: drop from the longer segment, front or back at random.

  Returns:
    (a, b) trimmed so their total is <= max_tokens; each keeps >= 1 token.
  """
  la, lb = _length(a), _length(b)
  cuts = {"a": [0, 0], "b": [0, 0]}
  while la + lb > max_tokens:
    side = "a" if la > lb else "b"
    cuts[side][0 if rng.random() < 0.5 else 1] += 1
    if side == "a":
      la -= 1
    else:
      lb -= 1
  return _trim(a, *cuts["a"]), _trim(b, *cuts["b"])


def fill_rows(instances, mode: str, max_seq_length: int, rng: random.Random,
              src: np.ndarray, seg: np.ndarray, first_row: int) -> int:
  """Writes instances into rows of `src`/`seg`, starting at `first_row`.

  Single-segment modes write one row per instance: [CLS] A [SEP].
  Pair modes write [CLS] A [SEP] B [SEP] with segment ids 0/1.
  "consecutive" writes two rows per instance, [CLS] A [SEP] then [CLS] B
  [SEP]; A keeps its end and B its start, so B continues A.

  Args:
    instances: sentence_pairing.Instance list.
    mode: the pair mode.
    max_seq_length: L.
    rng: seeded generator (truncation draws).
    src: int64 [rows, L] filled with PAD, written in place.
    seg: int64 [rows, L] zeros, written in place.
    first_row: first row to write.

  Returns:
    The next free row.
  """
  r = first_row
  for inst in instances:
    if mode == "consecutive":
      limit = max_seq_length - 2
      a = _trim(inst.a, max(0, _length(inst.a) - limit), 0)
      b = _trim(inst.b, 0, max(0, _length(inst.b) - limit))
      for part in (a, b):
        _write(src[r], seg[r], part, None)
        r += 1
      continue
    a, b = inst.a, inst.b
    if b is not None:
      a, b = truncate_pair(a, b, max_seq_length - 3, rng)
    _write(src[r], seg[r], a, b)
    r += 1
  return r


def _write(src_row, seg_row, a, b):
  src_row[0] = CLS
  pos = 1
  for s, e in a:
    src_row[pos:pos + e - s] = np.arange(s, e)
    pos += e - s
  src_row[pos] = SEP
  pos += 1
  if b is not None:
    start = pos
    for s, e in b:
      src_row[pos:pos + e - s] = np.arange(s, e)
      pos += e - s
    src_row[pos] = SEP
    pos += 1
    seg_row[start:pos] = 1


def rows_needed(instances, mode: str) -> int:
  return len(instances) * (2 if mode == "consecutive" else 1)
