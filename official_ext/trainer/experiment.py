"""The gin-configurable top level: what to train, on what, how long.

`Experiment` (gin: `Experiment.<field>`) holds the task builder, the checked
data, the optimiser builder, the step counts and intervals, precision and
seed. `runner.run` builds and runs it. The files in `gin/` bind it.
"""

import dataclasses
from typing import Callable, Optional

from official.core import base_task
from official_ext.trainer import data_setup
from official_ext.trainer import optimizer_builder


class ExperimentError(ValueError):
  """Inconsistent Experiment settings; the message names the field."""


@dataclasses.dataclass(frozen=True)
class Experiment:
  """Everything a run needs besides model_dir, mode and strategy.

  Attributes:
    task: `task(train_data, validation_data, vocab_size) -> Task` (a gin
      reference such as `@generator_discriminator_task`).
    train_data: the training `PretrainData` (`@train/pretrain_data()`).
    eval_data: the evaluation `PretrainData`, or None.
    optimizer: `optimizer(decay_steps=train_steps) -> optimizer` (`@adamw`).
    train_steps: global step to train to.
    steps_per_loop: steps per inner loop = the log interval (console line,
      TensorBoard scalars, NaN check).
    checkpoint_interval: steps between checkpoints (a multiple of
      steps_per_loop); a final one is written at the end.
    max_checkpoints: checkpoints kept (the newest).
    eval_interval: train_and_eval evaluates every this many steps (None: at
      the end only).
    eval_steps: evaluation batches (-1: the whole eval set).
    eval_at_start: train_and_eval also evaluates before the first step of
      a run that starts at step 0 (e.g. a warm-started encoder before
      continued pretraining).
    continuous_eval_timeout: continuous_eval stops after evaluating the
      checkpoint at train_steps, or after waiting this many seconds for a
      new checkpoint.
    mixed_precision: 'float32', 'mixed_bfloat16' (TPU/CPU) or
      'mixed_float16' (GPU; dynamic loss scaling).
    jit_compile: XLA-compile the training step.
    seed: seeds Python, NumPy and TF (initial weights, dropout).
    init_checkpoint: start the trunk from this encoder (our export or any
      format `official_ext.import_checkpoint` reads) when model_dir holds
      no checkpoint yet (`warm_start`).
    init_generator_checkpoint: the generator's encoder (ELECTRA/TEAMS).
  """
  task: Callable[..., base_task.Task]
  train_data: Optional[data_setup.PretrainData]
  eval_data: Optional[data_setup.PretrainData] = None
  optimizer: Callable[..., object] = optimizer_builder.adamw
  train_steps: int = 1000
  steps_per_loop: int = 100
  checkpoint_interval: int = 1000
  max_checkpoints: int = 5
  eval_interval: Optional[int] = None
  eval_steps: int = -1
  eval_at_start: bool = False
  continuous_eval_timeout: int = 600
  mixed_precision: str = 'float32'
  jit_compile: bool = False
  seed: int = 0
  init_checkpoint: Optional[str] = None
  init_generator_checkpoint: Optional[str] = None

  def __post_init__(self):
    positive = ('train_steps', 'steps_per_loop', 'checkpoint_interval',
                'max_checkpoints')
    for name in positive:
      if getattr(self, name) <= 0:
        raise ExperimentError(f'Experiment.{name}={getattr(self, name)} '
                              'must be positive.')
    for name in ('checkpoint_interval', 'eval_interval'):
      value = getattr(self, name)
      if value is not None and value % self.steps_per_loop:
        raise ExperimentError(
            f'Experiment.{name}={value} must be a multiple of '
            f'Experiment.steps_per_loop={self.steps_per_loop}.')
    if self.eval_steps == 0 or self.eval_steps < -1:
      raise ExperimentError(f'Experiment.eval_steps={self.eval_steps} must '
                            'be positive or -1 (the whole eval set).')
    if self.mixed_precision not in optimizer_builder.MIXED_PRECISION:
      raise ExperimentError(
          f'Experiment.mixed_precision={self.mixed_precision!r} is unknown; '
          f'choose one of {optimizer_builder.MIXED_PRECISION}.')

  @property
  def vocab_size(self) -> int:
    data = self.train_data or self.eval_data
    return data.vocab_size

  def check_data(self, train: bool, evaluate: bool) -> None:
    """The data the mode needs is there and consistent."""
    if train and self.train_data is None:
      raise ExperimentError('training needs Experiment.train_data.')
    if evaluate and self.eval_data is None:
      raise ExperimentError('evaluation needs Experiment.eval_data.')
    if (self.train_data and self.eval_data and
        self.train_data.vocab_size != self.eval_data.vocab_size):
      raise ExperimentError(
          f'train data {self.train_data.source!r} has a vocab of '
          f'{self.train_data.vocab_size} tokens but eval data '
          f'{self.eval_data.source!r} has {self.eval_data.vocab_size}.')
