"""The training spine: one Orbit controller for every job.

Pretraining (`trainer/runner.py`) and each fine-tuning run
(`finetuning/runner.py`) build a `TaskTrainer` (an Orbit
`StandardTrainer`/`StandardEvaluator` driving a Model Garden `Task`'s
`train_step`/`validation_step`); each pre-finetuning stage
(`multitask/multitask_trainer.py`) builds a `MultiTaskProgram` (one
heterogeneous multi-task update per step). Either is handed to
`make_controller`, which owns the rest of the loop:

  * the checkpoint manager (`ckpt-<step>` every `checkpoint_interval` steps
    and at the end; the controller restores the newest one when it is built,
    so the same command resumes a crashed job exactly: step, weights,
    optimizer slots and, through the step, the learning-rate schedule and
    the data position);
  * the console progress line after every inner loop of `steps_per_loop`
    steps (`step 200/1000 | loss 0.41 | 812.5 ex/s | ETA 0:04:10`);
  * TensorBoard summaries of every training log (losses, task metrics,
    learning rate, examples/s) under `summary_dir`;
  * the NaN guard (`TaskTrainer.train_loop_end` raises before a non-finite
    step is checkpointed); with `FaultPolicy.on_nonfinite='rollback'` the
    controller rolls back to the last checkpoint past the data window that
    produced it instead (`nonfinite_rollback.py`);
  * checkpoint fallback: the newest checkpoint that reads in full is
    restored, past unreadable or half-written ones, each named in a line
    (`checkpoint_fallback.py`); a save that fails keeps the previous one
    and stops the job in one line (`checkpoint_save.py`);
  * corrupt records: a `DataLossError` from the record reader is traced to
    the shard and byte offset and stops the job in one line, or with
    `FaultPolicy.skip_corrupt_records` is skipped and counted
    (`corrupt_records.py`);
  * preemption: SIGTERM makes the job checkpoint at the step reached (after
    the running inner loop) and exit 0 (`preemption.py`);
  * several workers (`multi_worker_mirrored`): every worker takes part in
    every save (reading some variables is a collective), but only the
    chief's land in `checkpoint_dir`; the others restore the chief's newest
    checkpoint, save under `checkpoint_dir/workertemp_<id>/` (removed at the
    job's end: `worker_dirs.py`) and write no summaries.

This is what `official.core.train_lib.run_experiment` does with
`base_trainer.Trainer`; ours differs where a job needs it: datasets are
built from the restored global step (exact data resume without iterator
state), checkpoints land on interval multiples, and a `print_fn` progress
line (Model Garden logs only).
"""

from typing import Callable, Mapping, Optional, Sequence

import orbit
import tensorflow as tf

from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import checkpoint_manager
from official_ext.trainer import checkpointing
from official_ext.trainer import cluster_config
from official_ext.trainer import corrupt_records
from official_ext.trainer import fault_policy
from official_ext.trainer import nan_guard
from official_ext.trainer import nonfinite_rollback
from official_ext.trainer import preemption
from official_ext.trainer import progress_logger
from official_ext.trainer import worker_dirs

Action = Callable[[Mapping[str, object]], None]


class SpineController(orbit.Controller):
  """An `orbit.Controller` whose `train` (and so `train_and_evaluate`) and
  `evaluate` go on after a handled fault: a non-finite loss under
  `rollback` (`rollback(error)` restores; training resumes from there) and
  a corrupt record under `skip_corrupt_records` (`corrupt(error, step)`
  repairs; the trainer rebuilds its stream at the step reached). An
  unhandled one propagates, as from Orbit's controller."""

  def __init__(self, *args, rollback=None, corrupt=None, **kwargs):
    self._rollback, self._corrupt = rollback, corrupt
    super().__init__(*args, **kwargs)

  def _data_loss(self, error):
    if self._corrupt is None:
      raise error
    self._corrupt(error, int(self.global_step.numpy()))

  def train(self, steps: int, checkpoint_at_completion: bool = True):
    while True:
      try:
        return super().train(steps, checkpoint_at_completion)
      except nonfinite_rollback.RollbackLimitError:
        raise
      except nan_guard.NonFiniteLossError as e:
        if self._rollback is None:
          raise
        self._rollback(e)
      except tf.errors.DataLossError as e:
        self._data_loss(e)
        self.trainer.reset_train_state()

  def evaluate(self, steps: int = -1):
    while True:
      try:
        return super().evaluate(steps)
      except tf.errors.DataLossError as e:
        self._data_loss(e)
        self.evaluator.eval_dataset = None


