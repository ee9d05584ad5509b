"""Creates a CLI's output directory up front, naming the flag when it can't.

A `gs://` bucket that does not exist or cannot be written, a path under a
file, a read-only mount: each CLI (`train`, `finetune`, `prefinetune`,
`export`) calls `ensure` before any work, so the failure is one line
(`--model_dir=gs://nope/run: cannot be created (...)`), not a traceback at
the first checkpoint.
"""

import json
import os

import tensorflow as tf


class OutputDirError(ValueError):
  """The output directory cannot be created; the message names the flag."""


def ensure(path: str, flag: str) -> str:
  """Creates `path` (and parents) through tf.io.gfile; returns it."""
  try:
    tf.io.gfile.makedirs(path)
  except (tf.errors.OpError, OSError) as e:
    reason = getattr(e, 'message', None) or str(e)
    raise OutputDirError(f'--{flag}={path}: cannot be created '
                         f'({reason.splitlines()[0] if reason else e!r})'
                         ) from None
  return path


def write_json(path: str, payload) -> None:
  """Writes `payload` as JSON at `path` atomically (a temporary file, then a
  rename: a reader never sees half a file), creating its directory."""
  parent = os.path.dirname(path)
  if parent:
    tf.io.gfile.makedirs(parent)
  tmp = path + '.tmp'
  with tf.io.gfile.GFile(tmp, 'w') as f:
    json.dump(payload, f, indent=2, sort_keys=True)
  tf.io.gfile.rename(tmp, path, overwrite=True)
