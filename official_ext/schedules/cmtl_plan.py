"""CMTL stage arithmetic (olfmlm paper, appendix A), in pure Python.

N tasks, total budget T (steps or tokens). The chunk is C = T / (N (N + 1)).
In stage i (1-based) the task introduced in that stage gets (i + 1) C, each
earlier task C, each later task 0. Stage i therefore lasts 2 i C, the
stages add up to T and every task gets T / N over the whole run.

Rounding. `exact_stage_budgets` keeps exact `Fraction`s. `stage_budgets`
returns integers (a step or a token is indivisible) by cumulative rounding
over the table read stage by stage, task by task:
  budget_k = floor(S_k) - floor(S_{k-1}),  S_k = exact sum of entries 0..k.
So every entry is the floor or the ceiling of its exact value, exact
integers stay untouched, zeros stay zero, and the whole table sums to T
exactly (each stage to within 1 of 2 i C). With T >= N (N + 1) (C >= 1)
every non-zero entry is at least 1; smaller totals are refused.

Picking. Within a stage each step trains ONE task, drawn with probability
proportional to its remaining stage budget: with u = uniform(seed, step) in
[0, 1), r = min(floor(u * R), R - 1) with R the sum of the remaining
budgets, and the pick is the first task whose cumulative remaining budget
exceeds r. `uniform` is a counter-based hash (SplitMix64 applied twice, top
53 bits), not tf.random: TF's stateless Philox gives other numbers under
XLA for a non-constant seed, while integer arithmetic is the same in Python,
TF graphs and XLA. So `simulate` reproduces `continual.CmtlSchedule`'s picks
exactly, and a resumed run makes the same picks.
"""

import fractions
import math
from typing import Iterable, List, Optional, Sequence, Tuple

Fraction = fractions.Fraction


def _check(num_tasks: int, total) -> int:
  if isinstance(num_tasks, bool) or not isinstance(num_tasks, int) or (
      num_tasks < 1):
    raise ValueError(f'CMTL needs num_tasks >= 1 (an int), got {num_tasks!r}.')
  if isinstance(total, float) and total.is_integer():
    total = int(total)
  if isinstance(total, bool) or not isinstance(total, int):
    raise ValueError(f'total_budget={total!r} must be a whole number of '
                     'steps or tokens.')
  need = num_tasks * (num_tasks + 1)
  if total < need:
    raise ValueError(
        f'total_budget={total} is too small for CMTL over {num_tasks} tasks '
        f'({num_tasks} stages): the chunk C = T / (N (N + 1)) must be >= 1, '
        f'so total_budget must be >= {need}.')
  return total


def chunk_size(num_tasks: int, total) -> Fraction:
  """C = T / (N (N + 1)), exact."""
  total = _check(num_tasks, total)
  return Fraction(total, num_tasks * (num_tasks + 1))


def exact_stage_budgets(num_tasks: int, total
                        ) -> Tuple[Tuple[Fraction, ...], ...]:
  """`[stage][task]` budgets as exact fractions (stages and tasks 0-based)."""
  c = chunk_size(num_tasks, total)
  return tuple(
      tuple((i + 2) * c if j == i else (c if j < i else Fraction(0))
            for j in range(num_tasks))
      for i in range(num_tasks))


def stage_budgets(num_tasks: int, total) -> Tuple[Tuple[int, ...], ...]:
  """`[stage][task]` integer budgets, summing to `total` (module docstring).

  >>> stage_budgets(4, 200_000)[1]
  (10000, 30000, 0, 0)
  """
  exact = exact_stage_budgets(num_tasks, total)
  table, running, floor_before = [], Fraction(0), 0
  for row in exact:
    out = []
    for value in row:
      running += value
      floor_now = math.floor(running)
      out.append(floor_now - floor_before)
      floor_before = floor_now
    table.append(tuple(out))
  return tuple(table)


def stage_ends(budgets: Sequence[Sequence[int]]) -> Tuple[int, ...]:
  """Cumulative units at which each stage ends (in steps: the step count)."""
  ends, acc = [], 0
  for row in budgets:
    acc += sum(row)
    ends.append(acc)
  return tuple(ends)


_MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def splitmix64(x: int) -> int:
  """SplitMix64 finaliser of x + golden ratio, on 64-bit unsigned ints."""
  z = (x + GOLDEN) & _MASK64
  z = ((z ^ (z >> 30)) * MIX1) & _MASK64
  z = ((z ^ (z >> 27)) * MIX2) & _MASK64
  return z ^ (z >> 31)


def uniform(seed: int, step: int) -> float:
  """The draw of `step` for `seed`: a float in [0, 1) with 53 random bits."""
  z = splitmix64(splitmix64(seed & _MASK64) ^ (step & _MASK64))
  return (z >> 11) * 2.0**-53


def pick(remaining: Sequence[int], u: float) -> int:
  """Index drawn proportionally to `remaining`, given u in [0, 1)."""
  total = sum(remaining)
  if total <= 0:
    raise ValueError(f'nothing left to pick from: remaining={remaining!r}')
  r = min(math.floor(float(u) * float(total)), total - 1)
  acc = 0
  for index, value in enumerate(remaining):
    acc += value
    if acc > r:
      return index
  raise AssertionError('unreachable')


def simulate(budgets: Sequence[Sequence[int]], units: Iterable[int],
             seed: int = 0, start_step: int = 0
             ) -> List[Tuple[int, Optional[int]]]:
  """(stage, picked task) of each step; stage N means all tasks, pick None.

  Args:
    budgets: a `stage_budgets(...)` table.
    units: units consumed by each step (1s for steps, token counts).
    seed: the schedule's seed; step i draws uniform(seed, start_step + i).
    start_step: step of the first element of `units` (from a fresh state).
  """
  n = len(budgets)
  stage, remaining, out = 0, list(budgets[0]), []
  for i, used in enumerate(units):
    if stage >= n:
      out.append((stage, None))
      continue
    task = pick(remaining, uniform(seed, start_step + i))
    out.append((stage, task))
    remaining[task] = max(remaining[task] - int(used), 0)
    if not any(remaining):
      stage += 1
      remaining = list(budgets[stage]) if stage < n else [0] * n
  return out


def format_amount(value: int) -> str:
  """Short form: 20000 -> '20k', 1666666666 -> '1.67B'."""
  for scale, suffix in ((10**9, 'B'), (10**6, 'M'), (10**3, 'k')):
    if abs(value) >= scale:
      text = f'{value / scale:.2f}'.rstrip('0').rstrip('.')
      return text + suffix
  return str(value)


def format_table(budgets: Sequence[Sequence[int]],
                 names: Optional[Sequence[str]] = None) -> str:
  """'stage 1 [a:20k] | stage 2 [a:10k b:30k] | ...' (zeros left out)."""
  names = names or [str(j) for j in range(len(budgets))]
  stages = []
  for i, row in enumerate(budgets):
    parts = ' '.join(f'{names[j]}:{format_amount(v)}'
                     for j, v in enumerate(row) if v)
    stages.append(f'stage {i + 1} [{parts}]')
  return ' | '.join(stages)
