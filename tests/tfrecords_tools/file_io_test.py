"""file_io: the same calls on a local directory and on `ram://` (what
`gs://` goes through), and TensorFlow imported only for scheme paths."""
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from tfrecords_tools import file_io

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(params=['local', 'ram'])
def root(request, tmp_path):
  if request.param == 'local':
    yield str(tmp_path)
  else:
    yield 'ram://file_io_test'
    tf.io.gfile.rmtree('ram://file_io_test')


def test_write_rename_list_size_remove(root):
  folder = os.path.join(root, 'a', 'b')
  file_io.makedirs(folder)
  file_io.makedirs(folder)  # Exists: no error.
  assert file_io.isdir(folder)
  path = os.path.join(folder, 'x.txt')
  file_io.write_text_atomically(path, 'héllo\n')
  assert not file_io.exists(path + '.tmp')
  with file_io.open_file(path) as f:
    assert f.read() == 'héllo\n'
  assert file_io.getsize(path) == 7  # 'é' is 2 bytes in UTF-8.
  assert file_io.glob(os.path.join(folder, '*.txt')) == [path]
  # (Not `path + '.2'`: ram:// calls `x.txt` a directory when `x.txt.2`
  # exists.)
  moved = os.path.join(folder, 'y.txt')
  file_io.replace(path, moved)
  assert not file_io.exists(path) and file_io.exists(moved)
  file_io.remove(moved)
  file_io.remove(moved)  # Missing: no error.
  assert file_io.glob(os.path.join(folder, '*')) == []
  file_io.rmtree(os.path.join(root, 'a'))
  assert not file_io.exists(folder)


def test_binary_and_byte_order_mark(root):
  file_io.makedirs(root)
  path = os.path.join(root, 'bom.txt')
  with file_io.open_file(path, 'wb') as f:
    f.write('\ufeffab\ncd\n'.encode('utf-8'))
  with file_io.open_file(path, encoding='utf-8-sig') as f:
    assert list(f) == ['ab\n', 'cd\n']


def test_makedirs_for_a_file_without_a_parent_is_a_no_op(tmp_path,
                                                         monkeypatch):
  monkeypatch.chdir(tmp_path)
  file_io.makedirs_for('vocab.txt')  # Nothing to create, no error.
  file_io.makedirs_for('ram://top.txt')
  assert os.listdir(tmp_path) == []  # Not a local directory named 'ram:'.
  file_io.makedirs_for('ram://file_io_parent/a/b.txt')
  assert tf.io.gfile.isdir('ram://file_io_parent/a')
  tf.io.gfile.rmtree('ram://file_io_parent')


def test_scheme_detection():
  assert file_io.is_remote('gs://bucket/x')
  assert file_io.is_remote('ram://x')
  assert not file_io.is_remote('/tmp/x')
  assert not file_io.is_remote('out/data')


def test_local_paths_do_not_import_tensorflow(tmp_path):
  code = ('import sys\nfrom tfrecords_tools import file_io\n'
          f'file_io.makedirs({str(tmp_path / "d")!r})\n'
          f'file_io.glob({str(tmp_path / "*")!r})\n'
          'assert "tensorflow" not in sys.modules, "imported"\n')
  proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                        env=dict(os.environ, PYTHONPATH=REPO),
                        capture_output=True, text=True, timeout=120)
  assert proc.returncode == 0, proc.stderr[-2000:]


def test_missing_remote_file_raises_like_a_local_one():
  with pytest.raises(FileNotFoundError) as info:
    file_io.open_file('ram://nowhere/vocab.txt')
  assert info.value.filename == 'ram://nowhere/vocab.txt'
  assert info.value.strerror == 'No such file or directory'


def test_an_output_dir_that_cannot_be_created_names_the_flag(tmp_path):
  from tfrecords_tools import build_config  # pylint: disable=g-import-not-at-top
  from tfrecords_tools import create_pretraining_data  # pylint: disable=g-import-not-at-top
  from tests.tfrecords_tools import builder_fixtures as bfx  # pylint: disable=g-import-not-at-top
  corpus = bfx.write_corpus(str(tmp_path / 'corpus.txt'), num_docs=1)
  blocker = tmp_path / 'a_file'
  blocker.write_text('x')
  with pytest.raises(ValueError) as info:
    create_pretraining_data.run(build_config.BuildConfig(), corpus,
                                bfx.VOCAB, str(blocker / 'out'))
  message = str(info.value)
  assert message.startswith(f"--output_dir='{blocker}/out' cannot be "
                            'created (')
  assert '\n' not in message
