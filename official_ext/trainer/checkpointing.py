"""The architecture check done before restoring, and checkpoint readers.

(The manager that saves and restores: `checkpoint_manager.py`.)

A checkpoint in `model_dir` is compared, variable by variable, with the
model built from the gin config before Orbit restores it (a plain restore
would silently skip variables the model lacks and fail late, or obscurely,
on shape mismatches). `CheckpointMismatchError` lists the variables whose
shapes differ, the model variables missing from the checkpoint and the
checkpoint's variables the model lacks, by checkpoint key and variable name.
"""

from typing import Dict, Optional, Tuple

import tensorflow as tf

_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'
_SHOWN = 5


class CheckpointMismatchError(ValueError):
  """The checkpoint in model_dir was written by another architecture."""


def step_of(checkpoint_prefix: str) -> Optional[int]:
  """The N of `.../ckpt-N` (None if the name carries no number)."""
  tail = checkpoint_prefix.rsplit('-', 1)[-1]
  return int(tail) if tail.isdigit() else None


def variable_keys(root: tf.train.Checkpoint, prefix: str = 'model'
                  ) -> Dict[str, Tuple[Tuple[int, ...], str]]:
  """`{checkpoint key: (shape, variable name)}` of the variables under
  `root.<prefix>` (the keys `root.save` would write)."""
  from tensorflow.python.checkpoint import graph_view  # pylint: disable=g-import-not-at-top
  from tensorflow.python.checkpoint import util  # pylint: disable=g-import-not-at-top
  objects, _, _, _, names = util.objects_ids_and_slot_variables_and_paths(
      graph_view.ObjectGraphView(root))
  out = {}
  for obj in objects:
    if isinstance(obj, tf.Variable):
      key = names[obj]
      if key.startswith(prefix + '/'):
        out[key + _SUFFIX] = (tuple(obj.shape.as_list()), obj.name)
  return out


def _show(items):
  items = sorted(items)
  more = f' (and {len(items) - _SHOWN} more)' if len(items) > _SHOWN else ''
  return '; '.join(items[:_SHOWN]) + more


def reader(checkpoint_prefix: str):
  """The checkpoint's reader. Not `tf.train.load_checkpoint`: that one first
  asks whether the prefix is a directory, which `ram://` answers yes for
  `ckpt-N` (a prefix of `ckpt-N.index`)."""
  return tf.compat.v1.train.NewCheckpointReader(checkpoint_prefix)


def check_compatible(checkpoint_path: str, root: tf.train.Checkpoint,
                     prefix: str = 'model') -> None:
  """Raises CheckpointMismatchError unless the checkpoint's `prefix`
  variables match the (built) model's in names and shapes."""
  shapes_by_key = reader(checkpoint_path).get_variable_to_shape_map()
  saved = {k: tuple(s) for k, s in shapes_by_key.items()
           if k.startswith(prefix + '/') and k.endswith(_SUFFIX)
           and '.OPTIMIZER_SLOT' not in k}
  expected = variable_keys(root, prefix)
  shapes = [f'{k[:-len(_SUFFIX)]} ({name}): checkpoint {list(saved[k])} vs '
            f'model {list(shape)}'
            for k, (shape, name) in expected.items()
            if k in saved and saved[k] != shape]
  missing = [f'{k[:-len(_SUFFIX)]} ({name})'
             for k, (_, name) in expected.items() if k not in saved]
  extra = [k[:-len(_SUFFIX)] for k in saved if k not in expected]
  if not (shapes or missing or extra):
    return
  parts = []
  if shapes:
    parts.append(f'{len(shapes)} variable(s) differ in shape: {_show(shapes)}')
  if missing:
    parts.append(f'{len(missing)} model variable(s) are not in the '
                 f'checkpoint: {_show(missing)}')
  if extra:
    parts.append(f'{len(extra)} checkpoint variable(s) are not in the model:'
                 f' {_show(extra)}')
  raise CheckpointMismatchError(
      f'checkpoint {checkpoint_path} was written by another architecture '
      f'than the one the gin config builds: {". ".join(parts)}. Use a new '
      '--model_dir, or the config that wrote it (operative_config.gin there).')
