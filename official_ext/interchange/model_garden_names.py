"""Model Garden's variable names <-> canonical keys (`encoder_weights`).

The names of `BertEncoderV2` (what Model Garden's TF1 converter writes and
TF Hub BERT SavedModels hold) and of the `EncoderScaffold` our pretrainers
build share the per-layer and embedding suffixes:

  word_embeddings/embeddings          embeddings/word_embeddings
  position_embedding/embeddings       embeddings/position_embeddings
  type_embeddings/embeddings          embeddings/token_type_embeddings
  embeddings/layer_norm/{gamma,beta}  embeddings/layer_norm/...
  embedding_projection/{kernel,bias}  embeddings/projection/...
  <layer>/self_attention/{query,key,value}/{kernel,bias}
  <layer>/self_attention/attention_output/{kernel,bias}
  <layer>/self_attention_layer_norm, intermediate, output,
  output_layer_norm
  pooler_transform (BertEncoderV2) or cls_transform (EncoderScaffold)

where `<layer>` is `transformer/layer_<i>` (BertEncoderV2) or
`transformer`, `transformer_1`, ... (EncoderScaffold). Attention kernels are
stored per head (`[H, heads, H/heads]`, `[heads, H/heads, H]`); `to_canonical`
and `to_model` reshape them.
"""

import re
from typing import Dict, Optional, Tuple

import numpy as np

EMBEDDINGS = {
    'word_embeddings/embeddings': 'embeddings/word_embeddings',
    'position_embedding/embeddings': 'embeddings/position_embeddings',
    'type_embeddings/embeddings': 'embeddings/token_type_embeddings',
    'embeddings/layer_norm/gamma': 'embeddings/layer_norm/gamma',
    'embeddings/layer_norm/beta': 'embeddings/layer_norm/beta',
    'embedding_projection/kernel': 'embeddings/projection/kernel',
    'embedding_projection/bias': 'embeddings/projection/bias',
}
LAYER_SUFFIXES = {
    'self_attention/query': 'attention/query',
    'self_attention/key': 'attention/key',
    'self_attention/value': 'attention/value',
    'self_attention/attention_output': 'attention/output',
    'self_attention_layer_norm': 'attention/layer_norm',
    'intermediate': 'intermediate',
    'output': 'output',
    'output_layer_norm': 'output/layer_norm',
}
POOLERS = ('pooler_transform', 'cls_transform')
_V2_LAYER = re.compile(r'(?:^|/)transformer/layer_(\d+)/(.+)$')
_SCAFFOLD_LAYER = re.compile(r'(?:^|/)transformer(?:_(\d+))?/(.+)$')
_PER_HEAD = re.compile(r'attention/(query|key|value)/(kernel|bias)$')


def strip_suffix(name: str) -> str:
  """`a/b/kernel:0` -> `a/b/kernel`."""
  return name.rsplit(':', 1)[0] if re.search(r':\d+$', name) else name


def layer_part(suffix: str) -> Optional[str]:
  """`self_attention/query/kernel` -> `attention/query/kernel`."""
  head, _, leaf = suffix.rpartition('/')
  part = LAYER_SUFFIXES.get(head)
  return f'{part}/{leaf}' if part else None


def embedding_or_pooler_key(name: str) -> Optional[str]:
  """Canonical key of an embedding or pooler variable name, else None."""
  for mg_name, key in EMBEDDINGS.items():
    if name == mg_name or name.endswith('/' + mg_name):
      return key
  for pooler in POOLERS:
    match = re.search(rf'(?:^|/){pooler}/(kernel|bias)$', name)
    if match:
      return f'pooler/{match.group(1)}'
  return None


def bert_encoder_v2_key(name: str) -> Optional[str]:
  """Canonical key of a `BertEncoderV2` (or converted TF1) variable name."""
  name = strip_suffix(name)
  match = _V2_LAYER.search(name)
  if match:
    part = layer_part(match.group(2))
    return f'layer_{match.group(1)}/{part}' if part else None
  return embedding_or_pooler_key(name)


def scaffold_layer_index(name: str) -> Optional[Tuple[int, str]]:
  """(`transformer_<n>` suffix number, rest) of an EncoderScaffold layer
  variable name (`transformer` is 0), else None."""
  match = _SCAFFOLD_LAYER.search(strip_suffix(name))
  if not match or match.group(2).startswith('layer_'):
    return None
  return int(match.group(1) or 0), match.group(2)


def to_canonical(key: str, value: np.ndarray) -> np.ndarray:
  """A Model Garden-shaped array in its canonical (2-D kernel) shape."""
  value = np.asarray(value)
  shape = value.shape
  if _PER_HEAD.search(key):
    return value.reshape((shape[0], -1) if key.endswith('kernel') else (-1,))
  if key.endswith('attention/output/kernel'):
    return value.reshape((-1, shape[-1]))
  return value


def to_model(value: np.ndarray, shape) -> np.ndarray:
  """A canonical array reshaped to a model variable's shape."""
  return np.reshape(value, tuple(shape))


def from_named(named: Dict[str, np.ndarray], key_fn=bert_encoder_v2_key
               ) -> Tuple[Dict[str, np.ndarray], Dict[str, str], list]:
  """(canonical weights, canonical -> source name, unmapped names)."""
  weights, names, unmapped = {}, {}, []
  for name, value in sorted(named.items()):
    key = key_fn(name)
    if key is None:
      unmapped.append(name)
      continue
    weights[key] = to_canonical(key, value)
    names[key] = name
  return weights, names, unmapped


def scaffold_or_v2_key_fn(names):
  """A key function for a set of names from either naming scheme (a TF Hub
  SavedModel of a BertEncoderV2 or of our EncoderScaffold)."""
  if any(_V2_LAYER.search(strip_suffix(n)) for n in names):
    return bert_encoder_v2_key
  numbers = sorted({scaffold_layer_index(n)[0] for n in names
                    if scaffold_layer_index(n)})
  order = {n: i for i, n in enumerate(numbers)}

  def key_fn(name):
    found = scaffold_layer_index(name)
    if found:
      part = layer_part(found[1])
      return f'layer_{order[found[0]]}/{part}' if part else None
    return embedding_or_pooler_key(strip_suffix(name))
  return key_fn
