"""jiant's validation logic: best metric, lr halving on plateau, early stop.

Every validation check calls `EarlyStopping.update(step, mean_metric, lr)`:

- The check improves when the metric beats the best so far (strictly:
  greater in mode 'max', smaller in mode 'min'); the first finite metric
  always improves. A non-finite metric never improves.
- After `lr_patience` checks in a row without improvement the lr is
  multiplied by `lr_decay` (jiant: halved after 4) and that counter restarts.
- Training stops after `patience` checks in a row without improvement
  (jiant: 20) or when the lr falls below `min_lr` (jiant: 1e-6).

`current_lr` is the lr the plateau rule controls (the caller applies the
returned `new_lr`). `state_dict()` / `from_state_dict()` round-trip through
JSON so a restarted run continues the same counters.

`mean_metric(task_metrics, falling)` is the number early stopping watches:
the mean over tasks, where a metric that falls from a large start
(perplexity) enters as 1 - metric / 250 (jiant). Other metrics are averaged
as given (do not mix percent and fractions).
"""

import dataclasses
import math
import numbers
from typing import Any, Dict, Mapping, Optional, Sequence

MODES = ('max', 'min')

# jiant's scale for a falling metric: 1 - metric / 250.
FALLING_METRIC_SCALE = 250.0


@dataclasses.dataclass(frozen=True)
class Decision:
  """Outcome of one validation check.

  Attributes:
    improved: the metric beat the best so far.
    best: the best metric so far (NaN before any finite metric).
    best_step: the step of `best` (-1 before any finite metric).
    new_lr: the lr to use from now on.
    stop: training should stop.
    reason: a short human-readable explanation for logs.
  """
  improved: bool
  best: float
  best_step: int
  new_lr: float
  stop: bool
  reason: str


def _check_number(name: str, value, minimum: Optional[float] = None,
                  strict: bool = False) -> float:
  if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
      not math.isfinite(value)):
    raise ValueError(f'{name} must be a finite number, got {value!r}.')
  if minimum is not None and (value <= minimum if strict else
                              value < minimum):
    raise ValueError(f'{name} must be {">" if strict else ">="} {minimum}, '
                     f'got {value!r}.')
  return float(value)


def _check_count(name: str, value) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
      value < 1):
    raise ValueError(f'{name} must be an integer >= 1 (checks), got '
                     f'{value!r}.')
  return int(value)


