"""Flags of what a job does when something goes wrong, shared by every
training CLI (`train`, `finetune`, `prefinetune`), and the errors those
faults stop a job with (each CLI prints the one line and exits 1).

  --on_nonfinite=stop|rollback   a NaN/Inf loss stops the job (the newest
      checkpoint is the last good one), or rolls back to it and skips the
      data window that produced it (`trainer/nonfinite_rollback.py`);
  --max_rollbacks=3              rollbacks allowed in one run;
  --skip_corrupt_records         skip and count records that fail their CRC
      instead of stopping at the first (`trainer/corrupt_records.py`).
"""

from absl import flags

from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import checkpoint_save
from official_ext.trainer import corrupt_records
from official_ext.trainer import fault_policy
from official_ext.trainer import model_dir_lock
from official_ext.trainer import nan_guard

flags.DEFINE_enum('on_nonfinite', 'stop', fault_policy.ON_NONFINITE,
                  'What a NaN/Inf loss does: stop the job (the newest '
                  'checkpoint is the last good one), or roll back to the '
                  'last checkpoint and skip the data window that produced '
                  'it (recorded in skipped_data.json, kept skipped on '
                  'resume).')
flags.DEFINE_integer('max_rollbacks', fault_policy.DEFAULT_MAX_ROLLBACKS,
                     'With --on_nonfinite=rollback: rollbacks allowed in one '
                     'run; the next non-finite loss stops the job (exit 1).',
                     lower_bound=0)
flags.DEFINE_bool('skip_corrupt_records', False, 'Skip (and count, in the '
                  'logs and the TensorBoard scalar corrupt_records_skipped) '
                  'records that fail their CRC, reading a repaired copy of '
                  'the shard; default: stop at the first, naming the shard '
                  'and byte offset.')

# A fault stops the job with one line (exit 1), no traceback.
ERRORS = (checkpoint_fallback.NoReadableCheckpointError,
          checkpoint_save.CheckpointSaveError,
          corrupt_records.CorruptRecordError,
          model_dir_lock.ModelDirLockedError, nan_guard.NonFiniteLossError)
EXIT_CODE = 1


def policy(flag_values=flags.FLAGS) -> fault_policy.FaultPolicy:
  """The policy the flags give."""
  return fault_policy.FaultPolicy(
      on_nonfinite=flag_values.on_nonfinite,
      max_rollbacks=flag_values.max_rollbacks,
      skip_corrupt_records=flag_values.skip_corrupt_records)
