"""official_ext/trainer/model_dir_lock.py: one job per model_dir; a second
refuses in one line naming the holder; a dead holder (this host) or an
expired lease is taken over with a line; heartbeats; release on any exit.
(Two CLI processes on one dir: fault_cli_test.py.)"""
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from official_ext import owner_file
from official_ext.trainer import model_dir_lock


def _write_lock(model_dir, **record):
  os.makedirs(model_dir, exist_ok=True)
  with open(os.path.join(model_dir, model_dir_lock.LOCK_FILE), 'w') as f:
    json.dump(record, f)


def _read(model_dir):
  with open(os.path.join(model_dir, model_dir_lock.LOCK_FILE)) as f:
    return json.load(f)


def test_held_for_the_block_and_released(tmp_path):
  model_dir = str(tmp_path)
  with model_dir_lock.held(model_dir) as lock:
    record = _read(model_dir)
    assert (record['host'], record['pid']) == (socket.gethostname(),
                                               os.getpid())
    assert record['heartbeat'] == record['started'] <= time.time()
    assert record['lease_seconds'] == model_dir_lock.LEASE_SECONDS
    assert lock.path == os.path.join(model_dir, 'job.lock')
  assert os.listdir(model_dir) == []


def test_released_on_systemexit(tmp_path):
  # The SIGTERM preemption exit is a SystemExit(0) from the spine.
  with pytest.raises(SystemExit):
    with model_dir_lock.held(str(tmp_path)):
      raise SystemExit(0)
  assert os.listdir(tmp_path) == []


def test_a_live_holder_is_refused_in_one_line(tmp_path):
  holder = subprocess.Popen([sys.executable, '-c',
                             'import time; time.sleep(60)'])
  try:
    started = time.time() - 30
    _write_lock(str(tmp_path), host=socket.gethostname(), pid=holder.pid,
                started=started, heartbeat=time.time() - 5)
    with pytest.raises(model_dir_lock.ModelDirLockedError) as e:
      with model_dir_lock.held(str(tmp_path)):
        pass
  finally:
    holder.kill()
    holder.wait()
  when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started))
  assert str(e.value) == (
      f'--model_dir {tmp_path} is in use by process {holder.pid} on '
      f'{socket.gethostname()} (started {when}, heartbeat 5 s ago): two jobs '
      'must not write one model_dir; stop that job or use another '
      f'--model_dir ({tmp_path}/job.lock is taken over once its holder is '
      'gone or its heartbeat is older than 300 s).')
  assert _read(str(tmp_path))['pid'] == holder.pid  # Left alone.


def test_a_dead_holder_on_this_host_is_taken_over(tmp_path):
  dead = subprocess.Popen([sys.executable, '-c', 'pass'])
  dead.wait()
  _write_lock(str(tmp_path), host=socket.gethostname(), pid=dead.pid,
              started=time.time(), heartbeat=time.time())
  lines = []
  with model_dir_lock.held(str(tmp_path), print_fn=lines.append):
    assert _read(str(tmp_path))['pid'] == os.getpid()
  assert lines == [f'taking over the lock {tmp_path}/job.lock of process '
                   f'{dead.pid} on {socket.gethostname()}: its process '
                   f'{dead.pid} on this host is gone.']


def test_an_expired_lease_is_taken_over(tmp_path):
  _write_lock(str(tmp_path), host='another-host', pid=1,
              started=time.time() - 7200, heartbeat=time.time() - 600)
  lines = []
  with model_dir_lock.held(str(tmp_path), print_fn=lines.append):
    pass
  assert lines == [f'taking over the lock {tmp_path}/job.lock of process 1 '
                   'on another-host: its last heartbeat is 600 s old (lease '
                   '300 s).']
  # Within the lease, another host's lock holds.
  _write_lock(str(tmp_path), host='another-host', pid=1,
              started=time.time(), heartbeat=time.time() - 60)
  with pytest.raises(model_dir_lock.ModelDirLockedError,
                     match='in use by process 1 on another-host'):
    model_dir_lock.ModelDirLock(str(tmp_path)).acquire()


def test_heartbeat_refreshes_and_notices_a_take_over(tmp_path):
  lines = []
  lock = model_dir_lock.ModelDirLock(str(tmp_path), heartbeat_seconds=0.05,
                                     print_fn=lines.append)
  lock.acquire()
  first = _read(str(tmp_path))['heartbeat']
  time.sleep(0.3)
  assert _read(str(tmp_path))['heartbeat'] > first
  _write_lock(str(tmp_path), host='another-host', pid=7, started=0,
              heartbeat=time.time())
  time.sleep(0.3)
  assert lock.lost
  assert lines == [f'the lock {tmp_path}/job.lock is now held by process 7 '
                   "on another-host (this job's heartbeat lapsed): two jobs "
                   f'may be writing {tmp_path}; stop one of them.']
  lock.release()
  assert _read(str(tmp_path))['pid'] == 7  # Another's lock is left alone.


def test_not_chief_takes_no_lock(tmp_path):
  with model_dir_lock.held(str(tmp_path), chief=False) as lock:
    assert lock is None
    assert os.listdir(tmp_path) == []


def test_remote_model_dir():
  model_dir = 'ram://model_dir_lock_test/run'
  tf.io.gfile.makedirs(model_dir)
  with model_dir_lock.held(model_dir):
    holder = owner_file.read(f'{model_dir}/job.lock')
    assert holder['pid'] == os.getpid()
    with pytest.raises(model_dir_lock.ModelDirLockedError):
      # Same host and a live pid (this one): refused.
      model_dir_lock.ModelDirLock(model_dir).acquire()
  assert tf.io.gfile.listdir(model_dir) == []
