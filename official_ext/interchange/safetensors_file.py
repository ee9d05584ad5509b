"""Reads a safetensors file into numpy arrays, bfloat16 included.

The format: an 8-byte little-endian header length N, N bytes of JSON
(`{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{...}}`), then the data, each tensor little-endian in C order at its offsets
(relative to the end of the header). The `safetensors` package's numpy API
refuses bfloat16 (numpy has no such type), which Hugging Face checkpoints
often use; here bfloat16 becomes float32 exactly (its 16 bits are the upper
half of a float32's).
"""

import json
import struct
from typing import Dict

import numpy as np

from official_ext.interchange import encoder_weights as ew

_NUMPY_TYPES = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'I64': '<i8',
                'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1',
                'BOOL': '?'}
BF16 = 'BF16'


def _bad(where, what):
  return ew.InterchangeError(f'{where}: not a safetensors file ({what})')


def _header(data: bytes, where: str) -> tuple:
  if len(data) < 8:
    raise _bad(where, f'{len(data)} bytes')
  (size,) = struct.unpack('<Q', data[:8])
  if size > len(data) - 8:
    raise _bad(where, f'header length {size} exceeds the file')
  try:
    header = json.loads(data[8:8 + size].decode('utf-8'))
  except (UnicodeDecodeError, ValueError) as e:
    raise _bad(where, f'header: {e}') from None
  if not isinstance(header, dict):
    raise _bad(where, 'header is not a JSON object')
  header.pop('__metadata__', None)
  return header, 8 + size


def _tensor(buffer: memoryview, name: str, entry: dict, where: str):
  try:
    dtype, shape = entry['dtype'], [int(d) for d in entry['shape']]
    begin, end = (int(o) for o in entry['data_offsets'])
  except (KeyError, TypeError, ValueError):
    raise _bad(where, f'entry of {name} is {entry!r}') from None
  if not 0 <= begin <= end <= len(buffer):
    raise _bad(where, f'{name} lies outside the data')
  count = int(np.prod(shape, dtype=np.int64))
  if dtype == BF16:
    bits = np.frombuffer(buffer[begin:end], '<u2', count=count)
    return (bits.astype('<u4') << 16).view('<f4').reshape(shape)
  if dtype not in _NUMPY_TYPES:
    raise ew.InterchangeError(
        f'{where}: {name} has dtype {dtype}, which is not supported (one of '
        f'{", ".join(sorted([*_NUMPY_TYPES, BF16]))})')
  item = np.dtype(_NUMPY_TYPES[dtype]).itemsize
  if end - begin != count * item:
    raise _bad(where, f'{name}: {end - begin} bytes for shape {shape} of '
               f'{dtype}')
  return np.frombuffer(buffer[begin:end], _NUMPY_TYPES[dtype],
                       count=count).reshape(shape)


def load(data: bytes, where: str) -> Dict[str, np.ndarray]:
  """name -> array of a safetensors file's bytes (bfloat16 as float32).

  Args:
    data: the file's content.
    where: the file, named in errors.

  Raises:
    InterchangeError: a malformed file, or a dtype numpy cannot hold.
  """
  header, start = _header(data, where)
  buffer = memoryview(data)[start:]
  return {name: _tensor(buffer, name, entry, where)
          for name, entry in header.items()}
