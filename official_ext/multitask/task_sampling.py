"""Which task trains at each step: jiant's size-based sampling distributions.

p_i = f(N_i) / sum_j f(N_j), N_i = training-set size of task i, with f by
method name (see `METHODS`):

  'uniform'           f(N) = 1
  'proportional'      f(N) = N        ('natural' is an alias: Muppet's name)
  'log_proportional'  f(N) = ln N
  'power'             f(N) = N ** power   (power 0.75: jiant's default)

`SizeBasedTaskSampler` wraps a distribution in Model Garden's `TaskSampler`
interface (`task_weights`, `task_cumulative_distribution(global_step)`), so
MG's `InterleavingTrainer` can use it unchanged. `task_for_step` is a
stateless pure-Python draw: the same (probabilities, step, seed) always gives
the same task, so a resumed run repeats the picks of the original run. The
uniform number comes from `cmtl_plan.uniform` (a SplitMix64 counter hash),
the same generator the CMTL schedule uses.

Bad input raises ValueError: no tasks, a negative, non-finite or zero size
(an empty training split, named), a method that gives every task weight 0
(e.g. 'log_proportional' with every N = 1) or a single task weight 0 (that
task would never be drawn), an unknown method (the known ones are listed).
"""

import math
import numbers
from typing import Callable, Dict, List, Mapping, Sequence

import numpy as np
import tensorflow as tf

from official.modeling.multitask import task_sampler as mg_task_sampler
from official_ext.schedules import cmtl_plan

WeightFn = Callable[[np.ndarray, float], np.ndarray]

# Method name -> f(sizes, power), elementwise over a float64 array.
METHODS: Dict[str, WeightFn] = {
    'uniform': lambda n, power: np.ones_like(n),
    'proportional': lambda n, power: n,
    'log_proportional': lambda n, power: np.log(n),
    'power': lambda n, power: np.power(n, power),
}
ALIASES: Dict[str, str] = {'natural': 'proportional'}


def resolve_method(method: str, known: Mapping[str, object] = None,
                   aliases: Mapping[str, str] = None, what: str = 'sampling'
                   ) -> str:
  """Canonical method name, or a ValueError listing the known names."""
  known = METHODS if known is None else known
  aliases = ALIASES if aliases is None else aliases
  name = aliases.get(method, method)
  if name not in known:
    names = sorted(set(known) | set(aliases))
    raise ValueError(f'unknown {what} method {method!r}; known methods: '
                     f'{", ".join(names)}.')
  return name


def check_sizes(sizes: Mapping[str, float]) -> np.ndarray:
  """Sizes as a float64 array in dict order, after the checks above."""
  if not sizes:
    raise ValueError('task sizes: no tasks given (an empty dict).')
  for task, size in sizes.items():
    if isinstance(size, bool) or not isinstance(size, numbers.Real) or (
        not math.isfinite(size)):
      raise ValueError(f'task {task!r}: size must be a finite number of '
                       f'training examples, got {size!r}.')
    if size < 0:
      raise ValueError(f'task {task!r}: negative size {size!r}; give the '
                       'number of training examples.')
  if all(size == 0 for size in sizes.values()):
    raise ValueError(f'every task has size 0 ({", ".join(map(repr, sizes))})'
                     ': the training splits are empty.')
  for task, size in sizes.items():
    if size == 0:
      raise ValueError(f'task {task!r} has an empty training split (size 0); '
                       'fix its data or drop it from the task list.')
  return np.asarray([float(s) for s in sizes.values()], dtype=np.float64)


