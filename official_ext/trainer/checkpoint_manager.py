"""The checkpoint manager of every job on the spine.

`IntervalCheckpointManager` is a `tf.train.CheckpointManager` that
  * saves at steps that are multiples of `checkpoint_interval` (the stock
    manager counts the interval from its first save, wherever that fell),
    and whenever asked without `check_interval` (end of training,
    preemption); a save at the step last saved or restored is skipped. The
    decision depends on the step only, so every worker of a multi-worker
    job decides alike, whatever its directory holds (a non-chief worker
    writes to an empty temporary dir: `worker_dirs`);
  * restores (when Orbit's controller is built, and on a rollback) the
    newest complete checkpoint that reads in full, falling back past
    unreadable ones with a line each (`checkpoint_fallback`), not just the
    one the `checkpoint` state file names;
  * turns a failed save into one line and a stop, the previous checkpoint
    kept, after retrying transient storage errors (`checkpoint_save`).
"""

import time
from typing import Callable, Optional

import tensorflow as tf

from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import checkpoint_save
from official_ext.trainer import checkpointing


class IntervalCheckpointManager(tf.train.CheckpointManager):
  """See the module docstring.

  Args (besides the stock manager's):
    saved_step: the step of the checkpoint this job restored when it is not
      in `directory` (a non-chief worker restores the chief's).
    print_fn: where fallback and save-failure lines go (default: stdout).
  """

  def __init__(self, *args, saved_step: Optional[int] = None,
               print_fn: Optional[Callable[[str], None]] = None, **kwargs):
    super().__init__(*args, **kwargs)
    if saved_step is None and self.latest_checkpoint:
      saved_step = checkpointing.step_of(self.latest_checkpoint)
    self._saved_step = saved_step
    self._print = print_fn

  def restore_or_initialize(self) -> Optional[str]:
    """Restores the newest readable checkpoint; returns it (None: none)."""
    path = checkpoint_fallback.newest_readable(self.directory, self._print)
    if path is None:
      return None
    self._checkpoint.restore(path)
    if path not in self._maybe_delete:  # Complete, but not in the state
      self._maybe_delete[path] = time.time()  # file: managed from now on.
    self._latest_checkpoint = path
    self._saved_step = checkpointing.step_of(path)
    self._last_checkpoint_step = int(self._step_counter.numpy())
    return path

  def save(self, checkpoint_number=None, check_interval=True, options=None):
    step = int(self._step_counter.numpy())
    if check_interval and step % self.checkpoint_interval:
      return None
    if step == self._saved_step:
      return None  # Already saved at this step.
    number = step if checkpoint_number is None else checkpoint_number

    def attempt():
      self._last_checkpoint_step = None  # The stock once-per-step guard.
      return super(IntervalCheckpointManager, self).save(
          checkpoint_number=number, check_interval=False, options=options)

    path = checkpoint_save.save(attempt, f'{self._prefix}-{number}',
                                self._print)
    self._saved_step = step
    return path


def make_manager(checkpoint: tf.train.Checkpoint, model_dir: str,
                 step_counter: tf.Variable, checkpoint_interval: int,
                 max_to_keep: int, saved_step: Optional[int] = None,
                 print_fn: Optional[Callable[[str], None]] = None
                 ) -> IntervalCheckpointManager:
  """Keeps the newest `max_to_keep` checkpoints, saved every
  `checkpoint_interval` steps (`ckpt-<step>`); `saved_step`: the step of
  the checkpoint this job restored, when it is not in `model_dir`."""
  return IntervalCheckpointManager(
      checkpoint, directory=model_dir, max_to_keep=max_to_keep,
      step_counter=step_counter, checkpoint_interval=checkpoint_interval,
      saved_step=saved_step, print_fn=print_fn)
