"""Per-example dev predictions of fine-tuning runs, for the paired bootstrap.

A GLUE run writes `predictions.tsv` (example_id, label, prediction; label
strings, or scores for STS-B). `read_predictions` turns one into
`(example ids, labels, predictions)` as numbers (class ids in the task's
label order). `arm_predictions` gathers an arm's runs into

  {task: {'ids': [...], 'labels': [...], 'seeds': {seed: [...]}}}

(examples sorted by id, so two arms' rows pair up), the leaderboard's
`example_predictions` (`leaderboard.py`). `bootstrap_rows` turns two arms'
entries into what `significance.paired_bootstrap` resamples: for an
accuracy task the seed-averaged 0/1 correctness of each example (the mean
is the score); for F1/MCC/correlation tasks rows `[label, prediction per
seed]` and a statistic that recomputes the task's score (GLUE convention,
`glue_tasks.task_score`) per seed on each resample and averages the seeds.
Tasks with several dev files (MNLI m/mm) or without TSV predictions (SQuAD,
SuperGLUE) have no entry: the leaderboard then bootstraps over seeds.
"""
import csv
import os
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import metrics as metrics_lib
from official_ext.finetuning import task_names

PREDICTIONS = 'predictions.tsv'


def read_predictions(path: str, task) -> Tuple[list, np.ndarray, np.ndarray]:
  """(example ids, labels, predictions) of one `predictions.tsv`."""
  with tf.io.gfile.GFile(path) as f:
    rows = list(csv.DictReader(f, delimiter='\t'))
  if task.is_regression:
    convert = float
  else:
    convert = {label: i for i, label in enumerate(task.labels)}.__getitem__
  ids = [r['example_id'] for r in rows]
  labels = np.array([convert(r['label']) for r in rows], dtype=float)
  predictions = np.array([convert(r['prediction']) for r in rows],
                         dtype=float)
  return ids, labels, predictions


def _sort_key(example_id):
  return (0, int(example_id), '') if example_id.isdigit() else (
      1, 0, example_id)


def arm_predictions(runs: Sequence[Tuple[dict, str]]) -> Dict[str, dict]:
  """`runs`: (run.json record, run dir) of one arm's finished runs (one
  configuration per task). Returns the `example_predictions` entry."""
  out = {}
  for record, run_dir in runs:
    if record.get('status') != 'ok':
      continue
    task = task_names.parse_task(record['task'])
    path = os.path.join(run_dir, PREDICTIONS)
    if (not glue_tasks.is_glue(task) or len(task.dev_files) != 1
        or not tf.io.gfile.exists(path)):
      continue
    ids, labels, predictions = read_predictions(path, task)
    order = sorted(range(len(ids)), key=lambda i: _sort_key(ids[i]))
    entry = out.setdefault(record['task'], {
        'ids': [ids[i] for i in order],
        'labels': [float(labels[i]) for i in order], 'seeds': {}})
    entry['seeds'][int(record['seed'])] = [float(predictions[i])
                                           for i in order]
  return out


def task_statistic(task_name: str, num_seeds: int
                   ) -> Callable[[np.ndarray], float]:
  """rows `[n, 1 + num_seeds]` (label, then each seed's prediction) -> the
  seed-averaged task score in percent."""
  task = task_names.parse_task(task_name)

  def statistic(rows):
    return float(np.mean([
        glue_tasks.task_score(task, metrics_lib.glue_metrics(
            task.metrics, rows[:, 1 + s], rows[:, 0]))
        for s in range(num_seeds)]))
  return statistic


def bootstrap_rows(task_name: str, mine: dict, theirs: dict
                   ) -> Optional[Tuple[np.ndarray, np.ndarray,
                                       Optional[Callable]]]:
  """(a, b, statistic) for `significance.paired_bootstrap` over the dev
  examples of two arms' entries, over the seeds both have; None when they
  do not pair (other examples or labels, no common seed)."""
  seeds = sorted(set(mine['seeds']) & set(theirs['seeds']))
  if (not seeds or mine['ids'] != theirs['ids']
      or mine['labels'] != theirs['labels']):
    return None
  task = task_names.parse_task(task_name)
  labels = np.asarray(mine['labels'])
  a, b = (np.column_stack([labels] + [entry['seeds'][s] for s in seeds])
          for entry in (mine, theirs))
  if tuple(task.metrics) == ('accuracy',):  # mean of 0/1: vectorised
    return ((100.0 * np.mean(a[:, 1:] == a[:, :1], axis=1)),
            (100.0 * np.mean(b[:, 1:] == b[:, :1], axis=1)), None)
  return a, b, task_statistic(task_name, len(seeds))
