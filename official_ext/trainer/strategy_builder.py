"""Builds the `tf.distribute.Strategy` named by `--strategy`.

  one_device             GPU:0 if there is a GPU, else CPU:0.
  mirrored               every local GPU; with none, every logical CPU (one
                         unless `tf.config.set_logical_device_configuration`
                         split it, as the tests do).
  multi_worker_mirrored  Model Garden's set-up (cluster from TF_CONFIG,
                         checked first: `cluster_config.py`); build it
                         before anything else runs TensorFlow.
  tpu                    Model Garden's set-up; `tpu` is the address ('' or
                         'local' for a local TPU).
"""

from typing import Optional

import tensorflow as tf

from official.common import distribute_utils
from official_ext.trainer import cluster_config

STRATEGIES = ('one_device', 'mirrored', 'multi_worker_mirrored', 'tpu')


def build_strategy(name: str, tpu: Optional[str] = None,
                   all_reduce_alg: Optional[str] = None
                   ) -> tf.distribute.Strategy:
  """The strategy called `name` (one of STRATEGIES)."""
  if name not in STRATEGIES:
    raise ValueError(f'--strategy={name!r} is unknown; choose one of '
                     f'{", ".join(STRATEGIES)}.')
  if name == 'multi_worker_mirrored':
    cluster_config.check_environment()  # One line before anything starts.
    # Before anything initialises TensorFlow's context (listing logical
    # devices does): collective ops are configured at context start-up.
    return distribute_utils.get_distribution_strategy(
        distribution_strategy=name,
        num_gpus=len(tf.config.list_physical_devices('GPU')),
        all_reduce_alg=all_reduce_alg)
  gpus = tf.config.list_logical_devices('GPU')
  if name == 'one_device':
    device = gpus[0].name if gpus else '/device:CPU:0'
    return tf.distribute.OneDeviceStrategy(device)
  if name == 'mirrored':
    devices = [d.name for d in gpus or tf.config.list_logical_devices('CPU')]
    cross_device_ops = None
    if all_reduce_alg:
      cross_device_ops = distribute_utils._mirrored_cross_device_ops(  # pylint: disable=protected-access
          all_reduce_alg, num_packs=1)
    return tf.distribute.MirroredStrategy(devices,
                                          cross_device_ops=cross_device_ops)
  if name == 'tpu' and tpu is None:
    raise ValueError('--strategy=tpu needs --tpu (an address, or "local").')
  try:
    return distribute_utils.get_distribution_strategy(
        distribution_strategy=name, num_gpus=len(gpus),
        all_reduce_alg=all_reduce_alg, tpu_address=tpu or '')
  except (tf.errors.OpError, ValueError) as e:
    if name != 'tpu':
      raise
    reason = str(getattr(e, 'message', e)).strip().split('\n')[0]
    raise ValueError(f'--strategy=tpu --tpu={tpu!r}: no TPU reachable '
                     f'({reason[:200]}).') from e
