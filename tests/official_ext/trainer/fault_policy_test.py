"""official_ext/trainer/fault_policy.py: checked settings; the flags that
give a policy to a CLI started by another (the pre-finetuning target)."""
import pytest

from official_ext.trainer import fault_policy


def test_defaults_stop_three_rollbacks_no_skipping():
  policy = fault_policy.FaultPolicy()
  assert (policy.on_nonfinite, policy.max_rollbacks,
          policy.skip_corrupt_records) == ('stop', 3, False)
  assert policy.as_flags() == ['--on_nonfinite=stop', '--max_rollbacks=3',
                               '--noskip_corrupt_records']


def test_checks():
  with pytest.raises(ValueError, match="on_nonfinite='skip'"):
    fault_policy.FaultPolicy(on_nonfinite='skip')
  with pytest.raises(ValueError, match='max_rollbacks=-1 must be >= 0'):
    fault_policy.FaultPolicy(max_rollbacks=-1)
  assert fault_policy.FaultPolicy('rollback', 2, True).as_flags() == [
      '--on_nonfinite=rollback', '--max_rollbacks=2',
      '--skip_corrupt_records']
