"""Ties a worker process's life to its parent's: no orphans, whatever kills it.

A spawned `multiprocessing` worker blocked on its inbox outlives a parent
killed by SIGKILL (nothing runs in the parent to stop it), and while it lives
it also keeps `multiprocessing`'s resource tracker alive. `bind_to_parent`,
called first thing in the worker:

  * on Linux asks the kernel to send the worker SIGKILL when its parent dies
    (`prctl(PR_SET_PDEATHSIG)`, through ctypes);
  * everywhere starts a daemon thread that polls the parent's pid and ends
    the process (`os._exit`) once the worker has been re-parented;
  * exits at once if the parent is already gone (it died before the call).

With every worker gone the resource tracker sees its pipe close and exits.
"""
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHAN_EXIT_CODE = 70


def _set_parent_death_signal(sig: int) -> bool:
  """True when the kernel will send `sig` at the parent's death (Linux)."""
  if not sys.platform.startswith("linux"):
    return False
  try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                       use_errno=True)
    return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
  except (OSError, AttributeError):
    return False


def _watch(parent_pid: int, poll_seconds: float):
  while True:
    if os.getppid() != parent_pid:
      os._exit(ORPHAN_EXIT_CODE)  # pylint: disable=protected-access
    time.sleep(poll_seconds)


def bind_to_parent(parent_pid: int, poll_seconds: float = 0.5) -> bool:
  """Makes this process end when `parent_pid` (its parent) ends.

  Args:
    parent_pid: the pid of the process that started this one.
    poll_seconds: the watchdog thread's polling period.

  Returns:
    True when the kernel delivers the signal (Linux); the watchdog thread
    runs either way.
  """
  kernel = _set_parent_death_signal(signal.SIGKILL)
  if os.getppid() != parent_pid:  # the parent died before we asked
    os._exit(ORPHAN_EXIT_CODE)  # pylint: disable=protected-access
  threading.Thread(target=_watch, args=(parent_pid, poll_seconds),
                   name="parent-watchdog", daemon=True).start()
  return kernel
