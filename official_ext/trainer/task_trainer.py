"""Orbit `StandardTrainer` + `StandardEvaluator` around a Model Garden Task.

Like `official.core.base_trainer.Trainer` (same loop, same checkpoint
layout: `global_step`, `model`, `optimizer`, plus the model's
`checkpoint_items`), without its `ExperimentConfig`, and with:

  * a training dataset built lazily from the *restored* global step (see
    `train_input`: the data position is a function of the step, offset by
    the data windows a rollback skipped: `nonfinite_rollback.DataWindows`,
    set by the spine);
  * per-loop logs of every task metric (each loss and accuracy), the
    task's total `loss`, `learning_rate` and `examples_per_second`;
  * a `NanGuard` that raises before a non-finite step is checkpointed;
  * optional XLA (`jit_compile`) of the per-replica step.
"""

import time
from typing import Callable, Optional

import orbit
import tensorflow as tf
import tf_keras

from official.core import base_task
from official_ext.trainer import nan_guard as nan_guard_lib
from official_ext.trainer import nonfinite_rollback
from official_ext.trainer import optimizer_builder

DatasetFn = Callable[[Optional[tf.distribute.InputContext]], tf.data.Dataset]


class TaskTrainer(orbit.StandardTrainer, orbit.StandardEvaluator):
  """Trains and evaluates `task` with `model` and `optimizer`.

  Args:
    task: a Model Garden `Task` (train_step/validation_step/build_metrics).
    model: the task's model, built in `strategy`'s scope.
    optimizer: built in `strategy`'s scope.
    strategy: the distribution strategy.
    train_dataset_fn: `start_step -> dataset_fn(input_context)` of
      per-replica batches, or None (evaluation only).
    eval_dataset_fn: `dataset_fn(input_context)`, or None.
    global_batch_size: records per step, for `examples_per_second`.
    jit_compile: XLA-compile the per-replica training step.
    use_tf_while_loop: run each inner loop as one `tf.while_loop`.
  """

  def __init__(self, task: base_task.Task, model: tf_keras.Model, optimizer,
               strategy: tf.distribute.Strategy,
               train_dataset_fn: Optional[Callable[[int], DatasetFn]] = None,
               eval_dataset_fn: Optional[DatasetFn] = None,
               global_batch_size: int = 1, jit_compile: bool = False,
               use_tf_while_loop: bool = True):
    self._task, self._model, self._optimizer = task, model, optimizer
    self._strategy = strategy
    self._train_dataset_fn = train_dataset_fn
    self._eval_dataset_fn = eval_dataset_fn
    self.global_batch_size = global_batch_size
    self._jit_compile = jit_compile
    with strategy.scope():
      self.global_step = orbit.utils.create_global_step()
      self.nan_guard = nan_guard_lib.NanGuard()
      self.train_metrics = task.build_metrics(training=True) + [
          tf_keras.metrics.Mean(task.loss, dtype=tf.float32)]
      self.eval_metrics = task.build_metrics(training=False) + [
          tf_keras.metrics.Mean(task.loss, dtype=tf.float32)]
    items = dict(getattr(model, 'checkpoint_items', None) or {})
    items.pop('model', None)
    self.checkpoint = tf.train.Checkpoint(
        global_step=self.global_step, model=model, optimizer=optimizer,
        **items)
    self._loop_start = None
    self.data_windows = nonfinite_rollback.DataWindows()
    self._data_built_at = None
    orbit.StandardTrainer.__init__(
        self, None, options=orbit.StandardTrainerOptions(
            use_tf_while_loop=use_tf_while_loop))
    orbit.StandardEvaluator.__init__(
        self, None, options=orbit.StandardEvaluatorOptions(
            use_tf_function=True))

  @property
  def strategy(self):
    return self._strategy

  @property
  def task(self):
    return self._task

  @property
  def model(self):
    return self._model

  @property
  def optimizer(self):
    return self._optimizer

  # Datasets are built on first use, after Orbit restored the checkpoint.
  @property
  def train_dataset(self):
    if self._train_dataset is None:
      if self._train_dataset_fn is None:
        raise ValueError('this TaskTrainer has no training data')
      step = int(self.global_step.numpy())
      self._train_dataset = self._strategy.distribute_datasets_from_function(
          self._train_dataset_fn(self.data_windows.data_step(step)))
      self._data_built_at = step
    return self._train_dataset

  @train_dataset.setter
  def train_dataset(self, dataset):
    self._train_dataset = dataset
    self._train_iter = None

  @property
  def eval_dataset(self):
    if self._eval_dataset is None:
      if self._eval_dataset_fn is None:
        raise ValueError('this TaskTrainer has no evaluation data')
      self._eval_dataset = self._strategy.distribute_datasets_from_function(
          self._eval_dataset_fn)
    return self._eval_dataset

  @eval_dataset.setter
  def eval_dataset(self, dataset):
    self._eval_dataset = dataset
    self._eval_iter = None

  def reset_train_state(self) -> None:
    """Forgets the training stream and a recorded non-finite step (the
    spine calls it after a rollback or a corrupt-record repair): the next
    loop rebuilds the stream at the step (and data position) reached."""
    self.nan_guard.reset()
    self.train_dataset = None

  def train_loop_begin(self):
    step = int(self.global_step.numpy())
    if self._data_built_at is not None and self.data_windows.crosses(
        self._data_built_at, step):
      self.train_dataset = None  # A skipped window starts here.
    for metric in self.train_metrics:
      metric.reset_states()
    self._loop_start = (time.time(), step)

  def train_step(self, iterator):
    task_step = self._task.train_step
    if self._jit_compile:
      task_step = tf.function(task_step, jit_compile=True)
    by_name = {m.name: m for m in self.train_metrics}

    def step_fn(inputs):
      logs = task_step(inputs, model=self._model, optimizer=self._optimizer,
                       metrics=self.train_metrics)
      by_name[self._task.loss].update_state(logs[self._task.loss])
      return logs

    logs = self._strategy.run(step_fn, args=(next(iterator),))
    losses = {k: self._strategy.reduce(tf.distribute.ReduceOp.MEAN, v,
                                       axis=None) for k, v in logs.items()}
    self.nan_guard.record(self.global_step + 1, losses)
    self.global_step.assign_add(1)

  def train_loop_end(self):
    logs = {m.name: m.result() for m in self.train_metrics}
    start_time, start_step = self._loop_start
    steps = int(self.global_step.numpy()) - start_step
    elapsed = max(time.time() - start_time, 1e-9)
    logs['learning_rate'] = optimizer_builder.current_learning_rate(
        self._optimizer)
    logs['examples_per_second'] = steps * self.global_batch_size / elapsed
    self.nan_guard.check()
    return logs

  def eval_begin(self):
    for metric in self.eval_metrics:
      metric.reset_states()

  def eval_step(self, iterator):
    by_name = {m.name: m for m in self.eval_metrics}

    def step_fn(inputs):
      logs = self._task.validation_step(inputs, model=self._model,
                                        metrics=self.eval_metrics)
      by_name[self._task.loss].update_state(logs[self._task.loss])

    self._strategy.run(step_fn, args=(next(iterator),))

  def eval_end(self, *args):
    del args
    return {m.name: m.result() for m in self.eval_metrics}
