"""The run-placement flags are defined once, for train, finetune and
prefinetune, and build the strategy they name."""

import copy

from absl import flags
import pytest
import tensorflow as tf


def test_all_training_clis_load_together_and_share_the_flags():
  # pylint: disable=g-import-not-at-top
  from official_ext import prefinetune
  from official_ext import finetune
  from official_ext import train
  # pylint: enable=g-import-not-at-top
  assert train.FLAGS is finetune.FLAGS is prefinetune.FLAGS is flags.FLAGS
  defined_here = {f.name for f in flags.FLAGS.get_flags_for_module(
      'official_ext.distribution_flags')}
  assert defined_here == {'strategy', 'tpu', 'all_reduce_alg',
                          'mixed_precision'}
  assert {f.name for f in flags.FLAGS.get_flags_for_module(
      'official_ext.gin_flags')} == {'gin_file', 'gin_bindings'}


def test_build_strategy_from_flags():
  from official_ext import distribution_flags  # pylint: disable=g-import-not-at-top
  values = flags.FlagValues()  # copies: the process's flags stay as they are
  for name in ('strategy', 'tpu', 'all_reduce_alg', 'mixed_precision'):
    values[name] = copy.deepcopy(flags.FLAGS[name])
  values(['prog', '--strategy=one_device'])
  assert isinstance(distribution_flags.build_strategy(values),
                    tf.distribute.OneDeviceStrategy)
  values(['prog', '--strategy=tpu'])
  with pytest.raises(ValueError, match='--strategy=tpu needs --tpu'):
    distribution_flags.build_strategy(values)
