"""One budget for every arm of a comparison: equal steps, FLOPs or wall clock.

An arm's cost model is a `flops.PretrainShape` (`arm_shape` builds one from
an objective and a size preset of `official_ext/modeling/models/
size_presets.py`). `plan` turns a `Budget` into each arm's training steps:

  steps       every arm trains `value` steps.
  flops       `value` training FLOPs each (`flops_budget` sets it to a
              reference arm's cost at a step count, the TEAMS paper's "equal
              compute"): steps = floor(value / FLOPs per step), so an arm
              with cheaper steps trains longer.
  wall_clock  `value` seconds each: steps = floor(value / seconds per step)
              where a measured step time is given; otherwise the arm's steps
              are open and the trainer stops at `max_seconds`.

A budget that does not buy some arm a single step is a `BudgetError` naming
the arm, before any training.
"""
import dataclasses
import math
from typing import Dict, Mapping, Optional

from official_ext.compare import flops

BUDGET_KINDS = ('steps', 'flops', 'wall_clock')
_UNITS = {'steps': 'steps', 'flops': 'FLOPs', 'wall_clock': 's'}


class BudgetError(ValueError):
  """A budget that is malformed or that some arm cannot meet."""


@dataclasses.dataclass(frozen=True)
class Budget:
  """kind: one of BUDGET_KINDS; value: steps, training FLOPs or seconds."""
  kind: str
  value: float

  def __post_init__(self):
    if self.kind not in BUDGET_KINDS:
      raise BudgetError(f'unknown budget kind {self.kind!r}; choose one of '
                        f'{list(BUDGET_KINDS)}')
    if not self.value > 0:
      raise BudgetError(f'budget {self.kind} must be > 0, got {self.value}')
    if self.kind == 'steps' and self.value != int(self.value):
      raise BudgetError(f'budget steps must be a whole number, got '
                        f'{self.value}')

  def describe(self) -> str:
    return f'{self.kind} = {self.value:g} {_UNITS[self.kind]}'


@dataclasses.dataclass(frozen=True)
class ArmBudget:
  """One arm's share: steps (None: open, stop at max_seconds)."""
  name: str
  steps: Optional[int]
  flops_per_step: int
  max_seconds: Optional[float] = None

  @property
  def flops(self) -> Optional[int]:
    """Training FLOPs the planned steps cost (None when steps are open)."""
    return None if self.steps is None else self.steps * self.flops_per_step


def arm_shape(name: str, objective: str, size: str, vocab: int, seq: int,
              batch: int, predictions: int) -> flops.PretrainShape:
  """The FLOPs shape of `objective` ('mlm', 'electra', 'teams') at a size
  preset, generators as in size_presets (TEAMS: half the layers at full
  width; ELECTRA: full depth, narrow)."""
  # Lazy: size_presets imports Model Garden's configs (TensorFlow).
  from official_ext.modeling.models import size_presets  # pylint: disable=g-import-not-at-top
  if size not in size_presets.DISCRIMINATOR_SIZES:
    raise BudgetError(f'arm {name!r}: unknown size {size!r}; choose one of '
                      f'{sorted(size_presets.DISCRIMINATOR_SIZES)}')
  layers, hidden, embedding, heads, ffn = size_presets.DISCRIMINATOR_SIZES[
      size]
  common = dict(name=name, num_layers=layers, hidden=hidden,
                embedding=embedding, heads=heads, ffn=ffn, vocab=vocab,
                seq=seq, batch=batch, predictions=predictions,
                objective=objective)
  if objective == 'mlm':
    return flops.PretrainShape(generator_layers=0, rtd_task_layers=0,
                               **common)
  if objective == 'electra':
    g_hidden, _, g_ffn = size_presets.ELECTRA_GENERATOR_WIDTH[size]
    return flops.PretrainShape(generator_layers=layers, rtd_task_layers=0,
                               generator_hidden=g_hidden,
                               generator_ffn=g_ffn, **common)
  if objective == 'teams':
    return flops.PretrainShape(generator_layers=max(1, layers // 2),
                               rtd_task_layers=1, **common)
  raise BudgetError(f'arm {name!r}: unknown objective {objective!r}; choose '
                    f'one of {list(flops.OBJECTIVES)}')


def flops_budget(shapes: Mapping[str, flops.PretrainShape], reference: str,
                 steps: int) -> Budget:
  """Equal compute: the training FLOPs of arm `reference` at `steps`."""
  if reference not in shapes:
    raise BudgetError(f'reference arm {reference!r} is not one of '
                      f'{sorted(shapes)}')
  return Budget('flops', steps * flops.train_flops_per_step(
      shapes[reference]))


def plan(shapes: Mapping[str, flops.PretrainShape], budget: Budget,
         seconds_per_step: Optional[Mapping[str, float]] = None
         ) -> Dict[str, ArmBudget]:
  """Arm name -> its `ArmBudget` under `budget` (see module docstring).

  Args:
    shapes: arm name -> FLOPs shape, in the comparison's order.
    budget: the shared budget.
    seconds_per_step: measured step times (wall_clock only), by arm name.

  Raises:
    BudgetError: no arms, or the budget buys some arm less than one step.
  """
  if not shapes:
    raise BudgetError('no arms to budget')
  seconds_per_step = seconds_per_step or {}
  planned = {}
  for name, shape in shapes.items():
    cost = flops.train_flops_per_step(shape)
    max_seconds = None
    if budget.kind == 'steps':
      steps = int(budget.value)
    elif budget.kind == 'flops':
      steps = math.floor(budget.value / cost)
      if steps < 1:
        raise BudgetError(f'arm {name!r}: budget {budget.describe()} is '
                          f'less than one of its steps ({cost:.3g} FLOPs)')
    else:
      max_seconds = float(budget.value)
      steps = None
      if name in seconds_per_step:
        steps = math.floor(budget.value / seconds_per_step[name])
        if steps < 1:
          raise BudgetError(
              f'arm {name!r}: budget {budget.describe()} is less than one '
              f'of its steps ({seconds_per_step[name]:g} s)')
    planned[name] = ArmBudget(name=name, steps=steps, flops_per_step=cost,
                              max_seconds=max_seconds)
  return planned
