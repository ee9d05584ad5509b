"""The format-neutral form of a BERT-architecture encoder's weights.

Every importer reads its source into an `EncoderWeights` (the
`BertEncoderConfig` fields plus numpy arrays under canonical keys), and every
writer starts from one, so each format needs one mapping, not one per pair.

Canonical keys and shapes (V vocab, P positions, T types, E embedding width,
H hidden, F intermediate; dense kernels are `[in, out]` as in TF1 BERT):

  embeddings/word_embeddings            [V, E]
  embeddings/position_embeddings        [P, E]
  embeddings/token_type_embeddings      [T, E]
  embeddings/layer_norm/{gamma,beta}    [E]
  embeddings/projection/kernel          [E, H]  (only when E != H)
  embeddings/projection/bias            [H]     (optional, see below)
  layer_<i>/attention/{query,key,value}/kernel [H, H], .../bias [H]
  layer_<i>/attention/output/kernel     [H, H], .../bias [H]
  layer_<i>/attention/layer_norm/{gamma,beta}  [H]
  layer_<i>/intermediate/kernel         [H, F], .../bias [F]
  layer_<i>/output/kernel               [F, H], .../bias [H]
  layer_<i>/output/layer_norm/{gamma,beta}     [H]
  pooler/kernel [H, H], pooler/bias [H]         (optional)

Model Garden's `PackedSequenceEmbedding` projects without a bias; ELECTRA's
`embeddings_project` has one. `fold_projection_bias` moves it exactly into
layer 0 (the query/key/value biases absorb `b @ W`, the attention-output
bias absorbs `b` on the residual path), so inference outputs are unchanged.
"""

import dataclasses
import re
from typing import Dict, List, Optional

import numpy as np

PROJECTION_BIAS = 'embeddings/projection/bias'
POOLER_KEYS = ('pooler/kernel', 'pooler/bias')
LAYER_PARTS = (
    'attention/query/kernel', 'attention/query/bias',
    'attention/key/kernel', 'attention/key/bias',
    'attention/value/kernel', 'attention/value/bias',
    'attention/output/kernel', 'attention/output/bias',
    'attention/layer_norm/gamma', 'attention/layer_norm/beta',
    'intermediate/kernel', 'intermediate/bias',
    'output/kernel', 'output/bias',
    'output/layer_norm/gamma', 'output/layer_norm/beta')
_LAYER_KEY = re.compile(r'^layer_(\d+)/')
# The `fields` that decide the weights' shapes (two encoders whose values
# agree can load each other's weights).
SHAPE_FIELDS = ('vocab_size', 'hidden_size', 'num_layers',
                'num_attention_heads', 'intermediate_size', 'embedding_size',
                'max_position_embeddings', 'type_vocab_size')
# Google BERT's bert_config.json (and HF's config.json) -> BertEncoderConfig.
BERT_JSON_KEYS = {
    'vocab_size': 'vocab_size', 'hidden_size': 'hidden_size',
    'num_hidden_layers': 'num_layers',
    'num_attention_heads': 'num_attention_heads',
    'intermediate_size': 'intermediate_size', 'hidden_act':
        'hidden_activation',
    'hidden_dropout_prob': 'dropout_rate',
    'attention_probs_dropout_prob': 'attention_dropout_rate',
    'max_position_embeddings': 'max_position_embeddings',
    'type_vocab_size': 'type_vocab_size',
    'initializer_range': 'initializer_range',
    'embedding_size': 'embedding_size',
}
CONFIG_DEFAULTS = dict(hidden_activation='gelu', dropout_rate=0.1,
                       attention_dropout_rate=0.1, initializer_range=0.02)


class InterchangeError(ValueError):
  """A source that cannot be converted; the message names the key or file."""


@dataclasses.dataclass
class EncoderWeights:
  """An encoder in canonical form.

  Attributes:
    fields: `BertEncoderConfig` fields (vocab_size, hidden_size, ...).
    weights: canonical key -> numpy array (module docstring).
    source: the file or directory read, for messages.
    source_names: canonical key -> the source's own name of that weight.
    vocab_file: the WordPiece vocab shipped with the source, if any.
    do_lower_case: the source's casing, if it says.
  """
  fields: dict
  weights: Dict[str, np.ndarray]
  source: str
  source_names: Dict[str, str] = dataclasses.field(default_factory=dict)
  vocab_file: Optional[str] = None
  do_lower_case: Optional[bool] = None

  @property
  def has_pooler(self) -> bool:
    return all(k in self.weights for k in POOLER_KEYS)

  def name_of(self, key: str) -> str:
    return self.source_names.get(key, key)


def expected_shapes(fields: dict, pooler: bool = True,
                    projection_bias: bool = False) -> Dict[str, tuple]:
  """Canonical key -> shape for an encoder of `fields`."""
  v, p, t = (fields['vocab_size'], fields['max_position_embeddings'],
             fields['type_vocab_size'])
  h, f = fields['hidden_size'], fields['intermediate_size']
  e = fields.get('embedding_size') or h
  shapes = {'embeddings/word_embeddings': (v, e),
            'embeddings/position_embeddings': (p, e),
            'embeddings/token_type_embeddings': (t, e),
            'embeddings/layer_norm/gamma': (e,),
            'embeddings/layer_norm/beta': (e,)}
  if e != h:
    shapes['embeddings/projection/kernel'] = (e, h)
    if projection_bias:
      shapes[PROJECTION_BIAS] = (h,)
  per_layer = {}
  for part in LAYER_PARTS:
    if part.endswith('gamma') or part.endswith('beta'):
      per_layer[part] = (h,)
    elif part == 'intermediate/kernel':
      per_layer[part] = (h, f)
    elif part == 'intermediate/bias':
      per_layer[part] = (f,)
    elif part == 'output/kernel':
      per_layer[part] = (f, h)
    else:
      per_layer[part] = (h, h) if part.endswith('kernel') else (h,)
  for i in range(fields['num_layers']):
    shapes.update({f'layer_{i}/{k}': s for k, s in per_layer.items()})
  if pooler:
    shapes.update({'pooler/kernel': (h, h), 'pooler/bias': (h,)})
  return shapes


