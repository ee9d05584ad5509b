"""Builds an `Experiment` and runs it with `orbit.Controller`.

Order (every check happens before the first training step):
  1. seed; mixed-precision policy;
  2. in the strategy scope: task, model, optimiser; one forward pass on a
     dummy batch creates every model variable, then the optimiser's slots
     (so the checkpoint check sees them all, and the training loop is traced
     once instead of twice);
  3. the newest checkpoint in model_dir that reads in full
     (`checkpoint_fallback`: unreadable ones are named and passed over)
     must match the model (`checkpointing.check_compatible`), then Orbit
     restores it: step, weights, optimiser slots, loss scale and -- through
     the step -- the learning-rate schedule and the data position
     (`train_input`); without
     one, a training run with `Experiment.init_checkpoint` starts its
     trunk(s) from that encoder (`warm_start`);
  4. the operative gin config is written to model_dir (by the chief of a
     multi-worker job; the other workers write theirs, checkpoints and
     summaries to a temporary dir they remove at the end: `worker_dirs`);
  5. train / eval / train_and_eval / continuous_eval, with the job's
     `FaultPolicy` (non-finite loss, corrupt records: `spine`); the datasets
     read the repaired copies of corrupt shards listed in model_dir
     (`corrupt_records`); every evaluation is also added to
     `<model_dir>/eval_history.json` (`eval_history`), and
     `Experiment.eval_at_start` evaluates a run starting at step 0 before
     its first step (train_and_eval).
"""

import os
from typing import Callable, List, Optional

from absl import logging
import tensorflow as tf
import tf_keras

from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import checkpointing
from official_ext.trainer import corrupt_records
from official_ext.trainer import data_setup
from official_ext.trainer import eval_history
from official_ext.trainer import experiment as experiment_lib
from official_ext.trainer import fault_policy
from official_ext.trainer import optimizer_builder
from official_ext.trainer import spine
from official_ext.trainer import task_trainer
from official_ext.trainer import train_input
from official_ext.trainer import warm_start
from official_ext.trainer import worker_dirs

MODES = ('train', 'eval', 'train_and_eval', 'continuous_eval')


class BuildError(ValueError):
  """Building the experiment failed (the message names the builder)."""


def build_phase(fn, *args, **kwargs):
  """Calls `fn`, turning a ValueError/TypeError into a BuildError (the CLI
  reports those as bad input, without a traceback)."""
  try:
    return fn(*args, **kwargs)
  except (data_setup.DataError, experiment_lib.ExperimentError):
    raise
  except (ValueError, TypeError) as e:
    raise BuildError(f'building the experiment failed: {e}') from e


def _dummy_batch(data, streams=None):
  """Zeros shaped like two records of `data` (an even batch, as QT/FS
  need); a dict of such
  batches by stream when the task reads extra `streams`."""
  spec = train_input.PositionedDataLoader(data, 0).load().element_spec
  batch = {k: tf.zeros([2] + s.shape.as_list()[1:], s.dtype)
           for k, s in spec.items()}
  if not streams:
    return batch
  return {'main': batch,
          **{n: _dummy_batch(d) for n, d in streams.items()}}


def build_variables(task, model, strategy, data) -> None:
  """Runs one validation step on a dummy batch so lazily built layers
  (heads) create their variables, in the strategy scope."""
  metrics = task.build_metrics(training=False)  # Throwaway, not mirrored.
  with strategy.scope():
    task.validation_step(
        _dummy_batch(data, getattr(task, 'stream_data', None)), model,
        metrics=metrics)


def record_files(exp: experiment_lib.Experiment, task=None) -> List[str]:
  """Every record file `exp` reads: training (and its extra streams) and
  evaluation data."""
  files = []
  for data in (exp.train_data, exp.eval_data,
               *(getattr(task, 'stream_data', None) or {}).values()):
    files.extend(data.files if data else ())
  return list(dict.fromkeys(files))


def _repaired(config, repair_dir):
  """`config` reading repaired copies of its files (`corrupt_records`)."""
  return config.replace(input_path=','.join(corrupt_records.substitute(
      repair_dir, config.input_path.split(','))))