def sampling_probabilities(sizes: Mapping[str, float], method: str,
                           power: float = 0.75) -> Dict[str, float]:
  """p_i = f(N_i) / sum_j f(N_j), in the order of `sizes`.

  Args:
    sizes: task name -> training-set size N_i (> 0).
    method: one of `METHODS` (or the alias 'natural').
    power: the exponent a of 'power'; ignored by the other methods.

  Returns:
    task name -> probability (float), summing to 1.
  """
  name = resolve_method(method)
  n = check_sizes(sizes)
  if not math.isfinite(power):
    raise ValueError(f'power must be finite, got {power!r}.')
  weights = METHODS[name](n, float(power))
  total = float(np.sum(weights))
  if not total > 0:
    raise ValueError(f'sampling method {method!r} gives every task weight 0 '
                     f'for sizes {dict(sizes)!r}; pick another method.')
  zero = [t for t, w in zip(sizes, weights) if w <= 0]
  if zero:
    raise ValueError(f'sampling method {method!r} gives task(s) {zero!r} '
                     'weight 0: they would never be drawn; pick another '
                     'method or drop them.')
  return {t: float(w / total) for t, w in zip(sizes, weights)}


def cumulative(probabilities: Mapping[str, float]) -> List[float]:
  """Running sums of the probabilities; the last one is exactly 1.0."""
  values = list(probabilities.values())
  if not values:
    raise ValueError('probabilities: no tasks given (an empty dict).')
  if any(p < 0 or not math.isfinite(p) for p in values) or not (
      abs(sum(values) - 1.0) < 1e-6):
    raise ValueError(f'probabilities must be >= 0 and sum to 1, got '
                     f'{dict(probabilities)!r}.')
  out = list(np.cumsum(np.asarray(values, dtype=np.float64)))
  out[-1] = 1.0
  return [float(c) for c in out]


def _pick(cum: Sequence[float], u: float) -> int:
  for index, c in enumerate(cum):
    if u < c:
      return index
  return len(cum) - 1


def task_for_step(probabilities: Mapping[str, float], step: int,
                  seed: int = 0) -> str:
  """The task of `step`: the first task whose cumulative p exceeds u(seed, step).

  Stateless: the same arguments always give the same task.
  """
  names = list(probabilities)
  return names[_pick(cumulative(probabilities),
                     cmtl_plan.uniform(int(seed), int(step)))]


def sample_tasks(probabilities: Mapping[str, float], num_draws: int,
                 seed: int = 0, start_step: int = 0) -> List[str]:
  """[task_for_step(probabilities, s, seed) for s in start_step..+num_draws)."""
  if num_draws < 0:
    raise ValueError(f'num_draws must be >= 0, got {num_draws!r}.')
  names = list(probabilities)
  cum = cumulative(probabilities)
  return [names[_pick(cum, cmtl_plan.uniform(int(seed), step))]
          for step in range(int(start_step), int(start_step) + num_draws)]


class SizeBasedTaskSampler(mg_task_sampler.TaskSampler):
  """Model Garden `TaskSampler` over `sampling_probabilities`.

  `task_weights` are the sizes (MG's convention: its samplers also take
  sizes as weights). The distribution does not change with the step.
  Task order is the order of `task_weights`, which must match the order of
  the MG `MultiTask.tasks` it is used with.
  """

  def __init__(self, task_weights: Mapping[str, float],
               method: str = 'power', power: float = 0.75):
    super().__init__(task_weights=dict(task_weights))
    self._method = resolve_method(method)
    self._power = float(power)
    self._probabilities = sampling_probabilities(task_weights, method, power)
    # Last entry pinned to 1.0: MG's trainer tests `rn < end` with rn in
    # [0, 1), so a float32 sum of 0.99999994 could skip a step.
    self._cumulative = tf.constant(cumulative(self._probabilities),
                                   dtype=tf.float32)

  @property
  def method(self) -> str:
    return self._method

  @property
  def power(self) -> float:
    return self._power

  @property
  def probabilities(self) -> Dict[str, float]:
    return dict(self._probabilities)

  def task_cumulative_distribution(self, global_step: tf.Tensor) -> tf.Tensor:
    """float32 [num_tasks] running sums of p (MG's interface), last = 1."""
    del global_step
    return self._cumulative
