"""official_ext/stage_process.py: a module run as its own process, logged;
stop_all (SIGTERM forwarding)."""
import signal
import threading
import time

import pytest

from official_ext import stage_process


def test_output_goes_to_the_log_and_progress_lines(tmp_path):
  lines = []
  seconds = stage_process.run_module('hello', ['platform'],
                                     str(tmp_path / 'logs'), label='t',
                                     echo=lines.append)
  log = tmp_path / 'logs' / 'hello.log'
  assert log.read_text().strip()  # `python -m platform` prints the platform
  assert seconds > 0
  assert lines[0] == f'[t] hello: running (log: {log})'
  assert lines[1].startswith('[t] hello: done in ')


def test_failure_names_the_stage_exit_and_log_tail(tmp_path):
  with pytest.raises(stage_process.StageError) as e:
    stage_process.run_module('broken', ['official_ext.no_such_module'],
                             str(tmp_path), echo=lambda _: None)
  message = str(e.value)
  assert message.startswith(f"stage 'broken' failed (exit 1); last lines of "
                             f"{tmp_path / 'broken.log'}:\n")
  assert 'No module named official_ext.no_such_module' in message


def test_stop_all_signals_running_stages_and_refuses_new_ones(tmp_path):
  errors = []

  def sleeper():
    try:
      stage_process.run_module(
          'sleep', ['timeit', '-n', '1', 'import time; time.sleep(60)'],
          str(tmp_path), echo=lambda _: None)
    except stage_process.StageError as e:
      errors.append(str(e))
  thread = threading.Thread(target=sleeper)
  thread.start()
  try:
    while not stage_process._RUNNING:  # pylint: disable=protected-access
      time.sleep(0.01)
    assert stage_process.stop_all(signal.SIGTERM) == 1
    thread.join(timeout=30)
    assert errors and errors[0].startswith(
        f"stage 'sleep' stopped by signal {int(signal.SIGTERM)}")
    with pytest.raises(stage_process.StageError,
                       match="stage 'next' not started: the job is stopping"):
      stage_process.run_module('next', ['platform'], str(tmp_path))
  finally:
    stage_process._STOPPED.clear()  # pylint: disable=protected-access


def test_a_stage_starting_as_the_stop_comes_is_signalled(tmp_path,
                                                         monkeypatch):
  """stop_all runs after run_module's check but before its process is
  registered: the new process still gets the signal (no orphan stage)."""
  real_popen = stage_process.subprocess.Popen

  def popen_then_stop(*args, **kwargs):
    proc = real_popen(*args, **kwargs)
    stage_process.stop_all(signal.SIGTERM)  # nothing registered yet
    return proc

  monkeypatch.setattr(stage_process.subprocess, 'Popen', popen_then_stop)
  start = time.time()
  try:
    with pytest.raises(stage_process.StageError,
                       match=f"stopped by signal {int(signal.SIGTERM)}"):
      stage_process.run_module(
          'late', ['timeit', '-n', '1', 'import time; time.sleep(60)'],
          str(tmp_path), echo=lambda _: None)
  finally:
    stage_process._STOPPED.clear()  # pylint: disable=protected-access
  assert time.time() - start < 30
