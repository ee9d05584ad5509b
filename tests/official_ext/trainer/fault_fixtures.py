"""Faults injected into the trainer tests: damaged files, a full disk.

`enospc_on_save(after)` makes checkpoint saves fail like a full disk: the
writer TensorFlow's checkpoint uses (`functional_saver`'s `save_v2`) writes
its data shard, which is then cut to half its size (a write cut short), and
raises `ResourceExhaustedError ... No space left on device` -- what
TensorFlow raises for ENOSPC. Saves before the `after`-th go through.
`python -m tests.official_ext.trainer.fault_fixtures enospc AFTER -- CLI
ARGS` runs a CLI module (e.g. `official_ext.train`) with that in place.
"""
import contextlib
import os
import runpy
import sys

import tensorflow as tf
from tensorflow.python.checkpoint import functional_saver


def truncate(path: str, size: int) -> None:
  """Cuts `path` to `size` bytes."""
  os.truncate(path, size)


def flip_byte(path: str, offset: int) -> None:
  """Inverts the byte at `offset` of `path`."""
  with open(path, 'r+b') as f:
    f.seek(offset)
    byte = f.read(1)
    f.seek(offset)
    f.write(bytes([byte[0] ^ 0xFF]))


def frame_offsets(path: str):
  """Byte offset of each record's frame (12-byte header, data, 4-byte CRC)
  of a TFRecord file, from TensorFlow's own reader."""
  offsets, position = [], 0
  for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
    offsets.append(position)
    position += 12 + len(record) + 4
  return offsets


def flip_record(path: str, index: int) -> int:
  """Flips a data byte of record `index`; returns the frame's offset."""
  offset = frame_offsets(path)[index]
  flip_byte(path, offset + 12 + 20)
  return offset


def data_file(prefix: str) -> str:
  """The (single) data shard of checkpoint `prefix`."""
  (path,) = tf.io.gfile.glob(prefix + '.data-*')
  return path


def install_enospc(after: int = 0):
  """Patches the checkpoint writer (module docstring); returns the undo."""
  real = functional_saver.io_ops.save_v2
  calls = []

  def save_v2(prefix, *args, **kwargs):
    calls.append(prefix)
    if len(calls) <= after:
      return real(prefix, *args, **kwargs)
    result = real(prefix, *args, **kwargs)
    path = tf.compat.as_str(prefix.numpy() if hasattr(prefix, 'numpy')
                            else prefix)
    for data in tf.io.gfile.glob(path + '.data-*'):
      os.truncate(data, os.path.getsize(data) // 2)
    del result
    raise tf.errors.ResourceExhaustedError(
        None, None, f'{path}.data-00000-of-00001; No space left on device')

  functional_saver.io_ops.save_v2 = save_v2
  return lambda: setattr(functional_saver.io_ops, 'save_v2', real)


@contextlib.contextmanager
def enospc_on_save(after: int = 0):
  undo = install_enospc(after)
  try:
    yield
  finally:
    undo()


def main(argv):
  """`enospc AFTER -- MODULE ARGS...`: runs MODULE as __main__."""
  kind, after, dashes, module, *args = argv
  assert kind == 'enospc' and dashes == '--', argv
  install_enospc(int(after))
  sys.argv = [module, *args]
  runpy.run_module(module, run_name='__main__', alter_sys=True)


if __name__ == '__main__':
  main(sys.argv[1:])
