"""One process per stage: comparison processes sharing an output directory.

Processes with disjoint `--arms` may share `--output_dir`; their arm stages
are disjoint, but they all need the data stages first. Before a stage runs,
its process claims it by creating `<stage_dir>/claim.json` (host and pid,
renamed into place without overwriting an existing claim: `owner_file`).
A process that finds another live process's claim waits for that stage to
finish and then reads its record instead of building it again; a claim left
by a process that died on this host is taken over. The claim is removed when
the stage ends, finished or not.
"""
import os
import time
from typing import Callable

from official_ext import owner_file

CLAIM_FILE = 'claim.json'


def acquire(stage_dir: str, name: str, finished: Callable[[], bool],
            log: Callable[[str], None] = print,
            poll_seconds: float = 10.0) -> bool:
  """Claims the stage: True when this process should run it, False when
  another process finished it while this one waited (`finished()`)."""
  path = os.path.join(stage_dir, CLAIM_FILE)
  me, waiting = owner_file.me(), False
  while True:
    if owner_file.create(path, me):
      return True
    owner = owner_file.read(path)
    if owner is None:  # Removed (or half written) meanwhile: try again.
      time.sleep(min(poll_seconds, 0.1))
      continue
    if owner == me:
      return True
    if not owner_file.alive(owner):
      log(f"{name}: taking over from process {owner['pid']}, which died")
      owner_file.remove(path)
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
  if owner_file.read(path) == owner_file.me():
    owner_file.remove(path)
