"""Every evaluation of a run with its step: `<model_dir>/eval_history.json`.

Orbit writes evaluations to TensorBoard; this file keeps them readable
without it: a list of `{"step": n, "metrics": {name: value}}` in step order.
An evaluation is added as it finishes (atomically, through `tf.io.gfile`),
so a resumed run keeps its earlier ones; a second evaluation at the same
step replaces the first. `train_and_eval` with `Experiment.eval_at_start`
makes the first entry the model before any training step (e.g. a released
encoder before continued pretraining), its last the trained model.
"""

import json
import os
from typing import Dict, List, Mapping

import numpy as np
import tensorflow as tf

from official_ext import output_dir as output_dir_lib

FILE = 'eval_history.json'


def read(model_dir: str) -> List[Dict[str, object]]:
  """The evaluations recorded in `model_dir` (empty when none)."""
  path = os.path.join(model_dir, FILE)
  if not tf.io.gfile.exists(path):
    return []
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def _scalars(logs: Mapping[str, object]) -> Dict[str, float]:
  out = {}
  for name, value in logs.items():
    value = np.asarray(value)
    if value.ndim == 0 and np.issubdtype(value.dtype, np.number):
      out[name] = float(value)
  return out


class EvalHistory:
  """An Orbit eval action: records each evaluation's scalars at the step
  `global_step` holds."""

  def __init__(self, model_dir: str, global_step: tf.Variable):
    self._model_dir = model_dir
    self._global_step = global_step

  def __call__(self, logs: Mapping[str, object]) -> None:
    step = int(self._global_step.numpy())
    history = [h for h in read(self._model_dir) if h['step'] != step]
    history.append({'step': step, 'metrics': _scalars(logs)})
    history.sort(key=lambda h: h['step'])
    output_dir_lib.write_json(os.path.join(self._model_dir, FILE), history)
