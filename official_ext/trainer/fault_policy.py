"""What a job on the spine does when a step goes non-finite or a record is
corrupt (the CLIs' `--on_nonfinite`, `--max_rollbacks` and
`--skip_corrupt_records`: `official_ext/fault_flags.py`)."""

import dataclasses

ON_NONFINITE = ('stop', 'rollback')
DEFAULT_MAX_ROLLBACKS = 3


@dataclasses.dataclass(frozen=True)
class FaultPolicy:
  """Attributes:
    on_nonfinite: 'stop' (the job stops; the newest checkpoint is the last
      good one) or 'rollback' (`nonfinite_rollback`).
    max_rollbacks: rollbacks allowed in one run; the next non-finite loss
      stops the job.
    skip_corrupt_records: skip (and count) corrupt records instead of
      stopping at the first (`corrupt_records`).
  """
  on_nonfinite: str = 'stop'
  max_rollbacks: int = DEFAULT_MAX_ROLLBACKS
  skip_corrupt_records: bool = False

  def __post_init__(self):
    if self.on_nonfinite not in ON_NONFINITE:
      raise ValueError(f'on_nonfinite={self.on_nonfinite!r}: choose one of '
                       f'{ON_NONFINITE}.')
    if self.max_rollbacks < 0:
      raise ValueError(f'max_rollbacks={self.max_rollbacks} must be >= 0.')

  def as_flags(self):
    """The CLI flags that give this policy (for a CLI started by another)."""
    return [f'--on_nonfinite={self.on_nonfinite}',
            f'--max_rollbacks={self.max_rollbacks}',
            f'--{"" if self.skip_corrupt_records else "no"}'
            'skip_corrupt_records']
