"""A comparison: its arms, task suite, budget, seeds and baseline.

Plain dataclasses (gin registers them in `compare/configurables.py`, bound
by the files in `gin/compare/`). `Comparison.check()` runs every bad-input
check before any training (`arms.check_comparison`, then the budget:
`Comparison.plan()` gives each pretraining arm its steps).

The FLOPs model needs the pretraining data's shape: `seq_length`,
`batch_size`, `max_predictions` and `vocab_size` (the records' and vocab's;
the bundled demo data: 64 tokens, 10 predictions, an 8k vocab).

Data (`record_sets.py`): `records` / `vocab` / `heldout_records` /
`streams` name existing manifests, or `record_sets` names record sets the
pipeline builds from `corpus` (default: the bundled WikiText-2) with
`heldout_every`; `records`, an arm's `records` and a stream's value may then
be a set's name. `streams` binds `<STREAM>_DATA_MANIFEST` in every
pretraining arm (e.g. `{'so': 'so'}` -> SO_DATA_MANIFEST, the SO stream of
gin/olfmlm/combination.gin).

Training and fine-tuning settings: `checkpoints` per pretraining run (a
kill loses at most 1/checkpoints of it), `warmup_fraction` of the planned
steps bound as WARMUP_STEPS, `finetune_flags` passed to every
`official_ext.finetune` run (data dir, learning rate, epochs, length);
`seconds_per_step` (measured, by arm) turns a wall_clock budget into steps.
"""
import dataclasses
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from official_ext.compare import arms as arms_lib
from official_ext.compare import budget as budget_lib


def arm(name: str, gin_files: Sequence[str] = (), bindings: Sequence[str] = (),
        objective: Optional[str] = None, size: Optional[str] = None,
        init: str = 'pretrain', init_checkpoint: Optional[str] = None,
        records: Optional[str] = None, vocab: Optional[str] = None
        ) -> arms_lib.ArmSpec:
  """An `ArmSpec` (lists from gin become tuples)."""
  return arms_lib.ArmSpec(name=name, gin_files=tuple(gin_files),
                          bindings=tuple(bindings), objective=objective,
                          size=size, init=init,
                          init_checkpoint=init_checkpoint, records=records,
                          vocab=vocab)


@dataclasses.dataclass(frozen=True)
class Comparison:
  """arms/tasks/seeds; budget_kind with budget_value, or (flops only)
  reference_arm + reference_steps; records/vocab: the default data of every
  arm; the other fields: see the module docstring."""
  arms: Tuple[arms_lib.ArmSpec, ...]
  tasks: Tuple[str, ...]
  budget_kind: str = 'steps'
  budget_value: Optional[float] = None
  reference_arm: Optional[str] = None
  reference_steps: Optional[int] = None
  baseline: Optional[str] = None
  seeds: Tuple[int, ...] = (0, 1, 2)
  records: Optional[str] = None
  vocab: Optional[str] = None
  vocab_size: int = 8000
  seq_length: int = 64
  batch_size: int = 32
  max_predictions: int = 10
  heldout_records: Any = None
  streams: Mapping[str, str] = dataclasses.field(default_factory=dict)
  record_sets: Mapping[str, Sequence[str]] = dataclasses.field(
      default_factory=dict)
  corpus: Optional[str] = None
  heldout_every: int = 10
  checkpoints: int = 5
  warmup_fraction: Optional[float] = 0.1
  finetune_flags: Tuple[str, ...] = ()
  seconds_per_step: Mapping[str, float] = dataclasses.field(
      default_factory=dict)

  def resolved_arms(self) -> Tuple[arms_lib.ArmSpec, ...]:
    """Arms with the comparison's records (pretraining arms) and vocab
    filled in where they name none."""
    out = []
    for spec in self.arms:
      fill = {}
      if spec.records is None and spec.pretrains:
        fill['records'] = self.records
      if spec.vocab is None:
        fill['vocab'] = self.vocab
      out.append(dataclasses.replace(spec, **fill))
    return tuple(out)

  def shapes(self):
    """Pretraining arm name -> its `flops.PretrainShape`."""
    shapes = {}
    for spec in self.arms:
      if not spec.pretrains:
        continue
      if spec.objective is None or spec.size is None:
        raise arms_lib.ArmError(
            f'arm {spec.name!r}: a pretraining arm needs objective and size '
            f'(for its FLOPs)')
      shapes[spec.name] = budget_lib.arm_shape(
          spec.name, spec.objective, spec.size, vocab=self.vocab_size,
          seq=self.seq_length, batch=self.batch_size,
          predictions=self.max_predictions)
    return shapes

  def budget(self, shapes) -> budget_lib.Budget:
    if self.reference_arm is not None:
      if self.budget_kind != 'flops' or not self.reference_steps:
        raise budget_lib.BudgetError(
            'reference_arm needs budget_kind = flops and reference_steps')
      return budget_lib.flops_budget(shapes, self.reference_arm,
                                     self.reference_steps)
    if self.budget_value is None:
      raise budget_lib.BudgetError(
          f'budget_kind = {self.budget_kind} needs budget_value')
    return budget_lib.Budget(self.budget_kind, self.budget_value)

  def plan(self) -> Dict[str, budget_lib.ArmBudget]:
    """Pretraining arm name -> its steps under the budget."""
    shapes = self.shapes()
    return budget_lib.plan(shapes, self.budget(shapes),
                           dict(self.seconds_per_step or {}))

  def check(self):
    """Every bad-input check; returns (parsed tasks, plan)."""
    tasks = arms_lib.check_comparison(self.resolved_arms(), self.tasks,
                                      self.baseline)
    if not self.seeds:
      raise arms_lib.ArmError('no fine-tuning seeds')
    return tasks, self.plan()
