"""Corrupt records met while training: one line naming the shard, or skipped.

TensorFlow stops at a record whose CRC fails (a flipped byte, a truncated
copy) with `DataLossError: corrupted record at N`, naming no file. The
spine's controller hands that error to `CorruptRecords`, which finds the
shard and frame (`data/record_integrity.locate`) among the job's record
files and

  * by default stops the job with one line (exit 1):
      corrupt record in .../part-00002-of-00003.tfrecord at byte offset
      20484 (data CRC mismatch), met after step 17; rerun with
      --skip_corrupt_records to skip such records, or recopy (or rebuild)
      the shard.
  * with `--skip_corrupt_records`, writes the shard without its bad frames
    to `<checkpoint_dir>/repaired_records/` (every good record verbatim, in
    order), records the substitution in `repaired_records.json`, prints one
    line with the count, adds it to the TensorBoard scalar
    `corrupt_records_skipped`, and lets training go on from the step
    reached, on the repaired copy. The dataset builders read every record
    path through `substitute`, so a resumed job reads the copy too, and
    the data position stays a function of the step.

The normal path costs nothing: the shards are read by TensorFlow's own
reader as before (one small JSON read per dataset build). Skipping is for
single-worker jobs; under `multi_worker_mirrored` a corrupt record stops
the job with the line above.
"""
import hashlib
import json
import os
from typing import Callable, List, Optional, Sequence

import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.data import record_integrity

REPAIRS_FILE = 'repaired_records.json'
REPAIR_DIR = 'repaired_records'
SCALAR = 'corrupt_records_skipped'


class CorruptRecordError(RuntimeError):
  """A record does not read; the message names the shard and offset."""


def _repairs(directory: Optional[str]) -> dict:
  path = os.path.join(directory or '', REPAIRS_FILE)
  if not directory or not tf.io.gfile.exists(path):
    return {}
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def substitute(directory: Optional[str], files: Sequence[str]) -> List[str]:
  """`files` with each shard repaired in `directory` replaced by its copy."""
  repairs = _repairs(directory)
  return [repairs[f]['copy'] if f in repairs else f for f in files]


def skipped(directory: Optional[str]) -> int:
  """Corrupt records skipped so far in `directory`."""
  return sum(len(r['bad']) for r in _repairs(directory).values())


def _copy_path(directory: str, shard: str) -> str:
  tag = hashlib.sha256(shard.encode()).hexdigest()[:8]
  return os.path.join(directory, REPAIR_DIR,
                      f'{tag}-{os.path.basename(shard)}')


class CorruptRecords:
  """Handles a `DataLossError` raised while reading records (module doc).

  Args:
    directory: the checkpoint dir (substitutions and copies are kept there).
    files: every record file the job reads (as its config names them).
    skip: `--skip_corrupt_records`.
    summary_dir: TensorBoard dir of the count (None: none).
    print_fn: where lines go (default: stdout, flushed).
  """

  def __init__(self, directory: str, files: Sequence[str], skip: bool,
               summary_dir: Optional[str] = None,
               print_fn: Optional[Callable[[str], None]] = None):
    self._dir, self._files, self._skip = directory, list(files), skip
    self._summary_dir = summary_dir
    self._print = print_fn or (lambda line: print(line, flush=True))

  def __call__(self, error: tf.errors.DataLossError, step: int) -> None:
    """Raises CorruptRecordError (stop), or repairs and returns (skip);
    re-raises `error` when no record file has a bad frame there."""
    repairs = _repairs(self._dir)
    bad = record_integrity.locate(substitute(self._dir, self._files),
                                  error.message)
    if bad is None:
      raise error
    copies = {r['copy'] for r in repairs.values()}
    if not self._skip or bad.path in copies:
      raise CorruptRecordError(
          f'corrupt record in {bad.describe()}, met after step {step}; rerun '
          'with --skip_corrupt_records to skip such records, or recopy (or '
          'rebuild) the shard.') from None
    copy = _copy_path(self._dir, bad.path)
    tf.io.gfile.makedirs(os.path.dirname(copy))
    left_out = record_integrity.copy_good_records(bad.path, copy)
    repairs[bad.path] = {'copy': copy, 'at_step': step, 'bad': [
        {'offset': b.offset, 'reason': b.reason} for b in left_out]}
    output_dir_lib.write_json(os.path.join(self._dir, REPAIRS_FILE), repairs)
    total = skipped(self._dir)
    self._print(f'skipping {len(left_out)} corrupt record(s) of '
                f'{bad.describe()}: training goes on from step {step} on a '
                f'repaired copy, {copy} ({total} corrupt record(s) skipped '
                'in this job).')
    if self._summary_dir:
      writer = tf.summary.create_file_writer(self._summary_dir)
      with writer.as_default():
        tf.summary.scalar(SCALAR, total, step=step)
      writer.close()
