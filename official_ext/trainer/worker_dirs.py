"""Where each worker of a multi-worker job writes: only the chief writes
model_dir.

Under `multi_worker_mirrored` every worker must take part in each
checkpoint save (reading some variables, e.g. sync-on-read ones, is a
collective all workers join), so every worker runs the same saves; but only
the chief's land in model_dir. The others save to
`model_dir/workertemp_<task id>/` (their operative config too) and remove it
when the job ends, as Model Garden's `train_lib` and Keras'
`distributed_file_utils` do; ours stays under model_dir, so it is on the
same -- possibly remote -- filesystem, through `tf.io.gfile`. Summaries are
written by the chief only (`spine.make_controller`).

Every worker *reads* model_dir: a non-chief worker restores the chief's
newest checkpoint (its own temporary dir is empty after a restart), so all
workers resume at the same step with the same weights. model_dir must
therefore be shared by the workers (a bucket, or one machine's disk for
local workers).
"""

import os
from typing import Optional

import tensorflow as tf

TEMP_PREFIX = 'workertemp_'


def is_chief(strategy: Optional[tf.distribute.Strategy]) -> bool:
  """Whether this worker writes model_dir (True off multi-worker)."""
  if strategy is None:
    return True
  return bool(strategy.extended.should_checkpoint)


def task_id(strategy: tf.distribute.Strategy) -> int:
  resolver = getattr(strategy, 'cluster_resolver', None)
  return int(getattr(resolver, 'task_id', 0) or 0)


def write_dir(model_dir: str,
              strategy: Optional[tf.distribute.Strategy]) -> str:
  """model_dir on the chief; `model_dir/workertemp_<task id>` elsewhere."""
  if is_chief(strategy):
    return model_dir
  return os.path.join(model_dir, f'{TEMP_PREFIX}{task_id(strategy)}')


def remove_temp_dir(model_dir: str,
                    strategy: Optional[tf.distribute.Strategy]) -> None:
  """Deletes a non-chief worker's temporary dir (no-op on the chief)."""
  if is_chief(strategy):
    return
  path = write_dir(model_dir, strategy)
  if tf.io.gfile.exists(path):
    tf.io.gfile.rmtree(path)
