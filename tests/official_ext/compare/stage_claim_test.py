"""official_ext/compare/stage_claim.py: a stage shared by two comparison
processes runs once; a dead process's claim is taken over."""
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from official_ext.compare import stage_claim
from official_ext.compare import stages


def _claim(stage_dir, pid):
  os.makedirs(stage_dir, exist_ok=True)
  with open(os.path.join(stage_dir, stage_claim.CLAIM_FILE), 'w') as f:
    json.dump({'host': socket.gethostname(), 'pid': pid}, f)


def test_waits_for_a_live_owner_and_reads_its_record(tmp_path):
  stage_dir = str(tmp_path / 'data')
  owner = subprocess.Popen([sys.executable, '-c', 'import time; '
                            'time.sleep(60)'])
  try:
    _claim(stage_dir, owner.pid)
    lines, calls = [], []

    def finish_elsewhere():
      with open(os.path.join(stage_dir, 'stage.json'), 'w') as f:
        json.dump({'stage': 'data', 'seconds': 5.0}, f)

    timer = threading.Timer(0.3, finish_elsewhere)
    timer.start()
    record = stages.run_stage('data', stage_dir, calls.append, lines.append,
                              poll_seconds=0.05)
    timer.join()
  finally:
    owner.kill()
    owner.wait()
  assert calls == []  # Not built a second time.
  assert record == {'stage': 'data', 'seconds': 5.0}
  assert f'process {owner.pid} on {socket.gethostname()} is running it' in (
      lines[0])
  assert lines[-1] == 'data: finished by another process'


def test_a_dead_owner_is_taken_over_and_the_claim_released(tmp_path):
  stage_dir = str(tmp_path / 'data')
  dead = subprocess.Popen([sys.executable, '-c', 'pass'])
  dead.wait()
  _claim(stage_dir, dead.pid)
  lines = []
  record = stages.run_stage('data', stage_dir, lambda _: {'built': 1},
                            lines.append, poll_seconds=0.05)
  assert record['built'] == 1
  assert lines[0] == f'data: taking over from process {dead.pid}, which died'
  assert not os.path.exists(os.path.join(stage_dir, stage_claim.CLAIM_FILE))


def test_claim_is_released_when_the_stage_fails(tmp_path):
  stage_dir = str(tmp_path)

  def fail(_):
    assert os.path.exists(os.path.join(stage_dir, stage_claim.CLAIM_FILE))
    raise RuntimeError('boom')

  with pytest.raises(RuntimeError, match='boom'):
    stages.run_stage('s', stage_dir, fail, lambda _: None)
  assert not os.path.exists(os.path.join(stage_dir, stage_claim.CLAIM_FILE))
  assert stage_claim.acquire(stage_dir, 's', lambda: False)
  stage_claim.release(stage_dir)


def test_claims_work_on_remote_filesystems():
  """ram:// stands in for gs:// (tf.io.gfile only, no local file calls)."""
  stage_dir = 'ram://stage_claim_test/data'
  stages.tf.io.gfile.makedirs(stage_dir)
  path = f'{stage_dir}/{stage_claim.CLAIM_FILE}'
  assert stage_claim.acquire(stage_dir, 'data', lambda: False)
  with stages.tf.io.gfile.GFile(path) as f:
    assert json.load(f) == {'host': socket.gethostname(), 'pid': os.getpid()}
  assert stages.tf.io.gfile.listdir(stage_dir) == [stage_claim.CLAIM_FILE]
  stage_claim.release(stage_dir)
  assert not stages.tf.io.gfile.exists(path)


def test_a_stage_finished_just_before_the_claim_is_not_run_again(tmp_path,
                                                                  monkeypatch):
  """The other process wrote stage.json and released its claim between this
  one's first look and its claim."""
  stage_dir = str(tmp_path)
  real_acquire = stage_claim.acquire

  def acquire_after_other_finished(*args, **kwargs):
    with open(os.path.join(stage_dir, 'stage.json'), 'w') as f:
      json.dump({'stage': 's', 'seconds': 1.0}, f)
    return real_acquire(*args, **kwargs)

  monkeypatch.setattr(stage_claim, 'acquire', acquire_after_other_finished)
  calls = []
  record = stages.run_stage('s', stage_dir, calls.append, lambda _: None)
  assert calls == [] and record == {'stage': 's', 'seconds': 1.0}
  assert not os.path.exists(os.path.join(stage_dir, stage_claim.CLAIM_FILE))


def test_stage_is_marked_done_before_its_claim_is_released(tmp_path,
                                                           monkeypatch):
  stage_dir = str(tmp_path)
  seen = []
  real_release = stage_claim.release

  def release(directory):
    seen.append(os.path.exists(os.path.join(directory, 'stage.json')))
    real_release(directory)

  monkeypatch.setattr(stage_claim, 'release', release)
  stages.run_stage('s', stage_dir, lambda _: {}, lambda _: None)
  assert seen == [True]
