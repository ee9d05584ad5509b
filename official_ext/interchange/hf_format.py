"""Hugging Face BERT / ELECTRA directories <-> `EncoderWeights`.

A directory holds `config.json` (`model_type` bert or electra),
`model.safetensors` (or shards listed in `model.safetensors.index.json`),
usually `vocab.txt` and `tokenizer_config.json` (`do_lower_case`). Weights
are read by `safetensors_file` (the `safetensors` package's parser;
float32, float16 or bfloat16; no PyTorch) and written with its numpy API
(float32).
Key prefixes (`bert.`, `electra.`) are found from the word-embedding key, so
`BertModel`, `BertForPreTraining`, `ElectraModel`, `ElectraForPreTraining`
and `ElectraForMaskedLM` (an ELECTRA generator: its own directory, e.g.
electra-small-generator) files all work; task and pretraining heads
(`cls.`, `discriminator_predictions.`, `generator_predictions.`,
`generator_lm_head.`) are not part of the encoder and are skipped. A file
that stores tied word embeddings only as `generator_lm_head.weight` gives
them from there. Linear weights are `[out, in]` (PyTorch), so kernels are
transposed. `hidden_act` maps through `hf_activations` (HF's "gelu" is the
exact GELU, Model Garden's 'gelu' the tanh form).

Writing gives a `BertModel` (pooler optional) or, when the embedding width
differs from the hidden size (BERT cannot express that), an `ElectraModel`.
"""

import json
import os
import re
from typing import Optional

import numpy as np
import tensorflow as tf
from safetensors import numpy as safetensors_numpy

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import hf_activations
from official_ext.interchange import safetensors_file

CONFIG = 'config.json'
WEIGHTS = 'model.safetensors'
INDEX = 'model.safetensors.index.json'
VOCAB = 'vocab.txt'
TOKENIZER_CONFIG = 'tokenizer_config.json'
MODEL_TYPES = ('bert', 'electra')
_EMBEDDINGS = {
    'embeddings.word_embeddings.weight': 'embeddings/word_embeddings',
    'embeddings.position_embeddings.weight': 'embeddings/position_embeddings',
    'embeddings.token_type_embeddings.weight':
        'embeddings/token_type_embeddings',
    'embeddings.LayerNorm.weight': 'embeddings/layer_norm/gamma',
    'embeddings.LayerNorm.bias': 'embeddings/layer_norm/beta',
    'embeddings.LayerNorm.gamma': 'embeddings/layer_norm/gamma',
    'embeddings.LayerNorm.beta': 'embeddings/layer_norm/beta',
    'embeddings_project.weight': 'embeddings/projection/kernel',
    'embeddings_project.bias': 'embeddings/projection/bias',
    'pooler.dense.weight': 'pooler/kernel',
    'pooler.dense.bias': 'pooler/bias',
}
_LAYER = {
    'attention.self.query': 'attention/query',
    'attention.self.key': 'attention/key',
    'attention.self.value': 'attention/value',
    'attention.output.dense': 'attention/output',
    'attention.output.LayerNorm': 'attention/layer_norm',
    'intermediate.dense': 'intermediate',
    'output.dense': 'output',
    'output.LayerNorm': 'output/layer_norm',
}
_LEAF = {'weight': 'kernel', 'bias': 'bias', 'gamma': 'gamma',
         'beta': 'beta'}
_LAYER_KEY = re.compile(r'^encoder\.layer\.(\d+)\.(.+)\.(weight|bias|gamma|'
                        r'beta)$')
_CONFIG_KEYS = ew.BERT_JSON_KEYS  # HF config.json -> BertEncoderConfig
_WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight'
_TIED_LM_HEAD = 'generator_lm_head.weight'  # ElectraForMaskedLM
_ENCODER_PREFIX = re.compile(r'^(.*?)encoder\.layer\.\d+\.')


def is_hf_dir(path: str) -> bool:
  return (tf.io.gfile.isdir(path) and
          tf.io.gfile.exists(os.path.join(path, CONFIG)) and
          (tf.io.gfile.exists(os.path.join(path, WEIGHTS)) or
           tf.io.gfile.exists(os.path.join(path, INDEX))))


