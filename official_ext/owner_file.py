"""A JSON file that one process owns: created only if absent, on any filesystem.

Used for the comparison's stage claims (`compare/stage_claim.py`) and the
training jobs' `model_dir` lock (`trainer/model_dir_lock.py`). Everything
goes through `tf.io.gfile`, so local disks and `gs://` behave alike.

`gs://` has no O_EXCL through `tf.io.gfile`; `create` writes the record
under a name of this process's own, renames it onto the owner file without
overwriting, then reads it back: the rename's existence check and move are
two steps on an object store, so of two processes racing, the one whose
record is not the one read back has lost.
"""
import json
import os
import socket
from typing import Optional

import tensorflow as tf


def me() -> dict:
  """`{'host': ..., 'pid': ...}` of this process."""
  return {'host': socket.gethostname(), 'pid': os.getpid()}


def create(path: str, record: dict) -> bool:
  """Writes `record` to `path` unless the file exists; True when this
  process's record is the one in place (see the module docstring)."""
  tmp = os.path.join(os.path.dirname(path),
                     f'.{os.path.basename(path)}-{record["host"]}-'
                     f'{record["pid"]}.tmp')
  with tf.io.gfile.GFile(tmp, 'w') as f:
    f.write(json.dumps(record))
  try:
    tf.io.gfile.rename(tmp, path, overwrite=False)
  except tf.errors.AlreadyExistsError:
    tf.io.gfile.remove(tmp)
    return False
  return read(path) == record


def replace(path: str, record: dict) -> None:
  """Rewrites an owned file with `record` (a temporary file, then a rename
  over it: a reader never sees half a record)."""
  tmp = f'{path}.{record["pid"]}.tmp'
  with tf.io.gfile.GFile(tmp, 'w') as f:
    f.write(json.dumps(record))
  tf.io.gfile.rename(tmp, path, overwrite=True)


def read(path: str) -> Optional[dict]:
  """The record at `path`; None when there is none (or half of one)."""
  try:
    with tf.io.gfile.GFile(path) as f:
      return json.loads(f.read() or 'null')
  except (tf.errors.NotFoundError, ValueError):
    return None


def remove(path: str) -> None:
  """Deletes `path` if it is there."""
  try:
    tf.io.gfile.remove(path)
  except tf.errors.NotFoundError:
    pass


def same_process(a: Optional[dict], b: Optional[dict]) -> bool:
  """Whether two records name the same process (host and pid)."""
  return bool(a and b) and (a.get('host'), a.get('pid')) == (
      b.get('host'), b.get('pid'))


def alive(owner: dict) -> bool:
  """False only for a process known dead (this host, no such pid)."""
  if owner.get('host') != socket.gethostname():
    return True
  try:
    os.kill(int(owner['pid']), 0)
  except ProcessLookupError:
    return False
  except (PermissionError, KeyError, TypeError, ValueError):
    return True
  return True
