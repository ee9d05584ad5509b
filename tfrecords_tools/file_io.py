"""Every file access of the record builder: local or remote (`gs://`, ...).

A path with a scheme (`gs://`, `s3://` with tensorflow-io, `hdfs://`,
`ram://`) goes through `tf.io.gfile`; a local path goes through plain Python
I/O. TensorFlow is imported only when a remote path is met, so the builder's
worker processes on a local disk start without it (start-up speed). This is
the one module of `tfrecords_tools` that calls local-file functions.

How a partial output is never taken for a finished one, also where `replace`
is not atomic (object stores copy then delete):
- shards are written to `<shard>.tmp` and renamed only after the whole build
  succeeded; a `.tmp` left by a crash is deleted by the next build;
- the manifest is written LAST, after every shard is in place, and readers
  (`official_ext.data.pretrain_reader`) read the shard list from the manifest
  only, so a directory without a manifest (or with shards newer than it) is
  never read as a build;
- IDF counts and vocab files are written to `.tmp` then renamed, and the
  reader checks their content (sha256 / counts) before use.
"""
import builtins
import codecs
import errno
import glob as glob_lib
import os
import shutil
from typing import List


def is_remote(path) -> bool:
  """True when `path` names a scheme (`gs://bucket/x`, `ram://x`, ...)."""
  return "://" in str(path)


def _gfile():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.io.gfile


def open_file(path: str, mode: str = "r", encoding: str = "utf-8",
              newline=None):
  """A file object (`encoding`, `newline` apply to text modes)."""
  if is_remote(path):
    if "r" in mode and not _gfile().exists(path):  # As builtin open raises.
      raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    if "b" in mode or encoding == "utf-8":
      return _gfile().GFile(path, mode)
    binary = _gfile().GFile(path, mode.replace("t", "") + "b")
    return (codecs.getreader(encoding)(binary) if "r" in mode
            else codecs.getwriter(encoding)(binary))
  if "b" in mode:
    return builtins.open(path, mode)  # local-only by design (see module doc)
  return builtins.open(path, mode, encoding=encoding, newline=newline)


def exists(path: str) -> bool:
  return _gfile().exists(path) if is_remote(path) else os.path.exists(path)


def isdir(path: str) -> bool:
  return _gfile().isdir(path) if is_remote(path) else os.path.isdir(path)


def makedirs(path: str) -> None:
  """Creates `path` and its parents; no error when it exists.

  Raises:
    OSError: it cannot be created (for a remote path too, e.g. a bucket that
      does not exist or cannot be written).
  """
  if is_remote(path):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    try:
      tf.io.gfile.makedirs(path)
    except tf.errors.OpError as e:
      raise OSError(f"cannot create {path}: {e.message}") from e
  else:
    os.makedirs(path, exist_ok=True)


def _parent(path: str) -> str:
  """The directory holding `path`; '' for a file at a scheme's root
  (`ram://top.txt`), where os.path.dirname would say the local `ram:`."""
  if not is_remote(path):
    return os.path.dirname(path)
  scheme, _, rest = str(path).partition("://")
  head = rest.rstrip("/").rpartition("/")[0]
  return f"{scheme}://{head}" if head else ""


def makedirs_for(path: str) -> None:
  """Creates the parent directory of the file `path` (if it has one)."""
  parent = _parent(path)
  if parent:
    makedirs(parent)


def remove(path: str) -> None:
  """Deletes a file; no error when it does not exist."""
  if not exists(path):
    return
  if is_remote(path):
    _gfile().remove(path)
  else:
    os.remove(path)


def replace(src: str, dst: str) -> None:
  """Renames `src` to `dst`, overwriting it (atomic on local disks only)."""
  if is_remote(src) or is_remote(dst):
    _gfile().rename(src, dst, overwrite=True)
  else:
    os.replace(src, dst)


def getsize(path: str) -> int:
  return (_gfile().stat(path).length if is_remote(path)
          else os.path.getsize(path))


def glob(pattern: str) -> List[str]:
  """Paths matching `pattern` (`~` expanded for local patterns)."""
  if is_remote(pattern):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    try:
      return tf.io.gfile.glob(pattern)
    except tf.errors.OpError as e:  # E.g. a bucket that cannot be listed.
      raise OSError(f"cannot list {pattern}: {e.message}") from e
  return glob_lib.glob(os.path.expanduser(pattern))


def rmtree(path: str) -> None:
  """Deletes a directory tree; no error when it does not exist."""
  if not exists(path):
    return
  if is_remote(path):
    _gfile().rmtree(path)
  else:
    shutil.rmtree(path, ignore_errors=True)


def write_text_atomically(path: str, text: str) -> None:
  """Writes `text` to `path.tmp`, then renames it onto `path`."""
  tmp = path + ".tmp"
  try:
    with open_file(tmp, "w") as f:
      f.write(text)
    replace(tmp, path)
  finally:
    remove(tmp)