def make_controller(trainer: orbit.AbstractTrainer, checkpoint_dir: str,
                    total_steps: int, steps_per_loop: int,
                    checkpoint_interval: int, max_checkpoints: int,
                    summary_dir: Optional[str] = None,
                    eval_summary_dir: Optional[str] = None,
                    train: bool = True, evaluate: bool = False,
                    print_fn: Optional[Callable[[str], None]] = None,
                    train_actions: Sequence[Action] = (),
                    eval_actions: Sequence[Action] = (),
                    faults: fault_policy.FaultPolicy = (
                        fault_policy.FaultPolicy()),
                    record_files: Sequence[str] = ()
                    ) -> SpineController:
  """An `orbit.Controller` over `trainer`; restores `checkpoint_dir`'s newest
  checkpoint (if any) before returning.

  Args:
    trainer: the job's Orbit trainer (`TaskTrainer` or
      `multitask_program.MultiTaskProgram`): its `global_step`,
      `checkpoint` and `strategy` are used.
    checkpoint_dir: where `ckpt-<step>` files are written and read.
    total_steps: the step training ends at (for the progress line's ETA).
    steps_per_loop: steps per inner loop (one progress line and one summary
      write each); checkpoints are considered after each loop.
    checkpoint_interval: save at multiples of this step count (and at the
      end of `controller.train`).
    max_checkpoints: how many to keep.
    summary_dir, eval_summary_dir: TensorBoard directories (None: none).
    train, evaluate: whether the trainer trains / evaluates through Orbit.
    print_fn: where progress lines go (default: stdout, flushed).
    train_actions: more callables run with each inner loop's logs.
    eval_actions: callables run with each evaluation's logs.
    faults: what a non-finite loss or a corrupt record does (`FaultPolicy`).
    record_files: every record file the job reads (where a corrupt record
      is looked for); the trainer's datasets read them through
      `corrupt_records.substitute(checkpoint_dir, ...)`.
  """
  strategy = trainer.strategy
  cluster_config.check_multi_worker_batch(strategy, trainer.global_batch_size)
  write_dir = worker_dirs.write_dir(checkpoint_dir, strategy)
  saved_step = None
  if write_dir != checkpoint_dir:  # A non-chief worker (worker_dirs.py).
    worker_dirs.remove_temp_dir(checkpoint_dir, strategy)  # A stale one.
    latest = checkpoint_fallback.newest_readable(checkpoint_dir, print_fn)
    if latest:  # The chief's; Orbit restores from the (empty) write_dir.
      with strategy.scope():  # As Orbit restores.
        trainer.checkpoint.restore(latest)
      saved_step = checkpointing.step_of(latest)
    max_checkpoints = 1
    # Summaries are local writes of values every worker computed: skipped
    # (a writer could recreate a file in the removed dir when it flushes).
    summary_dir = eval_summary_dir = None
  chief = write_dir == checkpoint_dir
  manager = checkpoint_manager.make_manager(
      trainer.checkpoint, write_dir, trainer.global_step,
      checkpoint_interval, max_checkpoints, saved_step=saved_step,
      print_fn=print_fn)
  trainer.data_windows = nonfinite_rollback.DataWindows.load(checkpoint_dir)
  rollback = None
  if faults.on_nonfinite == 'rollback':
    rollback = nonfinite_rollback.Rollback(
        trainer, manager, faults.max_rollbacks,
        checkpoint_dir if chief else None, print_fn)
  corrupt = None
  if record_files:  # Skipping is single-worker (corrupt_records.py).
    corrupt = corrupt_records.CorruptRecords(
        checkpoint_dir, record_files, faults.skip_corrupt_records and
        not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy),
        summary_dir, print_fn)
  logger = progress_logger.ProgressLogger(trainer.global_step, total_steps,
                                          print_fn)
  saver = preemption.PreemptionSaver(manager, trainer.global_step, print_fn)
  saver.install()
  controller = SpineController(
      rollback=rollback, corrupt=corrupt, global_step=trainer.global_step,
      strategy=trainer.strategy,
      trainer=trainer if train else None,
      evaluator=trainer if evaluate else None,
      train_actions=[logger, *train_actions, saver],
      eval_actions=list(eval_actions),
      # Loops end at multiples of steps_per_loop: after one cut short (a
      # corrupt record skipped mid-loop, a stop between multiples) a shorter
      # one realigns, so checkpoints keep landing on interval multiples.
      steps_per_loop=lambda step: steps_per_loop - int(step) % steps_per_loop,
      checkpoint_manager=manager, summary_dir=summary_dir,
      eval_summary_dir=eval_summary_dir)
  logger.start()  # After the restore: the ETA counts this process's steps.
  return controller
