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
batches an uninterrupted one would; after an `--on_nonfinite=rollback` the
sub-batches of the skipped window are left out too (`stream_positions`).
Each stream reads its records through `corrupt_records.substitute` (a shard
repaired under `--skip_corrupt_records`).

Per-loop logs (TensorBoard `train/` and the console line): `<task>/loss`
(mean over the loop's sub-batches of that task), `learning_rate` and
`examples_per_second`.
"""

import time
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
import orbit
import tensorflow as tf

from official_ext.multitask import multitask_step
from official_ext.trainer import corrupt_records
from official_ext.trainer import nan_guard
from official_ext.trainer import nonfinite_rollback
from official_ext.trainer import optimizer_builder


def consumed_sub_batches(plan, names: Sequence[str], step: int,
                         start: int = 0) -> Dict[str, int]:
  """`{task: sub-batches of it in updates start .. step-1}` of `plan`."""
  counts = {t: 0 for t in names}
  for update in range(start, step):
    for task in plan.tasks_for_update(update):
      counts[task] += 1
  return counts


def stream_positions(plan, names: Sequence[str], step: int,
                     windows: nonfinite_rollback.DataWindows
                     ) -> Dict[str, int]:
  """`{task: sub-batches its stream skips}` when built at update `step`:
  those of updates 0 .. step-1, plus those of each data window a rollback
  skipped (the plan keeps following the update; only the data moves on)."""
  counts = consumed_sub_batches(plan, names, step)
  for after, bad in windows.ranges(step):
    for task, n in consumed_sub_batches(plan, names, bad, after).items():
      counts[task] += n
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
    repair_dir: where repaired record files are listed (the checkpoint
      dir; `corrupt_records`), or None.
  """

  def __init__(self, step: multitask_step.MultiTaskStep, plan,
               prepared: Sequence, batch_size: int, seed: int,
               global_step: tf.Variable, checkpoint: tf.train.Checkpoint,
               strategy: tf.distribute.Strategy,
               repair_dir: Optional[str] = None):
    self._step, self._plan, self._prepared = step, plan, list(prepared)
    self._batch_size, self._seed = batch_size, seed
    self.global_batch_size = batch_size  # per sub-batch (spine's check)
    self.global_step, self.checkpoint = global_step, checkpoint
    self.strategy = strategy
    self._names = [p.spec.name for p in self._prepared]
    self._iterators = None
    self._built_at = None
    self._repair_dir = repair_dir
    self.data_windows = nonfinite_rollback.DataWindows()
    self.sub_batches_trained = {t: 0 for t in self._names}

  @property
  def record_files(self) -> List[str]:
    """The training record file of every task."""
    return [p.record_path('train') for p in self._prepared]

  def reset_train_state(self) -> None:
    """Forgets the streams and a half-accumulated update (the spine calls
    it after a rollback or a corrupt-record repair)."""
    self._iterators = None
    self._step.reset()

  def _streams(self):
    """Each task's distributed stream, at the restored update."""
    step = int(self.global_step.numpy())
    if self._built_at is not None and self.data_windows.crosses(
        self._built_at, step):
      self._iterators = None  # A skipped window starts here.
    if self._iterators is None:
      skip = stream_positions(self._plan, self._names, step,
                              self.data_windows)
      paths = (corrupt_records.substitute(self._repair_dir, self.record_files)
               if self._repair_dir else [None] * len(self._prepared))
      self._iterators = {
          p.spec.name: iter(self.strategy.experimental_distribute_dataset(
              p.dataset('train', self._batch_size, is_training=True,
                        seed=self._seed, skip_batches=skip[p.spec.name],
                        record_path=path)))
          for p, path in zip(self._prepared, paths)}
      self._built_at = step
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
            'good one. Lower the learning rate, check the data, or rerun '
            'with --on_nonfinite=rollback.', step=update + 1)
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
