"""Per-task loss weights: jiant's size-based scaling and Muppet's 1 / log n.

jiant: w_i = f(N_i) / max_j f(N_j) with f by method name (`METHODS`):
'uniform' f = 1, 'proportional' f = N, 'power' f = N ** power (default 0.75).
The largest task gets weight 1. jiant found non-uniform sampling and
non-uniform scaling do the same job: use one of them, not both.

Muppet: L_scaled = L / ln(n), n = number of predictions the loss is over:
2 for binary classification, C for C classes, the number of candidates for
multiple-choice ranking, the number of positions (sequence length) for each
of span start and end. A model predicting uniformly then has loss 1 on every
task. n must be an integer >= 2 (ln 1 = 0); the error names the task.
"""

import math
import numbers
from typing import Dict, Mapping, Optional

import numpy as np

from official_ext.multitask import task_sampling

METHODS = {
    'uniform': lambda n, power: np.ones_like(n),
    'proportional': lambda n, power: n,
    'power': lambda n, power: np.power(n, power),
}


def loss_scales(sizes: Mapping[str, float], method: str,
                power: float = 0.75) -> Dict[str, float]:
  """w_i = f(N_i) / max_j f(N_j), in the order of `sizes`.

  Args:
    sizes: task name -> training-set size N_i (> 0).
    method: 'uniform', 'proportional' or 'power'.
    power: the exponent a of 'power'; ignored by the other methods.
  """
  name = task_sampling.resolve_method(method, METHODS, {}, 'loss scaling')
  n = task_sampling.check_sizes(sizes)
  if not math.isfinite(power):
    raise ValueError(f'power must be finite, got {power!r}.')
  f = METHODS[name](n, float(power))
  top = float(np.max(f))
  return {t: float(v / top) for t, v in zip(sizes, f)}


def muppet_scale(num_predictions: int, task: Optional[str] = None) -> float:
  """1 / ln(num_predictions); num_predictions an integer >= 2."""
  label = f'task {task!r}' if task is not None else 'muppet_scale'
  if isinstance(num_predictions, bool) or not isinstance(
      num_predictions, numbers.Integral) or num_predictions < 2:
    raise ValueError(
        f'{label}: num_predictions must be an integer >= 2 (classes, '
        f'candidates or span positions), got {num_predictions!r}; '
        'L / log(n) is undefined for n < 2.')
  return 1.0 / math.log(int(num_predictions))


def muppet_scales(num_predictions: Mapping[str, int]) -> Dict[str, float]:
  """task name -> 1 / ln(n_task)."""
  return {t: muppet_scale(n, t) for t, n in num_predictions.items()}


def scaled_loss(loss, num_predictions: int, task: Optional[str] = None):
  """loss / ln(num_predictions); works on floats, NumPy and TF tensors."""
  return loss * muppet_scale(num_predictions, task)


def task_loss_scales(tasks, method: str, power: float = 0.75
                     ) -> Dict[str, float]:
  """Per-task loss scale of prepared tasks by `method`.

  Args:
    tasks: objects with `spec.name`, `num_train` and `num_predictions`
      (`supervised_data.PreparedTask`).
    method: 'muppet' (1 / ln n; regression, with no n, gets 1) or one of
      `METHODS` (jiant's size-based weights).
    power: the exponent of 'power'.
  """
  if method == 'muppet':
    return {t.spec.name: (1.0 if t.num_predictions is None else
                          muppet_scale(t.num_predictions, t.spec.name))
            for t in tasks}
  return loss_scales({t.spec.name: t.num_train for t in tasks}, method, power)
