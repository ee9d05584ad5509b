"""The hyperparameter grid: learning rates x batch sizes x epochs x seeds.

Defaults (TEAMS Table 6 as summarised in our issue): GLUE learning rate
1e-4 for small encoders, 3e-5 for base (2e-5 large), batch 32, 3 epochs;
SQuAD 1e-4 small, 5e-5 base, 3e-5 large, batch 32, 2 epochs; 10% linear
warm-up. The TEAMS protocol reports the median over 15 seeds
(`TEAMS_SEEDS`); the default here is 3 seeds to keep a first pass cheap.

Runs live in `<model_dir>/<task slug>/<config>/seed<k>/` with
`<config> = lr<lr>_bs<batch>_ep<epochs>` (`_n<N>` added when training on a
fixed subset of N examples, `--max_train_examples`). A run whose `run.json` already
holds a finished result with the same settings is skipped (so an
interrupted grid resumes); different settings there stop the grid unless
`overwrite`.
"""

import dataclasses
import json
import math
import os
from typing import Callable, List, Optional, Sequence

import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import runner

DEFAULT_LEARNING_RATES = {
    'glue': {'small': 1e-4, 'base': 3e-5, 'large': 2e-5},
    'squad': {'small': 1e-4, 'base': 5e-5, 'large': 3e-5},
}
DEFAULT_EPOCHS = {'glue': 3, 'squad': 2}
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_SEQ_LENGTH = {'glue': 128, 'squad': 384}
DEFAULT_SEEDS = 3
TEAMS_SEEDS = 15


class GridError(ValueError):
  """A grid setting is invalid or clashes with earlier results."""


@dataclasses.dataclass(frozen=True)
class GridPoint:
  """One run of the grid."""
  learning_rate: float
  batch_size: int
  epochs: int
  seed: int
  max_train_examples: int = 0  # 0: the whole training set
  train_subset_seed: int = 0

  @property
  def config_name(self) -> str:
    return runner.config_name(self.learning_rate, self.batch_size,
                              self.epochs, self.max_train_examples,
                              self.train_subset_seed)


config_name = runner.config_name


def family(task) -> str:
  return 'glue' if glue_tasks.is_glue(task) else 'squad'


def epochs_for_min_steps(epochs: int, num_train: int, batch_size: int,
                         min_train_steps: int) -> int:
  """`epochs`, raised to the fewest that make `num_train` examples in
  batches of `batch_size` train at least `min_train_steps` steps
  (`runner.num_train_steps`): e.g. (2, 100, 32, 150) -> 48,
  (2, 2000, 32, 100) -> 2."""
  if min_train_steps <= 0 or num_train <= 0:
    return epochs
  # ceil(e * n / b) >= m  <=>  e * n / b > m - 1
  return max(epochs,
             math.floor((min_train_steps - 1) * batch_size / num_train) + 1)


def expand(learning_rates: Sequence[float], batch_sizes: Sequence[int],
           epochs: Sequence[int], seeds: int,
           first_seed: int = 0, max_train_examples: int = 0,
           train_subset_seed: int = 0, min_train_steps: int = 0,
           num_train: int = 0) -> List[GridPoint]:
  """Every combination, configuration-major (all seeds of one config first);
  all on the same training subset (`max_train_examples`, 0: all). With
  `min_train_steps`, a run on `num_train` examples that would train fewer
  steps gets more epochs (`epochs_for_min_steps`; its config name says
  so)."""
  if seeds < 1:
    raise GridError(f'--seeds must be at least 1, got {seeds}')
  for name, values in (('--learning_rates', learning_rates),
                       ('--batch_sizes', batch_sizes), ('--epochs', epochs)):
    if not values or any(v <= 0 for v in values):
      raise GridError(f'{name} needs positive values, got {list(values)}')
  points = []
  for lr in learning_rates:
    for bs in batch_sizes:
      for ep in epochs:
        ep = epochs_for_min_steps(int(ep), num_train, int(bs),
                                  min_train_steps)
        points.extend(GridPoint(float(lr), int(bs), ep, seed,
                                max_train_examples, train_subset_seed)
                      for seed in range(first_seed, first_seed + seeds))
  return list(dict.fromkeys(points))  # raised epochs may coincide


def default_learning_rates(task, size: str) -> List[float]:
  return [DEFAULT_LEARNING_RATES[family(task)][size]]


def run_dir(model_dir: str, task, point: GridPoint) -> str:
  return os.path.join(model_dir, task.slug, point.config_name,
                      f'seed{point.seed}')


_REQUIRED = [f.name for f in dataclasses.fields(runner.RunConfig)
             if f.default is dataclasses.MISSING]


def _finished(path: str, cfg: runner.RunConfig, overwrite: bool):
  """The stored record when it may be reused, None to (re)run."""
  record_path = os.path.join(path, runner.RUN_FILE)
  if overwrite or not tf.io.gfile.exists(record_path):
    return None
  with tf.io.gfile.GFile(record_path) as f:
    record = json.load(f)
  wanted = dataclasses.asdict(cfg)
  # A setting a record predates had its default value then.
  stored = dict(dataclasses.asdict(runner.RunConfig(
      **{k: wanted[k] for k in _REQUIRED})), **record.get('settings', {}))
  differing = ', '.join(f'{k}: {stored.get(k)} != {wanted[k]}'
                        for k in sorted(wanted)
                        if k not in runner.LOGGING_SETTINGS
                        and stored.get(k) != wanted[k])
  if differing:
    raise GridError(
        f'{record_path} holds a run with other settings ({differing}); pass '
        f'--overwrite or use another --model_dir')
  return record if record.get('status') in ('ok', 'diverged') else None


def run_grid(task, points: Sequence[GridPoint], base: runner.RunConfig,
             source, prepared, vocab_file: str, model_dir: str,
             overwrite: bool = False,
             log: Optional[Callable[[str], None]] = None,
             **run_kwargs) -> List[dict]:
  """Runs (or reuses) every grid point of one task; returns the records.

  `run_kwargs` go to `runner.run` (`strategy`, `print_fn`)."""
  log = log or (lambda message: None)
  records = []
  for i, point in enumerate(points, 1):
    cfg = dataclasses.replace(base, seed=point.seed,
                              learning_rate=point.learning_rate,
                              batch_size=point.batch_size,
                              epochs=point.epochs,
                              max_train_examples=point.max_train_examples,
                              train_subset_seed=point.train_subset_seed)
    path = run_dir(model_dir, task, point)
    extra = {'config': point.config_name}
    record = _finished(path, cfg, overwrite)
    if record is not None:
      log(f'[{i}/{len(points)}] {task.slug} {point.config_name} seed '
          f'{point.seed}: reusing {path}')
    else:
      try:
        record = runner.run(task, cfg, source, prepared, vocab_file, path,
                            extra, **run_kwargs)
      except runner.DivergedError as e:
        record = {'task': glue_tasks.full_name(task), 'slug': task.slug,
                  'status': 'diverged',
                  'error': str(e), 'seed': point.seed,
                  'learning_rate': point.learning_rate,
                  'batch_size': point.batch_size, 'epochs': point.epochs,
                  'metrics': None, 'score': None, 'run_dir': path,
                  'settings': dataclasses.asdict(cfg), **extra}
        output_dir_lib.write_json(os.path.join(path, runner.RUN_FILE), record)
      log(f'[{i}/{len(points)}] {task.slug} {point.config_name} seed '
          f'{point.seed}: {record["status"]} score={record["score"]}')
    records.append(record)
  return records
