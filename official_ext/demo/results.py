"""What a demo's fine-tuning runs scored: seed scores by size, summary.json.

Each encoder is fine-tuned in its own folder by `official_ext.finetune`;
its `results.csv` lists every run with its `run_dir`, whose `run.json`
says how many examples the run trained on. `scores` reads them as
`{training examples: [seed scores]}` (finished runs only), the input of
`learning_curve.points`. `summary` is the machine-readable record of a
demo run (`summary.json`):

  {"seconds": total, "stages": {name: seconds},
   "encoders": {name: {"n": {"100": {"median", "min", "max", "seeds"}, ...,
                             "all": {...}}}}, ...}
"""

import csv
import json
import os
from typing import Dict, List, Mapping, Sequence, Tuple

import tensorflow as tf

from official_ext import learning_curve

SUMMARY_FILE = 'summary.json'


def finished_runs(model_dir: str) -> List[Tuple[int, float]]:
  """(training examples, score) of each finished run in `model_dir`."""
  path = os.path.join(model_dir, 'results.csv')
  if not tf.io.gfile.exists(path):
    return []
  with tf.io.gfile.GFile(path) as f:
    rows = [r for r in csv.DictReader(f) if r['status'] == 'ok']
  out = []
  for row in rows:
    with tf.io.gfile.GFile(os.path.join(row['run_dir'], 'run.json')) as f:
      out.append((json.load(f).get('num_train'), float(row['score'])))
  return out


def scores(model_dirs: Sequence[str]) -> Dict[int, List[float]]:
  """{training examples: [scores]} over the finished runs of `model_dirs`."""
  by_size = {}
  for model_dir in model_dirs:
    for size, score in finished_runs(model_dir):
      by_size.setdefault(size, []).append(score)
  return by_size


def size_name(size: int, full_size: int) -> str:
  """`all` for the whole training set, else the size (`"100"`)."""
  return 'all' if size == full_size else str(size)


def summary(total_seconds: float, stage_seconds: Mapping[str, float],
            curves: Mapping[str, Sequence[learning_curve.Point]],
            full_size: int, **extra) -> dict:
  """The summary.json record (module docstring); `extra` adds keys."""
  encoders = {}
  for name, points in curves.items():
    encoders[name] = {'n': {
        size_name(p.size, full_size): {
            'median': round(p.median, 2), 'min': round(p.low, 2),
            'max': round(p.high, 2), 'seeds': p.seeds}
        for p in points}}
  return {'seconds': round(total_seconds, 1),
          'stages': {k: round(v, 1) for k, v in stage_seconds.items()},
          'encoders': encoders, **extra}
