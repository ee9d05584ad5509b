"""Which task(s) each optimiser update trains on: Muppet's batch compositions.

`build_composition(kind, probabilities, ...)` returns a `CompositionPlan`.
`plan.tasks_for_update(update)` is the list of tasks whose sub-batches make
up that update. It is stateless: the same (update, seed) always gives the
same list, so a resumed run repeats the original run's picks. Kinds (`KINDS`):

  'dataset_homogeneous'  Sequential (Muppet's name): the tasks one after
      another in the given order; task i trains for its share of
      `total_updates` (required), one task per update. Shares are the
      largest-remainder rounding of total_updates * p_i, so they sum exactly
      to total_updates; a task with p_i > 0 gets at least 1 update (taken
      from the most over-allocated task).
  'batch_homogeneous'  One task per update, drawn with
      `task_sampling.task_for_step(probabilities, update, seed)`.
  'batch_heterogeneous'  `tasks_per_update` (>= 2) sub-batches per update;
      the update sums their scaled gradients.
      - stratified=True (the default): each update holds floor(k p_i)
        sub-batches of task i (k = tasks_per_update), and the k - sum floor
        leftover slots go to distinct tasks drawn with probability equal to
        their remainders k p_i - floor(k p_i) (systematic sampling, one
        uniform per update). So every update really contains the requested
        mix: each task gets floor(k p_i) or ceil(k p_i) slots, and
        exactly k p_i on average. (Giving the leftover slots to the largest
        remainders every time would starve small tasks forever.) When every
        k p_i is an integer the composition is the same at every update;
        e.g. p = {a: .5, b: .25, c: .25}, k = 4 -> [a, a, b, c]. Slots are
        listed in task order.
      - stratified=False: each slot is an independent draw,
        task_for_step(probabilities, update * k + slot, seed).

Under MirroredStrategy replica r takes one sub-batch of the update:
`replica_tasks(update, num_replicas, micro_step)` is the list of length
num_replicas (slot micro_step * num_replicas + r for replica r), which needs
tasks_per_update to be a multiple of num_replicas (several micro-steps
accumulate one update). Homogeneous kinds give every replica the update's
single task.

Probabilities are sampling weights: they are normalised to sum to 1, and a
task with weight 0 is never drawn. Uniform numbers come from
`cmtl_plan.uniform` (the counter hash `task_sampling` uses). Bad settings
raise ValueError naming the setting.
"""

import math
import numbers
from typing import Dict, List, Mapping, Optional

from official_ext.multitask import task_sampling
from official_ext.schedules import cmtl_plan

KINDS = ('dataset_homogeneous', 'batch_homogeneous', 'batch_heterogeneous')

# Exact values this close to an integer are taken as that integer, so that
# float noise in p (0.3 * 10 = 2.9999999999999996) does not move a slot.
_SNAP = 1e-9


def _check_int(name: str, value, minimum: int) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
      value < minimum):
    raise ValueError(f'{name} must be an integer >= {minimum}, got '
                     f'{value!r}.')
  return int(value)


def normalise_probabilities(probabilities: Mapping[str, float]
                            ) -> Dict[str, float]:
  """Weights -> probabilities summing to 1, in the given task order."""
  if not probabilities:
    raise ValueError('probabilities: no tasks given (an empty mapping).')
  for task, p in probabilities.items():
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or (
        not math.isfinite(p)):
      raise ValueError(f'task {task!r}: sampling weight must be a finite '
                       f'number, got {p!r}.')
    if p < 0:
      raise ValueError(f'task {task!r}: negative sampling weight {p!r}.')
  total = math.fsum(float(p) for p in probabilities.values())
  if total <= 0:
    names = ', '.join(map(repr, probabilities))
    raise ValueError(f'sampling weight 0 for every task ({names}): nothing '
                     'could be trained; give at least one task a weight > 0.')
  return {t: float(p) / total for t, p in probabilities.items()}


