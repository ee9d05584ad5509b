"""official_ext/compare/stages.py: finished stages are not run again."""
import os

import pytest

from official_ext.compare import stages


def test_runs_once_and_returns_the_record(tmp_path):
  calls, lines = [], []

  def work(stage_dir):
    calls.append(stage_dir)
    return {'steps': 10}

  stage_dir = os.path.join(str(tmp_path), 'arms', 'teams')
  first = stages.run_stage('pretrain teams', stage_dir, work, lines.append)
  second = stages.run_stage('pretrain teams', stage_dir, work, lines.append)
  assert calls == [stage_dir]
  assert first == second
  assert first['steps'] == 10 and first['stage'] == 'pretrain teams'
  assert lines[0] == f'pretrain teams: running in {stage_dir}'
  assert lines[-1].startswith('pretrain teams: done before (')
  assert lines[-1].endswith('s), skipping')
  assert stages.done_record(stage_dir) == first


def test_interrupted_stage_runs_again(tmp_path):
  stage_dir = str(tmp_path)
  progress = []

  def work(directory):
    # Resumes from its own "checkpoint" in the stage directory.
    path = os.path.join(directory, 'ckpt')
    done = int(open(path).read()) if os.path.exists(path) else 0
    progress.append(done)
    with open(path, 'w') as f:
      f.write(str(done + 1))
    if done == 0:
      raise KeyboardInterrupt
    return {'resumed_from': done}

  with pytest.raises(KeyboardInterrupt):
    stages.run_stage('s', stage_dir, work, lambda _: None)
  assert stages.done_record(stage_dir) is None
  record = stages.run_stage('s', stage_dir, work, lambda _: None)
  assert record['resumed_from'] == 1
  assert progress == [0, 1]
  assert not os.path.exists(os.path.join(stage_dir, 'stage.json.tmp'))


def test_wall_time_adds_up_every_attempt(tmp_path, monkeypatch):
  clock = iter([100.0, 130.0, 200.0, 210.0, 210.0])
  monkeypatch.setattr(stages.time, 'time', lambda: next(clock))
  attempts = []

  def work(_):
    attempts.append(1)
    if len(attempts) == 1:
      raise KeyboardInterrupt  # after 30 s
    return {}

  with pytest.raises(KeyboardInterrupt):
    stages.run_stage('s', str(tmp_path), work, lambda _: None)
  record = stages.run_stage('s', str(tmp_path), work, lambda _: None)
  assert record['seconds'] == 40.0  # 30 s interrupted + 10 s finishing
  assert record['attempts'] == 2