def default_num_heads(hidden_size: int) -> int:
  """ELECTRA's rule (and BERT's sizes): one head per 64 units."""
  return max(1, hidden_size // 64)


def infer_fields(weights: Dict[str, np.ndarray], source: str,
                 num_attention_heads: Optional[int] = None,
                 **known) -> dict:
  """`BertEncoderConfig` fields from the weight shapes (plus `known`)."""
  need = ('embeddings/word_embeddings', 'embeddings/position_embeddings',
          'embeddings/token_type_embeddings', 'layer_0/attention/query/kernel',
          'layer_0/intermediate/kernel')
  for key in need:
    if key not in weights:
      raise InterchangeError(f'{source}: no weight for {key}; is it a BERT '
                             'or ELECTRA encoder?')
  layers = {int(m.group(1)) for m in map(_LAYER_KEY.match, weights) if m}
  hidden = weights['layer_0/attention/query/kernel'].shape[0]
  fields = dict(
      CONFIG_DEFAULTS,
      vocab_size=weights['embeddings/word_embeddings'].shape[0],
      embedding_size=weights['embeddings/word_embeddings'].shape[1],
      max_position_embeddings=weights[
          'embeddings/position_embeddings'].shape[0],
      type_vocab_size=weights['embeddings/token_type_embeddings'].shape[0],
      hidden_size=hidden, num_layers=max(layers) + 1,
      intermediate_size=weights['layer_0/intermediate/kernel'].shape[1],
      num_attention_heads=num_attention_heads or default_num_heads(hidden))
  fields.update({k: v for k, v in known.items() if v is not None})
  return fields


def check(encoder: EncoderWeights) -> List[str]:
  """Raises InterchangeError on a missing weight or a shape that does not
  fit `encoder.fields`; returns the optional parts absent (e.g. pooler)."""
  fields = encoder.fields
  if fields['hidden_size'] % fields['num_attention_heads']:
    raise InterchangeError(
        f'{encoder.source}: hidden_size={fields["hidden_size"]} is not a '
        f'multiple of num_attention_heads={fields["num_attention_heads"]}')
  shapes = expected_shapes(fields, pooler=encoder.has_pooler,
                           projection_bias=PROJECTION_BIAS in encoder.weights)
  for key, shape in shapes.items():
    if key not in encoder.weights:
      raise InterchangeError(f'{encoder.source}: missing weight '
                             f'{encoder.name_of(key)} ({key})')
    got = tuple(encoder.weights[key].shape)
    if got != tuple(shape):
      raise InterchangeError(
          f'{encoder.source}: {encoder.name_of(key)} has shape {list(got)} '
          f'but the config ({_settings(fields)}) needs {list(shape)}')
  extra = sorted(set(encoder.weights) - set(shapes))
  if extra:
    raise InterchangeError(
        f'{encoder.source}: {encoder.name_of(extra[0])} does not fit an '
        f'encoder of {_settings(fields)} ({len(extra)} such weights)')
  return [] if encoder.has_pooler else ['pooler']


def _settings(fields):
  return ', '.join(f'{k}={fields.get(k)}' for k in (
      'num_layers', 'hidden_size', 'embedding_size', 'intermediate_size',
      'vocab_size', 'max_position_embeddings', 'type_vocab_size'))


def fold_projection_bias(weights: Dict[str, np.ndarray]
                         ) -> Dict[str, np.ndarray]:
  """`weights` without the projection bias, folded into layer 0 exactly
  (module docstring)."""
  if PROJECTION_BIAS not in weights:
    return dict(weights)
  out = dict(weights)
  bias = out.pop(PROJECTION_BIAS).astype(np.float64)
  for part in ('query', 'key', 'value'):
    kernel = out[f'layer_0/attention/{part}/kernel'].astype(np.float64)
    key = f'layer_0/attention/{part}/bias'
    out[key] = (out[key] + bias @ kernel).astype(np.float32)
  key = 'layer_0/attention/output/bias'
  out[key] = (out[key] + bias).astype(np.float32)
  return out


def check_vocab(encoder: EncoderWeights) -> Optional[int]:
  """Tokens in the shipped vocab; an error when they are not the embedding
  table's rows."""
  if not encoder.vocab_file:
    return None
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.gfile.GFile(encoder.vocab_file) as f:
    size = sum(1 for line in f if line.rstrip('\n'))
  if size != encoder.fields['vocab_size']:
    raise InterchangeError(
        f'{encoder.vocab_file} has {size} tokens but the embedding table '
        f'{encoder.name_of("embeddings/word_embeddings")} has '
        f'{encoder.fields["vocab_size"]} rows')
  return size