def largest_remainder(probabilities: Mapping[str, float], total: int
                      ) -> Dict[str, int]:
  """Integer shares of `total` by the largest-remainder (Hamilton) method.

  Each share is floor(total * p_i) or that + 1; leftover units go to the
  largest remainders, ties to the earlier task. Shares sum to `total`.
  """
  exact = {t: _snap(total * p) for t, p in probabilities.items()}
  shares = {t: math.floor(e) for t, e in exact.items()}
  left = total - sum(shares.values())
  order = sorted(exact, key=lambda t: -(exact[t] - shares[t]))  # Stable.
  for task in order[:left]:
    shares[task] += 1
  return shares


def _snap(value: float) -> float:
  nearest = round(value)
  return float(nearest) if abs(value - nearest) < _SNAP else value


class CompositionPlan:
  """Base class: the tasks of each update. Build with `build_composition`."""

  kind = ''

  def __init__(self, probabilities: Mapping[str, float],
               tasks_per_update: int, total_updates: Optional[int],
               seed: int):
    self._probabilities = normalise_probabilities(probabilities)
    # Tasks that can be drawn (weight > 0), in the given order.
    self._active = {t: p for t, p in self._probabilities.items() if p > 0}
    self._tasks_per_update = _check_int('tasks_per_update', tasks_per_update,
                                        1)
    self._total_updates = (None if total_updates is None else
                           _check_int('total_updates', total_updates, 1))
    self._seed = _check_int('seed', seed, 0)

  @property
  def probabilities(self) -> Dict[str, float]:
    return dict(self._probabilities)

  @property
  def tasks(self) -> List[str]:
    return list(self._probabilities)

  @property
  def tasks_per_update(self) -> int:
    return self._tasks_per_update

  @property
  def total_updates(self) -> Optional[int]:
    return self._total_updates

  @property
  def seed(self) -> int:
    return self._seed

  def _check_update(self, update: int) -> int:
    update = _check_int('update', update, 0)
    if self._total_updates is not None and update >= self._total_updates:
      raise ValueError(f'update {update} is past the plan: total_updates = '
                       f'{self._total_updates} (updates 0..'
                       f'{self._total_updates - 1}).')
    return update

  def tasks_for_update(self, update: int) -> List[str]:
    """The tasks of the sub-batches of `update` (0-based), one per slot."""
    return self._tasks(self._check_update(update))

  def _tasks(self, update: int) -> List[str]:
    raise NotImplementedError

  def replica_tasks(self, update: int, num_replicas: int,
                    micro_step: int = 0) -> List[str]:
    """Task of each replica at `micro_step` of `update`; length num_replicas.

    Replica r takes slot micro_step * num_replicas + r. Heterogeneous plans
    need tasks_per_update to be a multiple of num_replicas (micro_step in
    0..tasks_per_update / num_replicas - 1); homogeneous plans give every
    replica the update's task (micro_step must be 0).
    """
    num_replicas = _check_int('num_replicas', num_replicas, 1)
    micro_step = _check_int('micro_step', micro_step, 0)
    tasks = self.tasks_for_update(update)
    if len(tasks) == 1:
      if micro_step:
        raise ValueError(f'{self.kind} has one sub-batch per update: '
                         f'micro_step must be 0, got {micro_step}.')
      return tasks * num_replicas
    if len(tasks) % num_replicas:
      raise ValueError(
          f'tasks_per_update = {len(tasks)} is not a multiple of '
          f'num_replicas = {num_replicas}: each replica takes one sub-batch, '
          'so set tasks_per_update to num_replicas or a multiple of it.')
    steps = len(tasks) // num_replicas
    if micro_step >= steps:
      raise ValueError(f'micro_step {micro_step} out of range: tasks_per_'
                       f'update = {len(tasks)} over num_replicas = '
                       f'{num_replicas} gives micro-steps 0..{steps - 1}.')
    start = micro_step * num_replicas
    return tasks[start:start + num_replicas]

  def _require_one_task_per_update(self):
    if self._tasks_per_update != 1:
      raise ValueError(
          f'{self.kind} trains one task per update: tasks_per_update must be '
          f'1, got {self._tasks_per_update} (use batch_heterogeneous for '
          'several tasks per update).')

  def _describe_mix(self) -> str:
    return ', '.join(f'{t}: {p:.4g}' for t, p in self._probabilities.items())

  def describe(self) -> str:
    """One line for logs: kind, settings and the task mix."""
    raise NotImplementedError