def _read_json(path):
  try:
    with tf.io.gfile.GFile(path) as f:
      return json.load(f)
  except (ValueError, tf.errors.NotFoundError) as e:
    raise ew.InterchangeError(f'{path}: {e}') from None


def _canonical_key(hf_key: str) -> Optional[str]:
  if hf_key in _EMBEDDINGS:
    return _EMBEDDINGS[hf_key]
  match = _LAYER_KEY.match(hf_key)
  if match and match.group(2) in _LAYER:
    part = _LAYER[match.group(2)]
    leaf = _LEAF[match.group(3)]
    if part.endswith('layer_norm'):
      leaf = {'kernel': 'gamma', 'bias': 'beta'}.get(leaf, leaf)
    return f'layer_{match.group(1)}/{part}/{leaf}'
  return None


def hf_key(key: str) -> str:
  """The HF name (no model prefix) of a canonical key."""
  for name, canonical in _EMBEDDINGS.items():
    if canonical == key:
      return name
  index, part = key.split('/', 1)
  head, _, leaf = part.rpartition('/')
  module = {v: k for k, v in _LAYER.items()}[head]
  return (f'encoder.layer.{index[len("layer_"):]}.{module}.'
          f'{"weight" if leaf in ("kernel", "gamma") else "bias"}')


def _load_tensors(path):
  index = os.path.join(path, INDEX)
  files = [WEIGHTS]
  if not tf.io.gfile.exists(os.path.join(path, WEIGHTS)):
    files = sorted(set(_read_json(index)['weight_map'].values()))
  tensors = {}
  for name in files:
    full = os.path.join(path, name)
    try:
      with tf.io.gfile.GFile(full, 'rb') as f:
        data = f.read()
    except tf.errors.NotFoundError:
      raise ew.InterchangeError(f'{full} does not exist (named by '
                                f'{index})') from None
    tensors.update(safetensors_file.load(data, full))
  return tensors


def _fields(config, config_path):
  model_type = config.get('model_type')
  if model_type not in MODEL_TYPES:
    raise ew.InterchangeError(
        f'{config_path}: model_type={model_type!r} is not a supported '
        f'architecture (one of {MODEL_TYPES})')
  if config.get('position_embedding_type', 'absolute') != 'absolute':
    raise ew.InterchangeError(
        f'{config_path}: position_embedding_type='
        f"{config['position_embedding_type']!r} is not supported (absolute)")
  fields = dict(ew.CONFIG_DEFAULTS)
  fields.update({ours: config[theirs] for theirs, ours in _CONFIG_KEYS.items()
                 if theirs in config})
  fields['hidden_activation'] = hf_activations.from_hf(
      config.get('hidden_act'), config_path)
  fields.setdefault('embedding_size', fields.get('hidden_size'))
  missing = [k for k in ('vocab_size', 'hidden_size', 'num_layers',
                         'num_attention_heads', 'intermediate_size',
                         'max_position_embeddings', 'type_vocab_size')
             if k not in fields]
  if missing:
    raise ew.InterchangeError(f'{config_path}: no {missing[0]} '
                              f'(HF name: {_hf_name(missing[0])})')
  return fields


def _hf_name(field):
  return {v: k for k, v in _CONFIG_KEYS.items()}[field]


def read_fields(path: str) -> dict:
  """The `BertEncoderConfig` fields of an HF directory's config.json."""
  config_path = os.path.join(path, CONFIG)
  return _fields(_read_json(config_path), config_path)


def _prefix(tensors, path):
  """The model prefix of the encoder's keys (e.g. 'bert.'); restores word
  embeddings stored only as the tied generator LM head."""
  prefixes = sorted(k[:-len(_WORD_EMBEDDINGS)] for k in tensors
                    if k.endswith(_WORD_EMBEDDINGS))
  if prefixes:
    return prefixes[0]
  layers = sorted(filter(None, map(_ENCODER_PREFIX.match, tensors)),
                  key=lambda m: m.group(1))
  if _TIED_LM_HEAD in tensors and layers:
    prefix = layers[0].group(1)
    tensors[prefix + _WORD_EMBEDDINGS] = tensors[_TIED_LM_HEAD]
    return prefix
  raise ew.InterchangeError(f'{path}: no {_WORD_EMBEDDINGS} in {WEIGHTS}')


