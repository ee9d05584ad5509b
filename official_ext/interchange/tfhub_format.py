"""A TF Hub / SavedModel BERT encoder -> `EncoderWeights`.

Reads the SavedModel's variables by name: Model Garden `BertEncoderV2`
names (`transformer/layer_<i>/...`, `pooler_transform`; TF Hub's BERT
encoders) or our `EncoderScaffold`'s (`transformer`, `transformer_1`, ...,
`cls_transform`; `official_ext.export`'s SavedModel). The head count comes
from the per-head attention kernels; `vocab_file` and `do_lower_case`
attached to the SavedModel (TF Hub's convention) come along, and so does
`hidden_activation` (our exports attach it); without it the encoder is
taken to use Model Garden's 'gelu' (tanh), as Model Garden's TF Hub BERTs
do.
"""

import os
from typing import Optional

import numpy as np
import tensorflow as tf

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import model_garden_names as names


def is_saved_model(path: str) -> bool:
  return tf.io.gfile.exists(os.path.join(path, 'saved_model.pb'))


def read(path: str, num_attention_heads: Optional[int] = None
         ) -> ew.EncoderWeights:
  """The SavedModel at `path` as `EncoderWeights`."""
  if not is_saved_model(path):
    raise ew.InterchangeError(f'{path}: no saved_model.pb')
  loaded = tf.saved_model.load(path)
  variables = list(getattr(loaded, 'variables', []))
  if not variables:
    raise ew.InterchangeError(f'{path}: the SavedModel exposes no variables')
  named = {names.strip_suffix(v.name): v.numpy() for v in variables
           if v.dtype.is_floating}
  key_fn = names.scaffold_or_v2_key_fn(named)
  weights, source_names, _ = names.from_named(named, key_fn)
  query = source_names.get('layer_0/attention/query/kernel')
  heads = num_attention_heads
  if heads is None and query is not None and np.ndim(named[query]) == 3:
    heads = int(np.shape(named[query])[1])
  activation = getattr(loaded, 'hidden_activation', None)
  fields = ew.infer_fields(
      weights, path, num_attention_heads=heads,
      hidden_activation=activation.numpy().decode() if activation is not None
      else None)
  vocab = getattr(loaded, 'vocab_file', None)
  lower = getattr(loaded, 'do_lower_case', None)
  return ew.EncoderWeights(
      fields=fields, weights=weights, source=path,
      source_names=source_names,
      vocab_file=vocab.asset_path.numpy().decode() if vocab is not None
      else None,
      do_lower_case=bool(lower.numpy()) if lower is not None else None)
