"""official_ext/fault_flags.py: defined once, in all three training CLIs,
and turned into the spine's FaultPolicy."""
from absl import flags
import pytest

from official_ext import fault_flags
from official_ext.trainer import fault_policy


def test_the_three_clis_share_the_fault_flags():
  from official_ext import finetune  # pylint: disable=g-import-not-at-top
  from official_ext import prefinetune  # pylint: disable=g-import-not-at-top
  from official_ext import train  # pylint: disable=g-import-not-at-top
  assert finetune.FLAGS is prefinetune.FLAGS is train.FLAGS is flags.FLAGS
  defined_here = {f.name for f in flags.FLAGS.get_flags_for_module(
      'official_ext.fault_flags')}
  assert defined_here == {'on_nonfinite', 'max_rollbacks',
                          'skip_corrupt_records'}


def test_policy_from_flags():
  values = flags.FlagValues()
  for name in ('on_nonfinite', 'max_rollbacks', 'skip_corrupt_records'):
    values[name] = flags.FLAGS[name]
  values(['cli'])
  assert fault_flags.policy(values) == fault_policy.FaultPolicy()
  values(['cli', '--on_nonfinite=rollback', '--max_rollbacks=5',
          '--skip_corrupt_records'])
  assert fault_flags.policy(values) == fault_policy.FaultPolicy(
      'rollback', 5, True)
  with pytest.raises(flags.IllegalFlagValueError):
    values(['cli', '--on_nonfinite=ignore'])
