"""One job stage as its own process: `python -m <module> <flags>`, logged.

The demos (`official_ext/demo/`) and
the comparison pipeline (`official_ext/compare/`) run every stage (build
data, pretrain, export, fine-tune) this way: a fresh process per stage, so a
stage's TensorFlow state never leaks into the next and a crash takes down
only that stage. Its stdout and stderr go to a log file (through
`tf.io.gfile`, so the log may be remote); a failure raises `StageError`
naming the stage, the exit status and the log's last lines.
`stop_all` forwards a signal (SIGTERM: preemption) to every running stage
and makes later `run_module` calls refuse to start (a job's SIGTERM
handler calls it; `official_ext.train` checkpoints and exits on SIGTERM).
"""
import collections
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Sequence

import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TAIL_LINES = 15
_RUNNING = set()
_LOCK = threading.Lock()
_STOPPED = []


class StageError(RuntimeError):
  """A stage's process failed; the message names the stage and its log."""


def run_module(name: str, args: Sequence[str], log_dir: str,
               label: str = 'demo',
               echo: Callable[[str], None] = None) -> float:
  """Runs `python -m args...` from the repo root; returns its seconds.

  Args:
    name: the stage's name, also its log's (`<log_dir>/<name>.log`).
    args: the module and its flags, e.g. ['official_ext.export', ...].
    log_dir: where the log goes (created).
    label: the progress lines' prefix (`[label] name: ...`).
    echo: where progress lines go (default: print, flushed).

  Raises:
    StageError: the process exited non-zero.
  """
  echo = echo or (lambda line: print(line, flush=True))
  if _STOPPED:
    raise StageError(f'stage {name!r} not started: the job is stopping')
  tf.io.gfile.makedirs(log_dir)
  log = os.path.join(log_dir, f'{name}.log')
  start = time.time()
  echo(f'[{label}] {name}: running (log: {log})')
  tail = collections.deque(maxlen=_TAIL_LINES)
  with tf.io.gfile.GFile(log, 'w') as f, subprocess.Popen(
      [sys.executable, '-m'] + list(args), cwd=REPO, stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT, text=True,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')) as proc:
    with _LOCK:
      _RUNNING.add(proc)
      if _STOPPED:  # stop_all ran between the check above and the start.
        proc.send_signal(_STOPPED[0])
    try:
      for line in proc.stdout:
        f.write(line)
        f.flush()
        tail.append(line)
    finally:
      with _LOCK:
        _RUNNING.discard(proc)
  seconds = time.time() - start
  if _STOPPED:  # it may have checkpointed and exited 0 on the signal
    raise StageError(f'stage {name!r} stopped by signal {_STOPPED[0]} '
                     f'(exit {proc.returncode}); a rerun resumes it')
  if proc.returncode:
    raise StageError(f'stage {name!r} failed (exit {proc.returncode}); last '
                     f"lines of {log}:\n{''.join(tail)}")
  echo(f'[{label}] {name}: done in {seconds:.0f}s')
  return seconds


def stop_all(signum: int = signal.SIGTERM) -> int:
  """Sends `signum` to every running stage; no new stage starts after.
  Returns how many processes it signalled."""
  with _LOCK:  # With run_module's check: no stage starts unsignalled.
    _STOPPED.append(signum)
    running = list(_RUNNING)
  for proc in running:
    try:
      proc.send_signal(signum)
    except ProcessLookupError:
      pass
  return len(running)