class EarlyStopping:
  """Plateau lr decay and early stopping over validation checks."""

  def __init__(self, patience: int = 20, lr_patience: int = 4,
               lr_decay: float = 0.5, min_lr: float = 1e-6,
               mode: str = 'max'):
    self.patience = _check_count('patience', patience)
    self.lr_patience = _check_count('lr_patience', lr_patience)
    self.lr_decay = _check_number('lr_decay', lr_decay, 0.0, strict=True)
    if self.lr_decay > 1:
      raise ValueError(f'lr_decay must be in (0, 1] (the lr is multiplied by '
                       f'it), got {lr_decay!r}.')
    self.min_lr = _check_number('min_lr', min_lr, 0.0)
    if mode not in MODES:
      raise ValueError(f'unknown mode {mode!r}; known modes: '
                       f'{", ".join(MODES)} (max: higher metric is better).')
    self.mode = mode
    self.best: Optional[float] = None
    self.best_step = -1
    self.bad_checks = 0       # Checks in a row without improvement.
    self.lr_bad_checks = 0    # The same, since the last lr decay.
    self.num_checks = 0
    self.stopped = False

  def _better(self, metric: float) -> bool:
    if not math.isfinite(metric):
      return False
    if self.best is None:
      return True
    return metric > self.best if self.mode == 'max' else metric < self.best

  def update(self, step: int, mean_metric: float,
             current_lr: float) -> Decision:
    """Records one validation check and decides the lr and whether to stop.

    Args:
      step: the training step of the check.
      mean_metric: the watched metric (e.g. `mean_metric(...)`); NaN or inf
        counts as no improvement.
      current_lr: the lr in use (> 0).

    Returns:
      A `Decision`.
    """
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
      raise ValueError(f'step must be an integer, got {step!r}.')
    if isinstance(mean_metric, bool) or not isinstance(mean_metric,
                                                       numbers.Real):
      raise ValueError(f'mean_metric must be a number, got {mean_metric!r}.')
    lr = _check_number('current_lr', current_lr, 0.0, strict=True)
    metric = float(mean_metric)
    self.num_checks += 1
    improved = self._better(metric)
    if improved:
      self.best, self.best_step = metric, int(step)
      self.bad_checks = self.lr_bad_checks = 0
      reason = f'improved to {metric:.6g} at step {step}'
    else:
      self.bad_checks += 1
      self.lr_bad_checks += 1
      reason = (f'no improvement on {self._best_text()} for '
                f'{self.bad_checks}/{self.patience} checks')
      if not math.isfinite(metric):
        reason = f'metric is {metric}; ' + reason
      if self.lr_bad_checks >= self.lr_patience:
        lr *= self.lr_decay
        self.lr_bad_checks = 0
        reason += f'; lr decayed to {lr:.3g}'
    if self.bad_checks >= self.patience:
      self.stopped = True
      reason += f'; stop: {self.patience} checks without improvement'
    elif lr < self.min_lr:
      self.stopped = True
      reason += f'; stop: lr {lr:.3g} < min_lr {self.min_lr:.3g}'
    return Decision(improved=improved,
                    best=math.nan if self.best is None else self.best,
                    best_step=self.best_step, new_lr=lr, stop=self.stopped,
                    reason=reason)

  def _best_text(self) -> str:
    if self.best is None:
      return 'no best yet'
    return f'best {self.best:.6g} (step {self.best_step})'

  def state_dict(self) -> Dict[str, Any]:
    """Settings and counters, JSON-serialisable."""
    return {
        'patience': self.patience, 'lr_patience': self.lr_patience,
        'lr_decay': self.lr_decay, 'min_lr': self.min_lr, 'mode': self.mode,
        'best': self.best, 'best_step': self.best_step,
        'bad_checks': self.bad_checks, 'lr_bad_checks': self.lr_bad_checks,
        'num_checks': self.num_checks, 'stopped': self.stopped,
    }

  @classmethod
  def from_state_dict(cls, state: Mapping[str, Any]) -> 'EarlyStopping':
    """Rebuilds an `EarlyStopping` saved with `state_dict()`."""
    settings = ('patience', 'lr_patience', 'lr_decay', 'min_lr', 'mode')
    counters = ('best', 'best_step', 'bad_checks', 'lr_bad_checks',
                'num_checks', 'stopped')
    missing = [k for k in settings + counters if k not in state]
    if missing:
      raise ValueError(f'early stopping state is missing {missing!r}; was it '
                       'written by EarlyStopping.state_dict()?')
    out = cls(**{k: state[k] for k in settings})
    out.best = None if state['best'] is None else float(state['best'])
    out.best_step = int(state['best_step'])
    out.bad_checks = int(state['bad_checks'])
    out.lr_bad_checks = int(state['lr_bad_checks'])
    out.num_checks = int(state['num_checks'])
    out.stopped = bool(state['stopped'])
    return out


def mean_metric(task_metrics: Mapping[str, float],
                falling: Sequence[str] = ()) -> float:
  """Mean of the tasks' validation metrics, jiant style.

  Args:
    task_metrics: task name -> its validation metric.
    falling: tasks whose metric falls from a large start (perplexity); each
      enters the mean as 1 - metric / 250.

  Returns:
    The mean as a float.
  """
  if not task_metrics:
    raise ValueError('mean_metric: no task metrics given (an empty mapping).')
  unknown = [t for t in falling if t not in task_metrics]
  if unknown:
    raise ValueError(f'falling metric task(s) {unknown!r} have no metric; '
                     f'tasks with metrics: {list(task_metrics)!r}.')
  values = []
  for task, value in task_metrics.items():
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
        not math.isfinite(value)):
      raise ValueError(f'task {task!r}: metric must be a finite number, got '
                       f'{value!r}.')
    value = float(value)
    if task in falling:
      value = 1.0 - value / FALLING_METRIC_SCALE
    values.append(value)
  return math.fsum(values) / len(values)
