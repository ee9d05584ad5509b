"""One writer per `model_dir`: a lock file held for the whole job.

Each training CLI (`train`, `finetune`, `prefinetune`) holds
`<model_dir>/job.lock` while it runs (`held`; under `multi_worker_mirrored`
the chief does: the other workers write nothing there). The lock records the
holder's host, pid, start time and a heartbeat the holder refreshes every
`HEARTBEAT_SECONDS` from a background thread (so long evaluations and
checkpoint saves keep it alive). It is created through `owner_file` (rename
without overwrite, then read back), so it works on `gs://` as on a local
disk.

A second job pointed at the same `model_dir` stops before it reads or writes
anything there, in one line naming the holder. A lock is taken over, with a
line saying so, when its holder is gone: a process of this host that no
longer exists, or a heartbeat older than the lease (`LEASE_SECONDS`: a job
killed on another machine blocks a relaunch for at most that long). The lock
is removed when the job ends -- normally, on an error, or on the SIGTERM
preemption exit; only a SIGKILL or a lost machine leaves it behind.
"""
import contextlib
import os
import sys
import threading
import time
from typing import Callable, Iterator, Optional

from absl import logging

from official_ext import owner_file

LOCK_FILE = 'job.lock'
LEASE_SECONDS = 300.0
HEARTBEAT_SECONDS = 30.0


class ModelDirLockedError(RuntimeError):
  """Another live job holds the model_dir; the message names it."""


def _when(seconds: float) -> str:
  return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(seconds))


class ModelDirLock:
  """The lock of one `model_dir` (see the module docstring).

  Args:
    model_dir: the job's output directory (must exist).
    lease_seconds: a heartbeat older than this marks a holder as gone.
    heartbeat_seconds: how often the holder refreshes its heartbeat.
    print_fn: where the take-over line goes (default: stdout, flushed).
  """

  def __init__(self, model_dir: str, lease_seconds: float = LEASE_SECONDS,
               heartbeat_seconds: float = HEARTBEAT_SECONDS,
               print_fn: Optional[Callable[[str], None]] = None):
    self.path = os.path.join(model_dir, LOCK_FILE)
    self._model_dir = model_dir
    self._lease = lease_seconds
    self._heartbeat = heartbeat_seconds
    self._print = print_fn or (lambda line: print(line, flush=True))
    self._record = None
    self._stop = threading.Event()
    self._thread = None
    self.lost = False

  def _stale(self, holder: dict) -> Optional[str]:
    """Why `holder` no longer holds the lock, or None if it still does."""
    if not owner_file.alive(holder):
      return f"its process {holder.get('pid')} on this host is gone"
    age = time.time() - float(holder.get('heartbeat', 0) or 0)
    if age > self._lease:
      return (f'its last heartbeat is {age:.0f} s old (lease '
              f'{self._lease:.0f} s)')
    return None

  def acquire(self) -> None:
    """Takes the lock (over a stale one), or raises ModelDirLockedError."""
    now = time.time()
    record = {**owner_file.me(), 'started': now, 'heartbeat': now,
              'lease_seconds': self._lease,
              'command': ' '.join(sys.argv)[:300]}
    for _ in range(20):
      if owner_file.create(self.path, record):
        self._record = record
        self._start_heartbeat()
        return
      holder = owner_file.read(self.path)
      if holder is None:  # Half written or released meanwhile.
        time.sleep(0.05)
        continue
      reason = self._stale(holder)
      if reason is None:
        raise ModelDirLockedError(
            f'--model_dir {self._model_dir} is in use by process '
            f"{holder.get('pid')} on {holder.get('host')} (started "
            f"{_when(float(holder.get('started', 0)))}, heartbeat "
            f"{time.time() - float(holder.get('heartbeat', 0)):.0f} s ago): "
            'two jobs must not write one model_dir; stop that job or use '
            f'another --model_dir ({self.path} is taken over once its '
            f'holder is gone or its heartbeat is older than '
            f'{self._lease:.0f} s).')
      self._print(f"taking over the lock {self.path} of process "
                  f"{holder.get('pid')} on {holder.get('host')}: {reason}.")
      if owner_file.read(self.path) == holder:  # Not re-taken meanwhile.
        owner_file.remove(self.path)
    raise ModelDirLockedError(f'could not take the lock {self.path} (it '
                              'keeps changing hands).')

  def _start_heartbeat(self) -> None:
    self._stop.clear()
    self._thread = threading.Thread(target=self._beat, daemon=True,
                                    name='model_dir_lock_heartbeat')
    self._thread.start()

  def _beat(self) -> None:
    while not self._stop.wait(self._heartbeat):
      self.refresh()

  def refresh(self) -> None:
    """Writes a new heartbeat; notices a lock taken over by another job."""
    try:
      if not owner_file.same_process(owner_file.read(self.path),
                                     self._record):
        self.lost = True
        self._stop.set()
        holder = owner_file.read(self.path) or {}
        self._print(f'the lock {self.path} is now held by process '
                    f"{holder.get('pid')} on {holder.get('host')} (this job's "
                    'heartbeat lapsed): two jobs may be writing '
                    f'{self._model_dir}; stop one of them.')
        return
      self._record = {**self._record, 'heartbeat': time.time()}
      owner_file.replace(self.path, self._record)
    except Exception as e:  # pylint: disable=broad-except
      # A transient storage error: the next heartbeat tries again.
      logging.warning('model_dir lock heartbeat failed: %r', e)

  def release(self) -> None:
    """Stops the heartbeat and removes the lock if this job holds it."""
    self._stop.set()
    if self._thread is not None:
      self._thread.join(timeout=10)
    if self._record and owner_file.same_process(
        owner_file.read(self.path), self._record):
      owner_file.remove(self.path)
    self._record = None


@contextlib.contextmanager
def held(model_dir: str, chief: bool = True,
         print_fn: Optional[Callable[[str], None]] = None,
         **kwargs) -> Iterator[Optional[ModelDirLock]]:
  """Holds `model_dir`'s lock for the `with` block (the chief only: other
  workers get None); released however the block ends (SystemExit too)."""
  if not chief:
    yield None
    return
  lock = ModelDirLock(model_dir, print_fn=print_fn, **kwargs)
  lock.acquire()
  try:
    yield lock
  finally:
    lock.release()