def build_trainer(exp: experiment_lib.Experiment,
                  strategy: tf.distribute.Strategy,
                  repair_dir: Optional[str] = None
                  ) -> task_trainer.TaskTrainer:
  """Steps 1-2 of the module docstring; the datasets read repaired copies
  of corrupt shards listed in `repair_dir` (`corrupt_records`)."""
  tf_keras.utils.set_random_seed(exp.seed)
  optimizer_builder.set_mixed_precision_policy(exp.mixed_precision)
  train_cfg = exp.train_data.config if exp.train_data else None
  eval_cfg = exp.eval_data.config if exp.eval_data else None
  if exp.init_checkpoint:  # SIZE = 'init_checkpoint' takes its shape.
    warm_start.register_size(exp.init_checkpoint)
  with strategy.scope():
    task = exp.task(train_data=train_cfg, validation_data=eval_cfg,
                    vocab_size=exp.vocab_size)
    model = task.build_model()
    optimizer = optimizer_builder.with_loss_scaling(
        exp.optimizer(decay_steps=exp.train_steps), exp.mixed_precision)
  build_variables(task, model, strategy, exp.train_data or exp.eval_data)
  with strategy.scope():  # Slots now, or tf.function traces twice.
    getattr(optimizer, 'inner_optimizer', optimizer).build(
        model.trainable_variables)
  train_fn = None
  if exp.train_data:
    train_fn = lambda step: train_input.training_dataset_fn(  # pylint: disable=g-long-lambda
        exp.train_data, step, getattr(task, 'stream_data', None), repair_dir)
  eval_fn = None
  if exp.eval_data:
    eval_fn = lambda ctx: task.build_inputs(_repaired(eval_cfg, repair_dir),
                                            ctx)
  return task_trainer.TaskTrainer(
      task, model, optimizer, strategy, train_dataset_fn=train_fn,
      eval_dataset_fn=eval_fn,
      global_batch_size=(exp.train_data or exp.eval_data).config
      .global_batch_size, jit_compile=exp.jit_compile)


def write_operative_config(model_dir: str, text: str, mode: str) -> str:
  name = ('operative_config.gin' if mode.startswith('train')
          else f'operative_config.{mode}.gin')
  path = os.path.join(model_dir, name)
  tf.io.gfile.makedirs(model_dir)
  with tf.io.gfile.GFile(path, 'w') as f:
    f.write(text)
  return path


def run(exp: experiment_lib.Experiment, model_dir: str, mode: str,
        strategy: tf.distribute.Strategy,
        operative_config: Callable[[], str] = lambda: '',
        print_fn: Optional[Callable[[str], None]] = None,
        faults: fault_policy.FaultPolicy = fault_policy.FaultPolicy()):
  """Runs `mode`; returns the last evaluation's logs (or None). `faults`:
  what a non-finite loss or a corrupt record does (`spine`)."""
  if mode not in MODES:
    raise ValueError(f'--mode={mode!r} is unknown; choose one of {MODES}.')
  train = mode in ('train', 'train_and_eval')
  evaluate = mode != 'train'
  exp.check_data(train, evaluate)
  trainer = build_phase(build_trainer, exp, strategy, model_dir)
  latest = checkpoint_fallback.newest_readable(model_dir, print_fn)
  if latest:
    checkpointing.check_compatible(latest, trainer.checkpoint)
  elif mode == 'eval':
    raise FileNotFoundError(f'--mode=eval: no checkpoint in {model_dir!r}.')
  elif train and exp.init_checkpoint:
    warm_start.apply(trainer, exp)
  controller = spine.make_controller(  # Restores; clears a stale temp dir.
      trainer, model_dir, exp.train_steps, exp.steps_per_loop,
      exp.checkpoint_interval, exp.max_checkpoints,
      summary_dir=os.path.join(model_dir, 'train'),
      eval_summary_dir=os.path.join(model_dir, 'eval'), train=train,
      evaluate=evaluate, print_fn=print_fn, faults=faults,
      record_files=record_files(exp, trainer.task),
      eval_actions=[eval_history.EvalHistory(
          worker_dirs.write_dir(model_dir, strategy), trainer.global_step)])
  try:
    path = write_operative_config(
        worker_dirs.write_dir(model_dir, strategy), operative_config(), mode)
    logging.info('operative gin config written to %s', path)
    return _run_mode(controller, trainer, model_dir, mode, exp)
  finally:  # A non-chief worker's temporary dir (worker_dirs.py).
    worker_dirs.remove_temp_dir(model_dir, strategy)


def _run_mode(controller, trainer, model_dir, mode, exp):
  if mode == 'train':
    controller.train(steps=exp.train_steps)
    return None
  if mode == 'eval':
    return controller.evaluate(steps=exp.eval_steps)
  if mode == 'train_and_eval':
    if exp.eval_at_start and int(trainer.global_step.numpy()) == 0:
      controller.evaluate(steps=exp.eval_steps)
    return controller.train_and_evaluate(
        train_steps=exp.train_steps, eval_steps=exp.eval_steps,
        eval_interval=exp.eval_interval)
  return _evaluate_continuously(controller, trainer.global_step, model_dir,
                               exp)


def _evaluate_continuously(controller, global_step, model_dir, exp):
  """Evaluates each new checkpoint; stops after the one at train_steps, or
  when none came for `continuous_eval_timeout` seconds."""
  output = None
  for path in tf.train.checkpoints_iterator(
      model_dir, timeout=exp.continuous_eval_timeout):
    controller.restore_checkpoint(path)
    output = controller.evaluate(steps=exp.eval_steps)
    if int(global_step.numpy()) >= exp.train_steps:
      break
  return output
