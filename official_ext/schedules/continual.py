"""CMTL and CMTL+ (ERNIE 2.0 continual multi-task learning, olfmlm paper
appendix A; olfmlm pretrain_bert.py get_stage_info / get_mode_from_stage).

N staged tasks, N stages, budgets from `cmtl_plan.stage_budgets` (integers,
summing to total_budget). Each step of a stage trains ONE staged task, drawn
with probability proportional to its remaining stage budget; the step's
units (1 step, or the batch's tokens) are subtracted from it, floored at 0.
A stage ends when every remaining budget is 0 (at that step's end); then
the next stage's budgets are loaded. After the last stage every staged task
is on every step (after_last_stage='all'; 'uniform' instead trains one
staged task per step drawn uniformly, close to what olfmlm's code does).

  cmtl   the staged tasks are all `tasks` (in order; the base task, usually
         first, is one of them, so stage 1 is base-task only).
  cmtl+  the staged tasks are the auxiliary tasks; the base task is on every
         step and consumes no budget.

The draw is stateless: u = cmtl_plan.uniform(seed, step), a counter-based
hash computed here with uint64 TF ops (same bits eagerly, in graphs and under
XLA), so a resumed run (state restored from the checkpoint) makes the same
picks and `cmtl_plan.simulate` reproduces them in pure Python.
"""

from typing import Dict, Optional, Sequence

import tensorflow as tf

from official_ext.schedules import cmtl_plan
from official_ext.schedules import combination

AFTER_LAST_STAGE = ('all', 'uniform')


def _u64(value):
  return tf.constant(value, tf.uint64)


def _splitmix64(x):
  """cmtl_plan.splitmix64 on a uint64 tensor (wrapping arithmetic)."""
  z = x + _u64(cmtl_plan.GOLDEN)
  z = (z ^ tf.bitwise.right_shift(z, _u64(30))) * _u64(cmtl_plan.MIX1)
  z = (z ^ tf.bitwise.right_shift(z, _u64(27))) * _u64(cmtl_plan.MIX2)
  return z ^ tf.bitwise.right_shift(z, _u64(31))


class CmtlSchedule(combination.Schedule):
  """cmtl: continual multi-task learning over all tasks.

  Args:
    tasks, base_task, sentence_tasks, unit: as `combination.Schedule`.
    total_budget: T, steps or tokens of all stages together; must be at
      least N (N + 1) for N staged tasks.
    seed: int seed of the per-step draws.
    after_last_stage: 'all' (every staged task on) or 'uniform'.
  """

  method = 'cmtl'
  plus = False
  needs_base_task = False

  def __init__(self, tasks: Sequence[str], total_budget: int,
               base_task: Optional[str] = 'mlm',
               sentence_tasks: combination.SentenceTasks = (),
               unit: str = 'steps', seed: int = 0,
               after_last_stage: str = 'all', name: Optional[str] = None):
    super().__init__(tasks, base_task, sentence_tasks, unit, name)
    staged = self.aux_tasks if self.plus else self.tasks
    if not staged:
      raise ValueError(f'{self.method}: tasks={list(self.tasks)} has no task '
                       f'besides base_task={base_task!r}; add auxiliary '
                       'tasks.')
    if after_last_stage not in AFTER_LAST_STAGE:
      raise ValueError(f'{self.method}: after_last_stage={after_last_stage!r}'
                       f'; choose one of {AFTER_LAST_STAGE}.')
    if (isinstance(seed, bool) or not isinstance(seed, int)
        or not 0 <= seed < 2**63):
      raise ValueError(f'{self.method}: seed={seed!r} must be an int in '
                       '[0, 2**63).')
    try:
      budgets = cmtl_plan.stage_budgets(len(staged), total_budget)
    except ValueError as e:
      raise ValueError(f'{self.method} (unit={unit}): {e}') from None
    self._staged, self._budgets = staged, budgets
    self._total_budget = sum(map(sum, budgets))
    self._seed, self._after_last_stage = seed, after_last_stage
    self.stage = tf.Variable(
        0, dtype=tf.int64, trainable=False, name='stage',
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    self.remaining = tf.Variable(
        budgets[0], dtype=tf.int64, trainable=False, name='remaining',
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

  @property
  def staged_tasks(self):
    return self._staged

  @property
  def budgets(self):
    """`[stage][staged task]` integer budgets (cmtl_plan.stage_budgets)."""
    return self._budgets

  def get_config(self) -> Dict:
    return dict(super().get_config(), total_budget=self._total_budget,
                seed=self._seed, after_last_stage=self._after_last_stage)

  def state(self):
    return dict(super().state(), stage=self.stage.read_value(),
                remaining=self.remaining.read_value())

  def uniform(self, step) -> tf.Tensor:
    """The step's draw u in [0, 1): float64, == cmtl_plan.uniform."""
    mixed = _splitmix64(tf.constant(cmtl_plan.splitmix64(self._seed),
                                    tf.uint64) ^ tf.cast(step, tf.uint64))
    return tf.cast(tf.bitwise.right_shift(mixed, _u64(11)),
                   tf.float64) * 2.0**-53

  def _weights(self, step, units):
    n = len(self._staged)
    stage = self.stage.read_value()
    remaining = self.remaining.read_value()
    u = self.uniform(step)
    total = tf.reduce_sum(remaining)
    in_stages = stage < n
    # Inverse CDF on integers: first task whose cumulative budget exceeds r.
    r = tf.minimum(tf.cast(tf.floor(u * tf.cast(total, tf.float64)),
                           tf.int64), total - 1)
    pick = tf.argmax(tf.cast(tf.cumsum(remaining) > r, tf.int32),
                     output_type=tf.int64)
    left = tf.maximum(
        remaining - tf.one_hot(pick, n, dtype=tf.int64) * units, 0)
    done = tf.reduce_all(tf.equal(left, 0))
    next_stage = stage + tf.cast(done, tf.int64)
    table = tf.constant(list(self._budgets) + [[0] * n], tf.int64)
    left = tf.where(done, tf.gather(table, tf.minimum(next_stage, n)), left)
    self.stage.assign(tf.where(in_stages, next_stage, stage))
    self.remaining.assign(tf.where(in_stages, left, remaining))

    if self._after_last_stage == 'all':
      after = tf.ones([n], tf.float32)
    else:
      after = tf.one_hot(tf.minimum(tf.cast(tf.floor(u * n), tf.int64),
                                    n - 1), n, dtype=tf.float32)
    staged = tf.where(in_stages, tf.one_hot(pick, n, dtype=tf.float32),
                      after)
    # Back to task order; the base task (cmtl+) reads the appended 1.
    position = [self._staged.index(t) if t in self._staged else n
                for t in self.tasks]
    return tf.gather(tf.concat([staged, [1.0]], 0), position)

  def describe(self) -> str:
    c = cmtl_plan.chunk_size(len(self._staged), self._total_budget)
    head = (f'{self.method}: {self._base_task} every step; CMTL over '
            if self.plus else f'{self.method}: CMTL over ')
    after = ('all staged tasks every step' if self._after_last_stage == 'all'
             else 'one staged task per step, uniform')
    return (f'{head}[{", ".join(self._staged)}] in {len(self._staged)} '
            f'stages, {self._total_budget} {self._unit} '
            f'(C={float(c):.6g}): '
            f'{cmtl_plan.format_table(self._budgets, self._staged)}; then '
            f'{after}; seed {self._seed}')


class CmtlPlusSchedule(CmtlSchedule):
  """cmtl+: CMTL over the auxiliary tasks, the base task on every step."""

  method = 'cmtl+'
  plus = True
  needs_base_task = True
