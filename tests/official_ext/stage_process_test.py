"""official_ext/stage_process.py: a module run as its own process, logged."""
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
