"""`--on_nonfinite=rollback`: back to the last checkpoint, past the bad data.

With `stop` (the default) a non-finite loss stops the job (`nan_guard`:
the newest checkpoint is the last good one). With `rollback` the spine's
controller calls `Rollback` instead, which

  1. restores the newest readable checkpoint, at step c (weights, optimizer
     slots, step; `checkpoint_manager`);
  2. records the data window to skip -- the batches of steps c+1 .. b, b
     the non-finite step -- in `<checkpoint_dir>/skipped_data.json`;
  3. lets training continue from c on the data after the window.

The data position is a function of the step (`train_input`, the
fine-tuning and multi-task streams), so skipping a window is an offset:
the batch step t + 1 reads is the one step `data_step(t) + 1` read before
any rollback, `data_step(t)` = t + the length of every window recorded at
or before t (`DataWindows`). A resumed job loads the file and keeps
skipping. One line per rollback, e.g.

  non-finite loss at step 130: loss=nan, mlm_loss=nan; rolled back to
  .../ckpt-100 (step 100), skipping the data of steps 101-130 (rollback 1
  of at most 3 in this run).

After `max_rollbacks` rollbacks in one run, the next non-finite loss stops
the job (`RollbackLimitError`, exit 1), as it does when there is no
checkpoint to go back to. The learning-rate schedule follows the step, so
the steps after c keep their rates. Weights after a rollback are those of
the checkpoint, bit for bit.
"""
import json
import os
import time
from typing import Callable, List, Optional, Tuple

import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.trainer import checkpointing
from official_ext.trainer import nan_guard

WINDOWS_FILE = 'skipped_data.json'


class RollbackLimitError(nan_guard.NonFiniteLossError):
  """A non-finite loss that no rollback may handle (limit, no checkpoint)."""


class DataWindows:
  """The data windows a job skips (module docstring), in record order.

  Each window: `{'after_step': c, 'steps': b - c, 'bad_step': b,
  'checkpoint': path, 'time': unix seconds}`.
  """

  def __init__(self, windows: Optional[List[dict]] = None):
    self.windows = list(windows or [])

  @classmethod
  def load(cls, directory: str) -> 'DataWindows':
    """The windows recorded in `directory` (none when there is no file)."""
    path = os.path.join(directory, WINDOWS_FILE)
    if not tf.io.gfile.exists(path):
      return cls()
    with tf.io.gfile.GFile(path) as f:
      return cls(json.load(f)['windows'])

  def save(self, directory: str) -> None:
    output_dir_lib.write_json(os.path.join(directory, WINDOWS_FILE),
                              {'windows': self.windows})

  def ranges(self, step: int) -> List[Tuple[int, int]]:
    """`(c, b)` of each window a stream built at `step` has skipped: steps
    c+1 .. b, i.e. 0-based updates c .. b-1."""
    return [(w['after_step'], w['bad_step']) for w in self.windows
            if w['after_step'] <= step]

  def data_step(self, step: int) -> int:
    """The data position (in steps) a stream built at `step` starts at."""
    return step + sum(b - c for c, b in self.ranges(step))

  def crosses(self, built_step: int, step: int) -> bool:
    """Whether a window starts after `built_step`, at or before `step` (a
    stream built at `built_step` must then be rebuilt at `step`)."""
    return any(built_step < w['after_step'] <= step for w in self.windows)

  def add(self, after_step: int, bad_step: int, checkpoint: str) -> dict:
    window = {'after_step': after_step, 'steps': bad_step - after_step,
              'bad_step': bad_step, 'checkpoint': checkpoint,
              'time': round(time.time(), 3)}
    self.windows.append(window)
    return window


class Rollback:
  """Handles a `NonFiniteLossError` by a rollback (module docstring).

  Args:
    trainer: the job's Orbit trainer (`global_step`, `strategy`,
      `data_windows`, `reset_train_state()`).
    manager: the job's `checkpoint_manager.IntervalCheckpointManager`.
    max_rollbacks: rollbacks allowed in this run.
    windows_dir: where `skipped_data.json` is written (None: not written,
      e.g. by a non-chief worker).
    print_fn: where the line goes (default: stdout, flushed).
  """

  def __init__(self, trainer, manager, max_rollbacks: int,
               windows_dir: Optional[str],
               print_fn: Optional[Callable[[str], None]] = None):
    self._trainer, self._manager = trainer, manager
    self._max = max_rollbacks
    self._dir = windows_dir
    self._print = print_fn or (lambda line: print(line, flush=True))
    self.count = 0

  def __call__(self, error: nan_guard.NonFiniteLossError) -> None:
    what = str(error).split('. Training stopped')[0]
    if self.count >= self._max:
      raise RollbackLimitError(
          f'{what}, after {self.count} rollback(s) in this run '
          f'(--max_rollbacks={self._max}): training stopped; the newest '
          'checkpoint is the last good one.', step=error.step) from error
    with self._trainer.strategy.scope():
      path = self._manager.restore_or_initialize()
    if path is None:
      raise RollbackLimitError(
          f'{what}, and there is no checkpoint to roll back to: training '
          'stopped.', step=error.step) from error
    restored = checkpointing.step_of(path)
    bad = error.step or int(self._trainer.global_step.numpy())
    window = self._trainer.data_windows.add(restored, bad, path)
    if self._dir:
      self._trainer.data_windows.save(self._dir)
    self._trainer.reset_train_state()
    self.count += 1
    self._print(f'{what}; rolled back to {path} (step {restored}), skipping '
                f"the data of steps {restored + 1}-{window['bad_step']} "
                f'(rollback {self.count} of at most {self._max} in this '
                'run).')
