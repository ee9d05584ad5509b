"""A demo's stages: each its own process, skipped when done, timed.

A `Stage` is `python -m <args>` (`stage_process.run_module`: a fresh
process logging to `<out>/logs/<name>.log`), done when every one of its
marker files exists: a rerun skips finished stages and resumes the others.
The seconds each stage took are kept in `<out>/stage_seconds.json` (a
skipped stage keeps those of the run that did it), for the summary.

The recipe: the flags whose change invalidates finished stages are kept in
`<out>/recipe.json`; a rerun with other values stops with one line naming
them, so stages of two recipes are never mixed.
"""

import dataclasses
import json
import os
import sys
import time
from typing import Dict, List, Mapping, Sequence, Tuple

from absl import app
import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext import stage_process
from official_ext.finetuning import task_names
from official_ext.finetuning import grid
from official_ext.finetuning import runner
from official_ext.stage_process import StageError  # pylint: disable=unused-import

SECONDS_FILE = 'stage_seconds.json'
RECIPE_FILE = 'recipe.json'


@dataclasses.dataclass(frozen=True)
class Stage:
  """One stage: its name (and log's), the files whose existence says it is
  done, and the module it runs with its flags."""
  name: str
  markers: Tuple[str, ...]
  args: Tuple[str, ...]

  @classmethod
  def of(cls, name: str, markers, args: Sequence[str]) -> 'Stage':
    markers = (markers,) if isinstance(markers, str) else tuple(markers)
    return cls(name, markers, tuple(args))

  def done(self) -> bool:
    return all(tf.io.gfile.exists(path) for path in self.markers)


def finetune_markers(model_dir: str, task_name: str, learning_rate: float,
                     batch_size: int, epochs: int, seeds: int,
                     sizes: Sequence[int], min_train_steps: int,
                     available: int) -> List[str]:
  """The run.json of every run one `official_ext.finetune` call writes in
  `model_dir` (one learning rate, batch size and epochs; `sizes`
  subsets and the whole set of `available` examples): the fine-tuning
  stage is done when they all exist."""
  task = task_names.parse_task(task_name)
  markers = []
  for size in list(sizes) + [0]:
    points = grid.expand([learning_rate], [batch_size], [epochs], seeds,
                         max_train_examples=size,
                         min_train_steps=min_train_steps,
                         num_train=size or available)
    markers += [os.path.join(grid.run_dir(model_dir, task, p),
                             runner.RUN_FILE) for p in points]
  return markers


def stage_seconds(out: str) -> Dict[str, float]:
  """Seconds of every stage run so far in `out`, by name."""
  path = os.path.join(out, SECONDS_FILE)
  if not tf.io.gfile.exists(path):
    return {}
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def record_seconds(out: str, name: str, seconds: float) -> None:
  """Adds (or replaces) stage `name`'s seconds in `<out>/stage_seconds.json`
  (also for work a demo does in its own process)."""
  seconds_by_stage = stage_seconds(out)
  seconds_by_stage[name] = round(seconds, 1)
  output_dir_lib.write_json(os.path.join(out, SECONDS_FILE),
                            seconds_by_stage)


def run_stages(stage_list: Sequence[Stage], out: str,
               label: str = 'demo') -> List[str]:
  """Runs each stage that is not done, in order, logging to `<out>/logs`;
  returns the names of those it ran."""
  ran = []
  for stage in stage_list:
    if stage.done():
      print(f'[{label}] {stage.name}: already done ({stage.markers[0]})',
            flush=True)
      continue
    seconds = stage_process.run_module(stage.name, list(stage.args),
                                       os.path.join(out, 'logs'), label)
    record_seconds(out, stage.name, seconds)
    ran.append(stage.name)
  return ran


def run_job(stage_list: Sequence[Stage], out: str, program: str,
            label: str = 'demo') -> List[str]:
  """`run_stages`; a failed stage exits 1 with its one message."""
  try:
    return run_stages(stage_list, out, label)
  except StageError as e:
    print(f'{program}: error: {e}', file=sys.stderr, flush=True)
    sys.exit(1)


def total_seconds(start: float, before: Mapping[str, float],
                  ran: Sequence[str]) -> float:
  """A job's seconds: this process's since `start`, plus those of the
  stages an earlier run did (`before`: stage_seconds when this one began;
  `ran`: what this one ran). From a clean output dir: the wall time."""
  return time.time() - start + sum(v for k, v in before.items()
                                   if k not in ran)


def timed(out: str, name: str, fn, *args, **kwargs):
  """Calls `fn` (work done in the demo's own process), recording its
  seconds as stage `name`; returns what it returns."""
  start = time.time()
  result = fn(*args, **kwargs)
  record_seconds(out, name, time.time() - start)
  return result


def check_recipe(out: str, recipe: Mapping[str, object],
                 first_output: str) -> None:
  """Records `recipe` ({flag: value}) in `<out>/recipe.json`; raises
  `app.UsageError` (one line naming each changed flag) when `out` holds
  stages of another recipe, or stages (`first_output` exists) but no
  recipe (an older version made them)."""
  recipe = dict(recipe)
  path = os.path.join(out, RECIPE_FILE)
  if tf.io.gfile.exists(path):
    with tf.io.gfile.GFile(path) as f:
      before = json.load(f)
    changed = [f'--{k}={recipe[k]} (was {before.get(k)})' for k in recipe
               if before.get(k) != recipe[k]]
    if changed:
      raise app.UsageError(
          f'{out} holds a demo run with another recipe: {", ".join(changed)}'
          '; choose another --output_dir or remove it')
    return
  if tf.io.gfile.exists(first_output):
    raise app.UsageError(
        f'{out} holds demo stages but no {RECIPE_FILE} (an older version '
        'made them, with another recipe); choose another --output_dir or '
        'remove it')
  output_dir_lib.write_json(path, recipe)
