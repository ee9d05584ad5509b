"""Resumable stages: a comparison is a list of stages, each skipped once done.

A stage (pretrain an arm, export it, one fine-tuning run, ...) works in its
own directory and resumes from its own checkpoints there; `run_stage` marks
it done by writing `stage.json` (atomically: temporary file + rename) with
what the stage returned, and on a rerun returns that record without calling
the stage again. A crash or Ctrl-C therefore loses at most the running
stage's work since its last checkpoint. The wall time of an attempt that
raised (Ctrl-C included) is kept in `attempts.json`, so the finished record's
'seconds' is the stage's whole time over every attempt (a process killed
outright, SIGKILL, cannot leave its time behind).
"""
import json
import os
import time
from typing import Callable, Optional

import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.compare import stage_claim

DONE_FILE = 'stage.json'
ATTEMPTS_FILE = 'attempts.json'


def done_record(stage_dir: str) -> Optional[dict]:
  """The finished stage's record, or None when it has not finished."""
  path = os.path.join(stage_dir, DONE_FILE)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def _earlier_attempts(stage_dir: str) -> list:
  """Seconds of each earlier attempt that raised."""
  path = os.path.join(stage_dir, ATTEMPTS_FILE)
  if not tf.io.gfile.exists(path):
    return []
  with tf.io.gfile.GFile(path) as f:
    return list(json.load(f))


def run_stage(name: str, stage_dir: str, work: Callable[[str], dict],
              log: Callable[[str], None] = print,
              poll_seconds: float = 10.0) -> dict:
  """Runs `work(stage_dir)` unless the stage finished before.

  Args:
    name: the stage's name in progress lines ('pretrain teams').
    stage_dir: the stage's directory (created).
    work: stage_dir -> JSON-serialisable dict, the stage's result.
    log: where progress lines go.
    poll_seconds: how often to look whether a stage another live process
      claimed (`stage_claim`) has finished.

  Returns:
    The stage's record: its result plus 'stage', 'seconds' (wall time of
    every attempt), 'attempts' and 'finished' (UNIX time).
  """
  record = done_record(stage_dir)
  if record is not None:
    log(f'{name}: done before ({record["seconds"]:.0f} s), skipping')
    return record
  tf.io.gfile.makedirs(stage_dir)
  if not stage_claim.acquire(
      stage_dir, name, lambda: done_record(stage_dir) is not None, log,
      poll_seconds) or done_record(stage_dir) is not None:
    # Another process finished it (while this one waited, or just before
    # this one's claim).
    stage_claim.release(stage_dir)
    log(f'{name}: finished by another process')
    return done_record(stage_dir)
  log(f'{name}: running in {stage_dir}')
  earlier = _earlier_attempts(stage_dir)
  start = time.time()
  try:
    result = work(stage_dir)
    record = dict(result or {})
    record.update(stage=name,
                  seconds=round(time.time() - start + sum(earlier), 2),
                  attempts=len(earlier) + 1, finished=round(time.time(), 2))
    # Marked done before the claim goes: a waiting process never finds the
    # stage both unclaimed and unfinished.
    output_dir_lib.write_json(os.path.join(stage_dir, DONE_FILE), record)
  except BaseException:
    output_dir_lib.write_json(os.path.join(stage_dir, ATTEMPTS_FILE),
                              earlier + [round(time.time() - start, 2)])
    raise
  finally:
    stage_claim.release(stage_dir)
  log(f'{name}: done in {record["seconds"]:.0f} s')
  return record