class DatasetHomogeneousPlan(CompositionPlan):
  """Tasks one after another, each for its share of `total_updates`."""

  kind = 'dataset_homogeneous'

  def __init__(self, probabilities, tasks_per_update, total_updates, seed):
    super().__init__(probabilities, tasks_per_update, total_updates, seed)
    self._require_one_task_per_update()
    if self._total_updates is None:
      raise ValueError('dataset_homogeneous needs total_updates (each task '
                       'trains for its share of the run).')
    if self._total_updates < len(self._active):
      raise ValueError(
          f'dataset_homogeneous: total_updates = {self._total_updates} is '
          f'fewer than the {len(self._active)} tasks with weight > 0; each '
          'needs at least one update.')
    self._shares = _at_least_one(self._active, self._total_updates)
    self._ends = []
    end = 0
    for task, share in self._shares.items():
      end += share
      self._ends.append((end, task))

  @property
  def shares(self) -> Dict[str, int]:
    """Task -> number of consecutive updates, in training order."""
    return dict(self._shares)

  def _tasks(self, update: int) -> List[str]:
    for end, task in self._ends:
      if update < end:
        return [task]
    raise AssertionError('unreachable: shares sum to total_updates')

  def describe(self) -> str:
    parts = ', '.join(f'{t} x{n}' for t, n in self._shares.items())
    return (f'dataset_homogeneous: {self._total_updates} updates, tasks in '
            f'sequence ({parts}); p = {{{self._describe_mix()}}}')


def _at_least_one(probabilities: Mapping[str, float], total: int
                  ) -> Dict[str, int]:
  """Largest-remainder shares, then every task lifted to >= 1 update."""
  shares = largest_remainder(probabilities, total)
  for task in probabilities:
    if shares[task] == 0:
      # Take the unit from the most over-allocated task that can spare one.
      donor = max((t for t in shares if shares[t] > 1),
                  key=lambda t: shares[t] - total * probabilities[t])
      shares[donor] -= 1
      shares[task] = 1
  return shares


class BatchHomogeneousPlan(CompositionPlan):
  """One task per update, drawn independently at each update."""

  kind = 'batch_homogeneous'

  def __init__(self, probabilities, tasks_per_update, total_updates, seed):
    super().__init__(probabilities, tasks_per_update, total_updates, seed)
    self._require_one_task_per_update()

  def _tasks(self, update: int) -> List[str]:
    return [task_sampling.task_for_step(self._active, update, self._seed)]

  def describe(self) -> str:
    return (f'batch_homogeneous: one sampled task per update, seed '
            f'{self._seed}; p = {{{self._describe_mix()}}}')


