"""Workers end with their parent, even when the parent is killed by SIGKILL."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools.s6_runners import worker_lifetime

# A parent that spawns one child which binds to it, prints the child's pid
# and then waits to be killed. `use_kernel=False` leaves only the watchdog.
_PARENT = textwrap.dedent("""
    import multiprocessing, os, sys, time
    from tfrecords_tools.s6_runners import worker_lifetime

    def child(parent_pid, use_kernel):
      if not use_kernel:
        worker_lifetime._set_parent_death_signal = lambda sig: False
      worker_lifetime.bind_to_parent(parent_pid, poll_seconds=0.1)
      time.sleep(600)

    if __name__ == "__main__":
      ctx = multiprocessing.get_context("spawn")
      p = ctx.Process(target=child, args=(os.getpid(), sys.argv[1] == "1"))
      p.start()
      print(p.pid, flush=True)
      time.sleep(600)
""")


def _alive(pids):
  alive = []
  for pid in pids:
    try:
      if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        alive.append(pid)
    except psutil.NoSuchProcess:
      pass
  return alive


def _wait_gone(pids, seconds=5.0):
  deadline = time.time() + seconds
  while _alive(pids) and time.time() < deadline:
    time.sleep(0.1)
  return _alive(pids)


@pytest.mark.parametrize("use_kernel", [True, False])
def test_child_ends_when_its_parent_is_killed(tmp_path, use_kernel):
  script = tmp_path / "parent.py"
  script.write_text(_PARENT)
  parent = subprocess.Popen(
      [sys.executable, str(script), "1" if use_kernel else "0"],
      stdout=subprocess.PIPE, text=True, cwd=fx.REPO,
      env=dict(os.environ, PYTHONPATH=fx.REPO))
  try:
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the child has bound itself
    assert _alive([child]) == [child]
    descendants = [p.pid for p in psutil.Process(parent.pid).children(
        recursive=True)]
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    assert _wait_gone(descendants) == []
  finally:
    if parent.poll() is None:
      parent.kill()


def test_a_child_whose_parent_is_already_gone_exits_at_once():
  # The pid passed is not this process's parent: as if the parent had died
  # (and the child been re-parented) before the call.
  code = subprocess.run(
      [sys.executable, "-c", "import os; from tfrecords_tools.s6_runners "
       "import worker_lifetime as w; w.bind_to_parent(os.getppid() + 1); "
       "print('still alive')"], capture_output=True, text=True,
      cwd=fx.REPO, env=dict(os.environ, PYTHONPATH=fx.REPO), timeout=60,
      check=False)
  assert code.returncode == worker_lifetime.ORPHAN_EXIT_CODE
  assert "still alive" not in code.stdout


def test_builder_workers_end_when_the_builder_is_killed(tmp_path):
  """SIGKILL of a 2-worker build leaves no worker, no resource tracker."""
  out = str(tmp_path / "out")
  proc = subprocess.Popen(
      [sys.executable, "-m", "tfrecords_tools.create_pretraining_data",
       f"--vocab_file={fx.VOCAB}", f"--input_file={fx.CORPUS}",
       f"--output_dir={out}", "--max_seq_length=64", "--dupe_factor=20",
       "--num_workers=2", "--num_shards=2"],
      cwd=fx.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  try:
    deadline = time.time() + 120
    children = []
    while time.time() < deadline and proc.poll() is None:
      children = psutil.Process(proc.pid).children(recursive=True)
      if len(children) >= 3:  # two workers and the resource tracker
        break
      time.sleep(0.1)
    assert proc.poll() is None, "the build ended before it could be killed"
    assert len(children) >= 3, [c.cmdline() for c in children]
    time.sleep(1.0)  # the workers are inside their loop
    pids = [c.pid for c in children]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _wait_gone(pids) == [], [
        psutil.Process(p).cmdline() for p in _alive(pids)]
  finally:
    if proc.poll() is None:
      proc.kill()
