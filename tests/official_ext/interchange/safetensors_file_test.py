"""safetensors files read without PyTorch: every numpy dtype as the
`safetensors` package reads it, bfloat16 exactly as float32, malformed files
and unknown dtypes named (the `safetensors` package checks the layout,
bfloat16 byte counts and overlaps included); an HF directory in bfloat16
and an ElectraForMaskedLM layout import."""

import json
import os
import struct

import numpy as np
import pytest
from safetensors import numpy as safetensors_numpy

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import hf_format
from official_ext.interchange import safetensors_file
from tests.official_ext.interchange import interchange_fixtures as fx


def _raw(header, data):
  text = json.dumps(header).encode()
  return struct.pack('<Q', len(text)) + text + data


def _file(entries):
  """A safetensors file of (name, dtype, shape, raw bytes)."""
  header, data = {'__metadata__': {'format': 'pt'}}, b''
  for name, dtype, shape, raw in entries:
    header[name] = {'dtype': dtype, 'shape': list(shape),
                    'data_offsets': [len(data), len(data) + len(raw)]}
    data += raw
  return _raw(header, data)


def _bf16(values):
  """bfloat16 bytes of float32 values (their upper 16 bits) and the values
  they hold."""
  bits = np.asarray(values, '<f4').view('<u4') >> 16
  return (bits.astype('<u2').tobytes(),
          (bits.astype('<u4') << 16).view('<f4'))


def test_numpy_dtypes_read_as_the_safetensors_package_does():
  tensors = {'f32': np.arange(6, dtype=np.float32).reshape(2, 3),
             'f16': np.array([0.5, -2.0], np.float16),
             'i64': np.array([[1, 2]], np.int64),
             'scalar': np.array(3.0, np.float32)}
  got = safetensors_file.load(safetensors_numpy.save(tensors), 'f')
  assert set(got) == set(tensors)
  for name, value in tensors.items():
    assert got[name].dtype == value.dtype
    np.testing.assert_array_equal(got[name], value)


def test_bfloat16_becomes_float32_exactly():
  raw, want = _bf16(np.random.default_rng(0).normal(0, 3, 12))
  got = safetensors_file.load(_file([('w', 'BF16', (3, 4), raw)]), 'f')['w']
  assert got.dtype == np.float32 and got.shape == (3, 4)
  np.testing.assert_array_equal(got.ravel(), want)


@pytest.mark.parametrize('data,message', [
    (b'\x01', r'f: not a safetensors file \(.*header too small\)'),
    (struct.pack('<Q', 99) + b'{}',
     r'f: not a safetensors file \(.*invalid header length\)'),
    (struct.pack('<Q', 2) + b'{x',
     r'f: not a safetensors file \(.*invalid JSON in header'),
    (_file([('w', 'F32', (4,), b'\0' * 8)]),
     r'f: not a safetensors file \(.*invalid shape, data type, or offset'),
    # bfloat16 too: too few bytes for the shape, or too many.
    (_file([('w', 'BF16', (4,), b'\0' * 2)]),
     r'f: not a safetensors file \(.*invalid shape, data type, or offset'),
    (_file([('w', 'BF16', (1,), b'\0' * 4)]),
     r'f: not a safetensors file \(.*invalid shape, data type, or offset'),
    # Two tensors on the same bytes.
    (_raw({'v': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]},
           'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}},
          b'\0' * 4),
     r'f: not a safetensors file \(.*invalid offset'),
    (_file([('w', 'F8_E4M3', (2,), b'\0' * 2)]),
     r'f: w has dtype F8_E4M3, which is not supported \(one of BF16, BOOL, '),
])
def test_bad_files_are_named(data, message):
  with pytest.raises(ew.InterchangeError, match=message):
    safetensors_file.load(data, 'f')


def _written(tmp_path, embedding_size=64):
  fields = fx.fields(embedding_size=embedding_size)
  weights = fx.random_weights(fields, pooler=embedding_size == 64)
  path = str(tmp_path / 'hf')
  hf_format.write(ew.EncoderWeights(fields, weights, 'random'), path)
  weights_file = os.path.join(path, hf_format.WEIGHTS)
  return path, weights_file, safetensors_numpy.load_file(weights_file)


def test_an_hf_directory_in_bfloat16_imports(tmp_path):
  path, weights_file, tensors = _written(tmp_path)
  entries, want = [], {}
  for name, value in tensors.items():
    raw, rounded = _bf16(value.ravel())
    entries.append((name, 'BF16', value.shape, raw))
    want[name] = rounded.reshape(value.shape)
  with open(weights_file, 'wb') as f:
    f.write(_file(entries))
  encoder = hf_format.read(path)
  ew.check(encoder)
  np.testing.assert_array_equal(
      encoder.weights['layer_1/intermediate/kernel'],
      want['encoder.layer.1.intermediate.dense.weight'].T)


def test_an_electra_generator_file_imports_its_encoder(tmp_path):
  """ElectraForMaskedLM keys (prefix `electra.`, generator heads); a file
  that keeps the tied word embeddings only as the LM head gives them from
  there."""
  path, weights_file, tensors = _written(tmp_path, embedding_size=32)
  generator = {'electra.' + k: v for k, v in tensors.items()}
  embeddings = generator.pop('electra.embeddings.word_embeddings.weight')
  generator.update({
      'generator_lm_head.weight': embeddings,
      'generator_lm_head.bias': np.zeros(fx.VOCAB, np.float32),
      'generator_predictions.dense.weight': np.ones((32, 64), np.float32),
      'generator_predictions.LayerNorm.weight': np.ones(32, np.float32)})
  safetensors_numpy.save_file(generator, weights_file)
  encoder = hf_format.read(path)
  assert ew.check(encoder) == ['pooler']
  np.testing.assert_array_equal(encoder.weights['embeddings/word_embeddings'],
                                embeddings)
  assert encoder.source_names['layer_0/output/bias'] == (
      'electra.encoder.layer.0.output.dense.bias')
