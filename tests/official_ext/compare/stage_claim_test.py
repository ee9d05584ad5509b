"""official_ext/compare/stage_claim.py: a stage shared by two comparison
processes runs once; a dead process's claim is taken over."""
import json
import os
import socket
import subprocess
import sys
import threading

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

  try:
    stages.run_stage('s', stage_dir, fail, lambda _: None)
  except RuntimeError:
    pass
  assert not os.path.exists(os.path.join(stage_dir, stage_claim.CLAIM_FILE))
  assert stage_claim.acquire(stage_dir, 's', lambda: False)
  stage_claim.release(stage_dir)
