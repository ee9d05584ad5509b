"""A live Keras encoder's variables under canonical keys; read and assign.

Works on the `EncoderScaffold`s our pretrainers and fine-tuning build (by
structure: `embedding_network` layers, `hidden_layers`, `pooler_layer`, so
Keras' renaming of repeated layers does not matter) and on Model Garden's
`BertEncoderV2` (by variable name). Variables without a canonical key (e.g.
a task-id embedding) are reported by `assign` as left initialised.
"""

from typing import Dict, List

import numpy as np
import tensorflow as tf

from official_ext.interchange import encoder_weights
from official_ext.interchange import model_garden_names as names


def _local(variable, layer) -> str:
  name = names.strip_suffix(variable.name)
  return name.split(layer.name + '/', 1)[-1]


def encoder_variables(encoder) -> Dict[str, tf.Variable]:
  """Canonical key -> variable of `encoder` (module docstring)."""
  out = {}
  if hasattr(encoder, 'hidden_layers') and hasattr(encoder,
                                                   'embedding_network'):
    for layer in encoder.embedding_network.layers:
      for variable in layer.weights:
        key = names.EMBEDDINGS.get(f'{layer.name}/{_local(variable, layer)}')
        if key:
          out[key] = variable
    for i, layer in enumerate(encoder.hidden_layers):
      for variable in layer.weights:
        part = names.layer_part(_local(variable, layer))
        if part:
          out[f'layer_{i}/{part}'] = variable
    pooler = encoder.pooler_layer
    if pooler is not None:
      for variable in pooler.weights:
        out['pooler/' + _local(variable, pooler)] = variable
    return out
  for variable in encoder.weights:
    key = names.bert_encoder_v2_key(variable.name)
    if key:
      out[key] = variable
  return out


def read(encoder) -> Dict[str, np.ndarray]:
  """The encoder's weights in canonical form."""
  return {key: names.to_canonical(key, variable.numpy())
          for key, variable in encoder_variables(encoder).items()}


def assign(encoder, weights: Dict[str, np.ndarray], source: str = 'source',
           skip=()) -> List[str]:
  """Assigns canonical `weights` to `encoder`.

  Args:
    encoder: a built encoder (variables exist).
    weights: canonical weights; a projection bias is folded into layer 0.
    source: the checkpoint named in errors.
    skip: ids of variables not to touch (e.g. shared with another encoder
      already assigned).

  Returns:
    the model variables left as initialised (not in `weights`), sorted.

  Raises:
    InterchangeError: a weight the model lacks, or a shape that differs.
  """
  weights = encoder_weights.fold_projection_bias(weights)
  variables = encoder_variables(encoder)
  extra = sorted(set(weights) - set(variables))
  if extra:
    raise encoder_weights.InterchangeError(
        f'{source}: {extra[0]} has no place in the model ({len(extra)} such '
        'weights; a different num_layers or embedding width?)')
  for key, variable in variables.items():
    if key not in weights or id(variable) in skip:
      continue
    want = tuple(names.to_canonical(key, np.zeros(variable.shape)).shape)
    got = tuple(weights[key].shape)
    if want != got:
      raise encoder_weights.InterchangeError(
          f'{source}: {key} has shape {list(got)} but the model needs '
          f'{list(want)} ({variable.name})')
    variable.assign(names.to_model(weights[key], variable.shape))
  assigned = assigned_ids(encoder, weights, skip)
  return sorted(v.name for v in encoder.weights
                if id(v) not in assigned and id(v) not in skip)


def assigned_ids(encoder, weights: Dict[str, np.ndarray], skip=()) -> set:
  """Ids of the variables `assign(encoder, weights, skip=skip)` sets."""
  variables = encoder_variables(encoder)
  weights = encoder_weights.fold_projection_bias(weights)
  return {id(variables[k]) for k in weights
          if k in variables and id(variables[k]) not in skip}
