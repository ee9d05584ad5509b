"""One process per stage: comparison processes sharing an output directory.

Processes with disjoint `--arms` may share `--output_dir`; their arm stages
are disjoint, but they all need the data stages first. Before a stage runs,
its process claims it by creating `<stage_dir>/claim.json` (host and pid,
renamed into place without overwriting an existing claim).
A process that finds another live process's claim waits for that stage to
finish and then reads its record instead of building it again; a claim left
by a process that died on this host is taken over. The claim is removed when
the stage ends, finished or not.
"""
import json
import os
import socket
import time
from typing import Callable, Optional

import tensorflow as tf

CLAIM_FILE = 'claim.json'


def _me() -> dict:
  return {'host': socket.gethostname(), 'pid': os.getpid()}


def _create(path: str, owner: dict) -> bool:
  """Writes `owner` to `path` unless the file exists; True when this
  process's claim is the one in place.

  The claim is written under a name of this process's own, renamed onto
  `path` without overwriting (`tf.io.gfile`: local disk and `gs://` alike),
  and read back: the rename's existence check and move are two steps, so of
  two processes racing, the one whose claim is not the one read back loses.
  """
  tmp = os.path.join(os.path.dirname(path),
                     f".claim-{owner['host']}-{owner['pid']}.tmp")
  with tf.io.gfile.GFile(tmp, 'w') as f:
    f.write(json.dumps(owner))
  try:
    tf.io.gfile.rename(tmp, path, overwrite=False)
  except tf.errors.AlreadyExistsError:
    tf.io.gfile.remove(tmp)
    return False
  return _owner(path) == owner


def _owner(path: str) -> Optional[dict]:
  try:
    with tf.io.gfile.GFile(path) as f:
      return json.loads(f.read() or 'null')
  except (tf.errors.NotFoundError, ValueError):
    return None


def _alive(owner: dict) -> bool:
  """False only for a process known dead (same host, no such pid)."""
  if owner.get('host') != socket.gethostname():
    return True
  try:
    os.kill(int(owner['pid']), 0)
  except ProcessLookupError:
    return False
  except (PermissionError, KeyError, TypeError, ValueError):
    return True
  return True


def acquire(stage_dir: str, name: str, finished: Callable[[], bool],
            log: Callable[[str], None] = print,
            poll_seconds: float = 10.0) -> bool:
  """Claims the stage: True when this process should run it, False when
  another process finished it while this one waited (`finished()`)."""
  path = os.path.join(stage_dir, CLAIM_FILE)
  me, waiting = _me(), False
  while True:
    if _create(path, me):
      return True
    owner = _owner(path)
    if owner is None:  # Removed (or half written) meanwhile: try again.
      time.sleep(min(poll_seconds, 0.1))
      continue
    if owner == me:
      return True
    if not _alive(owner):
      log(f"{name}: taking over from process {owner['pid']}, which died")
      tf.io.gfile.remove(path)
      continue
    if not waiting:
      log(f"{name}: process {owner.get('pid')} on {owner.get('host')} is "
          f'running it; waiting (remove {path} if that process is gone)')
      waiting = True
    time.sleep(poll_seconds)
    if finished():
      return False


def release(stage_dir: str) -> None:
  """Removes this process's claim (another's is left alone)."""
  path = os.path.join(stage_dir, CLAIM_FILE)
  if _owner(path) == _me():
    tf.io.gfile.remove(path)