class BatchHeterogeneousPlan(CompositionPlan):
  """`tasks_per_update` sub-batches per update, stratified or independent."""

  kind = 'batch_heterogeneous'

  def __init__(self, probabilities, tasks_per_update, total_updates, seed,
               stratified: bool = True):
    super().__init__(probabilities, tasks_per_update, total_updates, seed)
    if self._tasks_per_update < 2:
      raise ValueError(
          f'batch_heterogeneous needs tasks_per_update >= 2, got '
          f'{self._tasks_per_update}; for one task per update use '
          "kind='batch_homogeneous'.")
    self._stratified = bool(stratified)
    k = self._tasks_per_update
    exact = {t: _snap(k * p) for t, p in self._active.items()}
    self._floors = {t: math.floor(e) for t, e in exact.items()}
    self._remainders = {t: exact[t] - self._floors[t] for t in exact}
    self._leftover = k - sum(self._floors.values())

  @property
  def stratified(self) -> bool:
    return self._stratified

  def _tasks(self, update: int) -> List[str]:
    k = self._tasks_per_update
    if not self._stratified:
      return [task_sampling.task_for_step(self._active, update * k + slot,
                                          self._seed)
              for slot in range(k)]
    counts = dict(self._floors)
    if self._leftover:
      for task in self._systematic_draw(update):
        counts[task] += 1
    return [t for t, n in counts.items() for _ in range(n)]

  def _systematic_draw(self, update: int) -> List[str]:
    """`leftover` distinct tasks, task t included with prob remainder_t.

    Points u, u + 1, ..., u + R - 1 (R = leftover) over the remainders laid
    end to end on [0, R); a task is drawn when a point falls in its
    interval. Each interval is shorter than 1, so it holds at most one point.
    """
    total = math.fsum(self._remainders.values())
    scale = self._leftover / total    # Removes float drift from sum = R.
    point = cmtl_plan.uniform(self._seed, update)
    drawn, acc = [], 0.0
    tasks = list(self._remainders)
    for index, task in enumerate(tasks):
      acc += self._remainders[task] * scale
      if index == len(tasks) - 1:
        acc = float(self._leftover)
      while point < acc and len(drawn) < self._leftover:
        drawn.append(task)
        point += 1.0
    return drawn

  def describe(self) -> str:
    k = self._tasks_per_update
    if self._stratified:
      fixed = ', '.join(f'{t} x{n}' for t, n in self._floors.items() if n)
      how = (f'stratified (fixed: {fixed or "none"}; {self._leftover} slot(s)'
             ' drawn by remainder)')
    else:
      how = 'independent draws'
    return (f'batch_heterogeneous: {k} sub-batches per update, {how}, seed '
            f'{self._seed}; p = {{{self._describe_mix()}}}')


_PLANS = {cls.kind: cls for cls in (DatasetHomogeneousPlan,
                                    BatchHomogeneousPlan,
                                    BatchHeterogeneousPlan)}


def build_composition(kind: str, probabilities: Mapping[str, float], *,
                      tasks_per_update: int = 1,
                      total_updates: Optional[int] = None, seed: int = 0,
                      stratified: bool = True) -> CompositionPlan:
  """The `CompositionPlan` of `kind` (see the module docstring).

  Args:
    kind: one of `KINDS`.
    probabilities: task name -> sampling weight (>= 0, normalised here);
      the order is the training order of 'dataset_homogeneous'.
    tasks_per_update: sub-batches per update; 1 for the homogeneous kinds,
      >= 2 for 'batch_heterogeneous'.
    total_updates: number of optimiser updates; required by
      'dataset_homogeneous', optional (a range check) for the others.
    seed: seed of the draws (an integer >= 0).
    stratified: 'batch_heterogeneous' only (ignored otherwise): each update
      holds the requested mix (True) or independent draws (False).

  Returns:
    A `CompositionPlan`.
  """
  if kind not in _PLANS:
    raise ValueError(f'unknown batch composition kind {kind!r}; known kinds: '
                     f'{", ".join(KINDS)}.')
  _check_int('tasks_per_update', tasks_per_update, 1)
  if kind == BatchHeterogeneousPlan.kind:
    return BatchHeterogeneousPlan(probabilities, tasks_per_update,
                                  total_updates, seed, stratified=stratified)
  return _PLANS[kind](probabilities, tasks_per_update, total_updates, seed)


def mix_counts(plan: CompositionPlan, updates: range) -> Dict[str, int]:
  """Task -> number of sub-batches over `updates`, every task listed."""
  counts = {t: 0 for t in plan.tasks}
  for update in updates:
    for task in plan.tasks_for_update(update):
      counts[task] += 1
  return counts
