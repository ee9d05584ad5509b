"""A checkpoint save that fails leaves the previous checkpoint, says so, stops.

What TensorFlow does on a save (checked in its `functional_saver`): the
data shards go to `ckpt-N_temp/part-*` and are then merged and renamed into
`ckpt-N.data-*`, the index `ckpt-N.index` is written after them, and the
`checkpoint` state file is rewritten (atomically) last. A save that fails
part-way -- a full disk (ENOSPC: `ResourceExhaustedError`, or `OSError`
from Python writes), a bucket refusing writes -- can leave `ckpt-N_temp/`
and data files without an index, never an older checkpoint's files changed.
`save` removes those leftovers (`discard_partial`; an index already
written whose checkpoint reads in full is kept), reads the newest remaining
checkpoint back in full and raises `CheckpointSaveError` with one line:

  saving checkpoint .../ckpt-30 failed (ResourceExhaustedError: ... No space
  left on device); the newest checkpoint, .../ckpt-20, is intact and
  readable; stopping. Free space (or fix the storage), then rerun the same
  command to resume from it.

The CLIs print it and exit 1. Transient errors of remote storage
(`UnavailableError`, `DeadlineExceededError`, `AbortedError`: a GCS 503 or
timeout) are retried `RETRIES` = 3 times, after 2, 4 and 8 s, each with one
line; a fourth failure stops the job as above.
"""
import os
import time
from typing import Callable, Optional

import tensorflow as tf

from official_ext.trainer import checkpoint_fallback

TRANSIENT = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
             tf.errors.AbortedError)
RETRIES = 3
BACKOFF_SECONDS = 2.0


class CheckpointSaveError(RuntimeError):
  """A save failed; the message names the checkpoint kept."""


def discard_partial(prefix: str) -> None:
  """Removes what a failed save of `prefix` left (temp dir, data without a
  complete, readable index)."""
  temp = prefix + '_temp'
  if tf.io.gfile.exists(temp):
    tf.io.gfile.rmtree(temp)
  index = prefix + '.index'
  if (tf.io.gfile.exists(index)
      and checkpoint_fallback.missing_shards(prefix) is None
      and checkpoint_fallback.readable(prefix) is None):
    return  # Written in full before the failure (e.g. of the state file).
  for path in tf.io.gfile.glob(prefix + '.data-*') + (
      [index] if tf.io.gfile.exists(index) else []):
    tf.io.gfile.remove(path)


def _kept(directory, print_fn) -> str:
  try:
    newest = checkpoint_fallback.newest_readable(directory, print_fn)
  except checkpoint_fallback.NoReadableCheckpointError as e:
    return f'no earlier checkpoint reads either ({e})'
  if newest is None:
    return 'there is no earlier checkpoint'
  return f'the newest checkpoint, {newest}, is intact and readable'


def save(attempt: Callable[[], str], prefix: str,
         print_fn: Optional[Callable[[str], None]] = None,
         retries: Optional[int] = None,
         backoff_seconds: Optional[float] = None,
         sleep: Callable[[float], None] = time.sleep) -> str:
  """Runs `attempt()` (one save of `prefix`); returns its path (module
  docstring: retries, clean-up, CheckpointSaveError). `retries` and
  `backoff_seconds` default to RETRIES and BACKOFF_SECONDS."""
  say = print_fn or (lambda line: print(line, flush=True))
  retries = RETRIES if retries is None else retries
  backoff_seconds = (BACKOFF_SECONDS if backoff_seconds is None
                     else backoff_seconds)
  tries = 0
  while True:
    try:
      return attempt()
    except (tf.errors.OpError, OSError) as e:
      reason = checkpoint_fallback.one_line(e)
      discard_partial(prefix)
      if isinstance(e, TRANSIENT) and tries < retries:
        delay = backoff_seconds * 2 ** tries
        tries += 1
        say(f'saving checkpoint {prefix} failed ({reason}); retrying in '
            f'{delay:g} s (retry {tries} of {retries}).')
        sleep(delay)
        continue
      raise CheckpointSaveError(
          f'saving checkpoint {prefix} failed ({reason}); '
          f'{_kept(os.path.dirname(prefix), print_fn)}; stopping. Free '
          'space (or fix the storage), then rerun the same command to '
          'resume from it.') from e
