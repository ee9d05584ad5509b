"""Google's TF1 BERT and ELECTRA checkpoints -> `EncoderWeights`.

Variable names are renamed, and attention kernels reshaped per head, by
Model Garden's converter (`official.nlp.tools.
tf1_bert_checkpoint_converter_lib.convert` with its BERT V2 replacements)
into a temporary checkpoint whose names are `BertEncoderV2`'s, which
`model_garden_names` maps to canonical keys.

  * BERT: `bert/embeddings/...`, `bert/encoder/layer_<i>/...`,
    `bert/pooler/dense`; `bert_config.json` next to the checkpoint gives the
    head count (else one head per 64 units).
  * ELECTRA: the discriminator is `electra/...` (with `embeddings_project`
    when the embedding width is smaller); the generator is `generator/...`
    and shares `electra/embeddings` unless it has its own. ELECTRA ships no
    config: heads are one per 64 units, as ELECTRA's code sets them.
Optimizer slots (`adam_m`, `adam_v`), `global_step` and the pretraining
heads (`cls/`, `*_predictions`) are not part of the encoder and are skipped.
"""

import json
import os
import tempfile
from typing import Optional

from absl import logging
import tensorflow as tf

from official.nlp.tools import tf1_bert_checkpoint_converter_lib as mg_tf1

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import model_garden_names

BERT_CONFIG = 'bert_config.json'
_ALWAYS_SKIPPED = ['adam', 'Adam', 'global_step']
ROOTS = {'tf1_bert': 'bert', 'tf1_electra': 'electra'}


def checkpoint_prefix(path: str) -> Optional[str]:
  """A checkpoint prefix from a directory or prefix, else None."""
  if tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest:
      return latest
    indexes = tf.io.gfile.glob(os.path.join(path, '*.index'))
    return indexes[0][:-len('.index')] if len(indexes) == 1 else None
  return path if tf.io.gfile.exists(path + '.index') else None


def detect(path: str) -> Optional[str]:
  """'tf1_bert' / 'tf1_electra' when `path` holds such a checkpoint."""
  prefix = checkpoint_prefix(path)
  if not prefix:
    return None
  names = {n for n, _ in tf.train.list_variables(prefix)}
  for fmt, root in ROOTS.items():
    if f'{root}/embeddings/word_embeddings' in names:
      return fmt
  return None


def _bert_config(prefix):
  path = os.path.join(os.path.dirname(prefix), BERT_CONFIG)
  if not tf.io.gfile.exists(path):
    return {}, None
  with tf.io.gfile.GFile(path) as f:
    raw = json.load(f)
  return {ours: raw[theirs] for theirs, ours in ew.BERT_JSON_KEYS.items()
          if theirs in raw}, path


def _convert(prefix, num_heads, replacements, exclude):
  """Model Garden's rename/reshape into a temporary checkpoint; its
  tensors by name."""
  with tempfile.TemporaryDirectory() as tmp:
    target = os.path.join(tmp, 'converted')
    mg_tf1.convert(prefix, target, num_heads, replacements,
                   mg_tf1.BERT_V2_PERMUTATIONS, exclude_patterns=exclude)
    reader = tf.train.load_checkpoint(target)
    return {name: reader.get_tensor(name)
            for name in reader.get_variable_to_shape_map()}


def _hidden_size(prefix, root):
  shapes = dict(tf.train.list_variables(prefix))
  key = f'{root}/encoder/layer_0/attention/self/query/kernel'
  if key not in shapes:
    raise ew.InterchangeError(f'{prefix}: no {key}; is it a {root} '
                              'checkpoint?')
  return shapes[key][0]


def read(path: str, fmt: str, generator: bool = False,
         num_attention_heads: Optional[int] = None) -> ew.EncoderWeights:
  """A TF1 BERT or ELECTRA checkpoint as `EncoderWeights`.

  Args:
    path: checkpoint directory or prefix.
    fmt: 'tf1_bert' or 'tf1_electra'.
    generator: read ELECTRA's generator instead of its discriminator.
    num_attention_heads: overrides the config / the one-per-64 rule.
  """
  prefix = checkpoint_prefix(path)
  if not prefix:
    raise ew.InterchangeError(f'{path}: no TF1 checkpoint (no `checkpoint` '
                              'file or single *.index)')
  if fmt not in ROOTS:
    raise ew.InterchangeError(f'unknown TF1 format {fmt!r}')
  known, config_path = ({}, None) if generator else _bert_config(prefix)
  names = {n for n, _ in tf.train.list_variables(prefix)}
  root = 'generator' if generator else ROOTS[fmt]
  if generator and 'generator/encoder/layer_0/attention/self/query/kernel' \
      not in names:
    raise ew.InterchangeError(f'{prefix}: no generator/encoder/... '
                              'variables; the checkpoint has no generator')
  heads = (num_attention_heads or known.get('num_attention_heads') or
           ew.default_num_heads(_hidden_size(prefix, root)))
  exclude = _ALWAYS_SKIPPED + ['cls/', '_predictions']
  if fmt == 'tf1_bert':
    replacements = mg_tf1.BERT_V2_NAME_REPLACEMENTS
  elif generator:
    replacements = (('generator/', 'bert/'), ('electra/', 'bert/'),
                    ('embeddings_project', 'embedding_projection')
                   ) + mg_tf1.BERT_V2_NAME_REPLACEMENTS
    exclude += ['electra/encoder', 'electra/embeddings_project']
    if 'generator/embeddings/word_embeddings' in names:
      exclude.append('electra/embeddings/')
  else:
    replacements = (('electra/', 'bert/'),
                    ('embeddings_project', 'embedding_projection')
                   ) + mg_tf1.BERT_V2_NAME_REPLACEMENTS
    exclude.append('generator')
  named = _convert(prefix, heads, replacements, exclude)
  weights, source_names, unmapped = model_garden_names.from_named(named)
  if unmapped:
    logging.info('%s: not part of the encoder, skipped: %s', prefix,
                 unmapped)
  known.pop('num_attention_heads', None)
  fields = ew.infer_fields(weights, prefix, num_attention_heads=heads,
                           **known)
  vocab = os.path.join(os.path.dirname(prefix), 'vocab.txt')
  source = f'{prefix} ({root})' if fmt == 'tf1_electra' else prefix
  if config_path:
    source = f'{prefix} with {config_path}'
  return ew.EncoderWeights(
      fields=fields, weights=weights, source=source,
      source_names={k: f'{v} (converted name)' for k, v in
                    source_names.items()},
      vocab_file=vocab if tf.io.gfile.exists(vocab) else None)
