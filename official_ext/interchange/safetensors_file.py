"""Reads a safetensors file into numpy arrays, bfloat16 included.

The `safetensors` package parses and checks the file
(`safetensors.deserialize`: header, offsets, each tensor's byte count). Its
numpy API then refuses bfloat16 (numpy has no such type), which Hugging Face
checkpoints often use; here bfloat16 becomes float32 exactly (its 16 bits are
the upper half of a float32's).
"""

from typing import Dict

import numpy as np
import safetensors

from official_ext.interchange import encoder_weights as ew

_NUMPY_TYPES = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'I64': '<i8',
                'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1',
                'BOOL': '?'}
BF16 = 'BF16'


def _array(name: str, view: dict, where: str) -> np.ndarray:
  dtype, shape, raw = view['dtype'], view['shape'], view['data']
  if dtype == BF16:
    bits = np.frombuffer(raw, '<u2')
    return (bits.astype('<u4') << 16).view('<f4').reshape(shape)
  if dtype not in _NUMPY_TYPES:
    raise ew.InterchangeError(
        f'{where}: {name} has dtype {dtype}, which is not supported (one of '
        f'{", ".join(sorted([*_NUMPY_TYPES, BF16]))})')
  return np.frombuffer(raw, _NUMPY_TYPES[dtype]).reshape(shape)


def load(data: bytes, where: str) -> Dict[str, np.ndarray]:
  """name -> array of a safetensors file's bytes (bfloat16 as float32).

  Args:
    data: the file's content.
    where: the file, named in errors.

  Raises:
    InterchangeError: a malformed file, or a dtype numpy cannot hold.
  """
  try:
    views = safetensors.deserialize(data)
  except safetensors.SafetensorError as e:
    raise ew.InterchangeError(
        f'{where}: not a safetensors file ({e})') from None
  return {name: _array(name, view, where) for name, view in views}
