"""official_ext/owner_file.py: created only if absent (the loser of a race
sees False), read back, replaced atomically, liveness of the holder."""
import os
import socket
import subprocess
import sys

import tensorflow as tf

from official_ext import owner_file


def test_create_only_if_absent(tmp_path):
  path = str(tmp_path / 'owner.json')
  mine = owner_file.me()
  assert owner_file.create(path, mine)
  other = {'host': 'elsewhere', 'pid': 1}
  assert not owner_file.create(path, other)
  assert owner_file.read(path) == mine
  assert os.listdir(tmp_path) == ['owner.json']  # No temporary left.
  owner_file.replace(path, {**mine, 'beat': 2})
  assert owner_file.read(path) == {**mine, 'beat': 2}
  assert owner_file.same_process(owner_file.read(path), mine)
  assert not owner_file.same_process(other, mine)
  owner_file.remove(path)
  owner_file.remove(path)  # Absent: no error.
  assert owner_file.read(path) is None


def test_half_written_reads_as_none(tmp_path):
  path = tmp_path / 'owner.json'
  path.write_text('{"host": "a", "pi')
  assert owner_file.read(str(path)) is None


def test_alive():
  dead = subprocess.Popen([sys.executable, '-c', 'pass'])
  dead.wait()
  assert not owner_file.alive({'host': socket.gethostname(),
                               'pid': dead.pid})
  assert owner_file.alive(owner_file.me())
  assert owner_file.alive({'host': 'another-host', 'pid': dead.pid})


def test_remote():
  path = 'ram://owner_file_test/owner.json'
  tf.io.gfile.makedirs('ram://owner_file_test')
  assert owner_file.create(path, owner_file.me())
  assert not owner_file.create(path, {'host': 'x', 'pid': 2})
  assert tf.io.gfile.listdir('ram://owner_file_test') == ['owner.json']
  owner_file.remove(path)
