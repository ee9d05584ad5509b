"""A multi-task training stage as an Orbit trainer, run on the spine.

    program = MultiTaskProgram(step, plan, prepared, batch_size, seed,
                               global_step, checkpoint)
    controller = spine.make_controller(program, ...)   # restores, logs
    controller.train(steps=next_eval)

Each Orbit step is one `MultiTaskStep` update: the sub-batches of the tasks
`plan.tasks_for_update(step)` picks (heterogeneous, homogeneous, or
dataset-homogeneous composition), each accumulated, then one `apply`. The
checkpoint, the exact resume, the progress line and TensorBoard belong to
the spine (`trainer/spine.py`), as for pretraining and fine-tuning.

Why not `TaskTrainer` (a Model Garden `Task`'s `train_step` in a
`tf.while_loop`): an update here is a Python-level choice of tasks (one
`tf.function` per task, one per set of updated heads, `multitask_step`),
over one input stream per task, so the inner loop runs eagerly over those
compiled pieces.

Exact data resume: task `t`'s stream is its seeded, repeated, shuffled
training set, skipped by the number of `t` sub-batches the plan drew before
the restored step (`consumed_sub_batches`), so a resumed stage sees the
batches an uninterrupted one would.

Per-loop logs (TensorBoard `train/` and the console line): `<task>/loss`
(mean over the loop's sub-batches of that task), `learning_rate` and
`examples_per_second`.
"""

import time
from typing import Dict, List, Mapping, Sequence

import numpy as np
import orbit
import tensorflow as tf

from official_ext.multitask import multitask_step
from official_ext.trainer import nan_guard
from official_ext.trainer import optimizer_builder


def consumed_sub_batches(plan, names: Sequence[str], step: int
                         ) -> Dict[str, int]:
  """`{task: sub-batches of it in updates 0 .. step-1}` of `plan`."""
  counts = {t: 0 for t in names}
  for update in range(step):
    for task in plan.tasks_for_update(update):
      counts[task] += 1
  return counts


class MultiTaskProgram(orbit.AbstractTrainer):
  """Orbit trainer whose step is one multi-task update.

  Args:
    step: the `MultiTaskStep` (model, optimizer, loss scales, R3F).
    plan: the batch-composition plan (`batch_composition`).
    prepared: the tasks' `supervised_data` preparations.
    batch_size: examples per sub-batch (global).
    seed: shuffle seed of every task's stream.
    global_step: the update counter (int64 variable, checkpointed).
    checkpoint: what the spine saves and restores (model, optimizer, the
      counter).
    strategy: the distribution strategy.
  """

  def __init__(self, step: multitask_step.MultiTaskStep, plan,
               prepared: Sequence, batch_size: int, seed: int,
               global_step: tf.Variable, checkpoint: tf.train.Checkpoint,
               strategy: tf.distribute.Strategy):
    self._step, self._plan, self._prepared = step, plan, list(prepared)
    self._batch_size, self._seed = batch_size, seed
    self.global_batch_size = batch_size  # per sub-batch (spine's check)
    self.global_step, self.checkpoint = global_step, checkpoint
    self.strategy = strategy
    self._names = [p.spec.name for p in self._prepared]
    self._iterators = None
    self.sub_batches_trained = {t: 0 for t in self._names}

  def _streams(self):
    """Each task's distributed stream, at the restored update."""
    if self._iterators is None:
      skip = consumed_sub_batches(self._plan, self._names,
                                  int(self.global_step.numpy()))
      self._iterators = {
          p.spec.name: iter(self.strategy.experimental_distribute_dataset(
              p.dataset('train', self._batch_size, is_training=True,
                        seed=self._seed, skip_batches=skip[p.spec.name])))
          for p in self._prepared}
    return self._iterators

  def train_step(self) -> Dict[str, float]:
    """One update; returns `{task: its sub-batches' losses}` (floats)."""
    update = int(self.global_step.numpy())
    streams = self._streams()
    losses: Dict[str, List[float]] = {}
    for task in self._plan.tasks_for_update(update):
      loss = float(self._step.accumulate(task, next(streams[task]))['loss'])
      if not np.isfinite(loss):
        raise nan_guard.NonFiniteLossError(
            f'non-finite loss at step {update + 1}: task {task!r} loss '
            f'{loss}. Training stopped; the newest checkpoint is the last '
            'good one. Lower the learning rate or check the data.')
      losses.setdefault(task, []).append(loss)
      self.sub_batches_trained[task] += 1
    self._step.apply()
    self.global_step.assign_add(1)
    return losses

  def train(self, num_steps) -> Mapping[str, float]:
    """Runs `num_steps` updates; returns the loop's logs."""
    start, window = time.time(), {t: [] for t in self._names}
    steps = int(num_steps)
    for _ in range(steps):
      for task, values in self.train_step().items():
        window[task].extend(values)
    logs = {f'{t}/loss': float(np.mean(v)) for t, v in window.items() if v}
    logs['learning_rate'] = float(optimizer_builder.current_learning_rate(
        self._step.optimizer))
    examples = steps * self._step.sub_batches_per_update * self._batch_size
    logs['examples_per_second'] = examples / max(time.time() - start, 1e-9)
    return logs
