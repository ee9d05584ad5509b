"""Serialises batches of fixed-length features as tf.Example protos, fast.

Building `tf.train.Example` objects feature by feature costs tens of
microseconds per record in Python. This encoder writes the protobuf wire
format directly: the varints of a whole `[num_examples, length]` matrix are
encoded at once with NumPy, and each record is then a join of prepared byte
strings. The bytes parse with `tf.io.parse_example` exactly like a
`tf.train.Example` holding the same values (tested). Free of TensorFlow.

Wire layout written (field numbers from tensorflow/core/example/*.proto):
  Example{1: Features{1: map entry{1: key, 2: Feature}}}
  Feature{2: FloatList{1: packed float32} | 3: Int64List{1: packed varint}}
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

def _varint(n: int) -> bytes:
  """Protobuf base-128 varint of a non-negative int."""
  out = bytearray()
  while n >= 0x80:
    out.append((n & 0x7F) | 0x80)
    n >>= 7
  out.append(n)
  return bytes(out)


_SMALL_VARINTS = [_varint(i) for i in range(1 << 14)]


def _len_prefix(n: int) -> bytes:
  return _SMALL_VARINTS[n] if n < (1 << 14) else _varint(n)


def encode_varint_rows(values: np.ndarray) -> Tuple[bytes, np.ndarray]:
  """Varint-encodes every row of a non-negative integer matrix.

  Args:
    values: integer array [num_rows, length], each value in [0, 2**35).

  Returns:
    (flat, offsets): `flat` holds the rows' varints back to back;
    row i is `flat[offsets[i]:offsets[i + 1]]`. offsets: int64 [num_rows + 1].
  """
  v = np.asarray(values)
  if v.size == 0:
    return b"", np.zeros(v.shape[0] + 1, np.int64)
  lo, hi = int(v.min()), int(v.max())
  if lo < 0 or hi >= (1 << 35):
    raise ValueError("encode_varint_rows takes values in [0, 2**35); got "
                     f"min {lo}, max {hi}")
  # Only as many 7-bit groups as the largest value needs; 32-bit maths when
  # it fits (vocab ids and labels always do).
  num_groups = max(1, (hi.bit_length() + 6) // 7)
  v = v.astype(np.uint32 if hi < (1 << 32) else np.int64)
  nbytes = np.ones(v.shape, np.uint8)
  for g in range(1, num_groups):
    nbytes += v >= (1 << (7 * g))
  groups = np.empty(v.shape + (num_groups,), np.uint8)
  for g in range(num_groups):
    groups[..., g] = (v >> (7 * g)) & 0x7F
    if g < num_groups - 1:
      groups[..., g] |= (nbytes > g + 1).view(np.uint8) << 7
  keep = np.arange(num_groups, dtype=np.uint8) < nbytes[..., None]
  flat = groups[keep].tobytes()
  offsets = np.zeros(v.shape[0] + 1, np.int64)
  np.cumsum(nbytes.sum(axis=1, dtype=np.int64), out=offsets[1:])
  return flat, offsets


class ExampleEncoder:
  """Encodes rows of named int64/float matrices as serialised tf.Examples.

  Example:
    enc = ExampleEncoder([("input_ids", "int64"), ("weights", "float")])
    records = enc.encode({"input_ids": ids[n, L], "weights": w[n, P]})
  """

  def __init__(self, features: Sequence[Tuple[str, str]]):
    """Args: features: (key, dtype) pairs, dtype "int64" or "float"."""
    self._features = []
    for key, dtype in features:
      if dtype not in ("int64", "float"):
        raise ValueError(f"Feature {key!r}: dtype must be 'int64' or 'float', "
                         f"got {dtype!r}")
      k = key.encode("utf-8")
      self._features.append((key, dtype, b"\x0a" + _len_prefix(len(k)) + k))

  @property
  def keys(self) -> List[str]:
    return [key for key, _, _ in self._features]

  def encode(self, columns: Dict[str, np.ndarray]) -> List[bytes]:
    """Serialises example i from row i of every column.

    Args:
      columns: key -> array [num_examples, length_of_that_feature].

    Returns:
      A list of num_examples serialised tf.Example byte strings.
    """
    n = None
    per_feature = []  # (is_int, flat payload, offsets list | item bytes, header)
    for key, dtype, key_prefix in self._features:
      if key not in columns:
        raise KeyError(f"ExampleEncoder: column {key!r} missing")
      col = np.asarray(columns[key])
      if col.ndim != 2:
        raise ValueError(f"Column {key!r} must be [num_examples, length], got "
                         f"shape {col.shape}")
      if n is None:
        n = col.shape[0]
      elif col.shape[0] != n:
        raise ValueError(f"Column {key!r} has {col.shape[0]} rows, expected {n}")
      if dtype == "int64":
        flat, offsets = encode_varint_rows(col)
        headers = {}
        per_feature.append((True, flat, offsets.tolist(),
                            lambda m, kp=key_prefix, h=headers: h.get(m) or
                            h.setdefault(m, _entry_header(kp, b"\x1a", m))))
      else:
        size = col.shape[1] * 4
        per_feature.append((False, np.ascontiguousarray(col, "<f4").tobytes(),
                            size, _entry_header(key_prefix, b"\x12", size)))
    records = []
    for i in range(n or 0):
      parts = []
      for is_int, flat, extra, header in per_feature:
        if is_int:
          lo, hi = extra[i], extra[i + 1]
          parts.append(header(hi - lo))
        else:
          lo, hi = i * extra, (i + 1) * extra
          parts.append(header)
        parts.append(flat[lo:hi])
      body = b"".join(parts)
      records.append(b"\x0a" + _len_prefix(len(body)) + body)
    return records


def _entry_header(key_prefix: bytes, tag: bytes, payload_len: int) -> bytes:
  """Bytes of a feature map entry up to its packed payload.

  Entry{1: key, 2: Feature{tag: List{1: packed payload}}}.
  """
  lst_len = 1 + len(_len_prefix(payload_len)) + payload_len
  feat_len = 1 + len(_len_prefix(lst_len)) + lst_len
  entry_len = len(key_prefix) + 1 + len(_len_prefix(feat_len)) + feat_len
  return (b"\x0a" + _len_prefix(entry_len) + key_prefix + b"\x12" +
          _len_prefix(feat_len) + tag + _len_prefix(lst_len) + b"\x0a" +
          _len_prefix(payload_len))