def read(path: str) -> ew.EncoderWeights:
  """An HF BERT or ELECTRA (discriminator or generator) directory as
  `EncoderWeights`."""
  fields = read_fields(path)
  tensors = _load_tensors(path)
  prefix = _prefix(tensors, path)
  weights, source_names = {}, {}
  for name, value in tensors.items():
    if not name.startswith(prefix):
      continue
    key = _canonical_key(name[len(prefix):])
    if key is None:
      continue
    value = np.asarray(value, np.float32)
    weights[key] = value.T if key.endswith('kernel') else value
    source_names[key] = name
  for key in ew.expected_shapes(fields, pooler=False):
    source_names.setdefault(key, prefix + hf_key(key))
  encoder = ew.EncoderWeights(fields=fields, weights=weights,
                              source=path, source_names=source_names)
  vocab = os.path.join(path, VOCAB)
  encoder.vocab_file = vocab if tf.io.gfile.exists(vocab) else None
  tokenizer = os.path.join(path, TOKENIZER_CONFIG)
  if tf.io.gfile.exists(tokenizer):
    encoder.do_lower_case = _read_json(tokenizer).get('do_lower_case')
  return encoder


def write(encoder: ew.EncoderWeights, path: str, model_type: str = 'auto',
          pooler: bool = True) -> str:
  """Writes an HF directory; returns the model type written.

  Args:
    encoder: canonical weights (checked against their fields).
    path: destination directory.
    model_type: bert, electra or auto (electra iff the embedding width
      differs from the hidden size).
    pooler: write the pooler (BERT only; ELECTRA has none).
  """
  fields = encoder.fields
  projected = fields.get('embedding_size', fields['hidden_size']) != fields[
      'hidden_size']
  if model_type == 'auto':
    model_type = 'electra' if projected else 'bert'
  if model_type not in MODEL_TYPES:
    raise ew.InterchangeError(f'--hf_model_type={model_type!r}: choose auto, '
                              'bert or electra')
  if model_type == 'bert' and projected:
    raise ew.InterchangeError(
        f'embedding_size={fields["embedding_size"]} != hidden_size='
        f'{fields["hidden_size"]}: a Hugging Face BERT cannot hold an '
        'embedding projection; write electra')
  ew.check(encoder)
  weights = dict(encoder.weights)
  if model_type == 'electra' or not pooler:
    for key in ew.POOLER_KEYS:
      weights.pop(key, None)
  if projected:
    weights.setdefault(ew.PROJECTION_BIAS,
                       np.zeros([fields['hidden_size']], np.float32))
  tensors = {}
  for key, value in weights.items():
    value = np.asarray(value, np.float32)
    tensors[hf_key(key)] = np.ascontiguousarray(
        value.T if key.endswith('kernel') else value)
  tf.io.gfile.makedirs(path)
  with tf.io.gfile.GFile(os.path.join(path, WEIGHTS), 'wb') as f:
    f.write(safetensors_numpy.save(tensors, metadata={'format': 'pt'}))
  config = {
      'architectures': ['BertModel' if model_type == 'bert' else
                        'ElectraModel'],
      'model_type': model_type, 'layer_norm_eps': 1e-12,
      'position_embedding_type': 'absolute', 'pad_token_id': 0,
      **{theirs: fields[ours] for theirs, ours in _CONFIG_KEYS.items()
         if ours in fields}}
  config['hidden_act'] = hf_activations.to_hf(
      fields.get('hidden_activation', 'gelu'), encoder.source)
  if model_type == 'bert':
    config.pop('embedding_size', None)
  _write_json(os.path.join(path, CONFIG), config)
  if encoder.vocab_file:
    tf.io.gfile.copy(encoder.vocab_file, os.path.join(path, VOCAB),
                     overwrite=True)
  lower = True if encoder.do_lower_case is None else encoder.do_lower_case
  _write_json(os.path.join(path, TOKENIZER_CONFIG), {
      'do_lower_case': lower,
      'tokenizer_class': ('BertTokenizer' if model_type == 'bert' else
                          'ElectraTokenizer'),
      'model_max_length': fields['max_position_embeddings']})
  return model_type


def _write_json(path, value):
  with tf.io.gfile.GFile(path, 'w') as f:
    json.dump(value, f, indent=2, sort_keys=True)
