"""Flags of where and how a job runs, shared by every training CLI.

`official_ext.train`, `official_ext.finetune` and `official_ext.prefinetune`
all run on the one Orbit spine (`official_ext/trainer/spine.py`) and take
the same `--strategy`, `--tpu`, `--all_reduce_alg` and `--mixed_precision`;
they are defined once here, so the CLIs load into one process in any order.
"""

from absl import flags
import tensorflow as tf

from official_ext.trainer import optimizer_builder
from official_ext.trainer import strategy_builder

flags.DEFINE_enum('strategy', 'one_device', strategy_builder.STRATEGIES,
                  'Distribution strategy (mirrored: all local GPUs, or all '
                  'logical CPUs without GPU).')
flags.DEFINE_string('tpu', None, "TPU address for --strategy=tpu ('local' "
                    'for a local TPU).')
flags.DEFINE_string('all_reduce_alg', None, 'Cross-device all-reduce for '
                    'mirrored (nccl, hierarchical_copy) or '
                    'multi_worker_mirrored (ring, nccl).')
flags.DEFINE_enum('mixed_precision', None, optimizer_builder.MIXED_PRECISION,
                  'float32, mixed_bfloat16 (TPU/CPU) or mixed_float16 (GPU, '
                  'dynamic loss scaling); train: binds '
                  'Experiment.mixed_precision, default the gin value; '
                  'finetune: default float32.')


def build_strategy(flag_values=flags.FLAGS) -> tf.distribute.Strategy:
  """The strategy the flags name."""
  return strategy_builder.build_strategy(
      flag_values.strategy, flag_values.tpu, flag_values.all_reduce_alg)
