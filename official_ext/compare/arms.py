"""The arms of a comparison and the checks run on them before any training.

An arm is a pretraining recipe (gin files + bindings, e.g. MLM, ELECTRA,
TEAMS, MLM+QT+SO+TF-IDF) or an encoder that is not pretrained here
(`init='random'`, or `init='checkpoint'` for an imported encoder). Every arm
is fine-tuned on the same task suite.

`check_comparison` raises a one-line `ArmError` for: no arms, a name that
cannot be a directory name, two arms with one name, an arm whose vocab
differs from the first arm's, a task suite naming unknown tasks, a baseline
that is not an arm. Arms may read different record sets of one corpus
(`record_sets.check_same_corpus` compares their manifests). Budgets are
checked by `budget.plan` (a budget no arm can meet).
"""
import dataclasses
import re
from typing import List, Optional, Sequence, Tuple

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import task_names

INITS = ('pretrain', 'random', 'checkpoint')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')


class ArmError(ValueError):
  """A comparison whose arms or tasks are wrong."""


@dataclasses.dataclass(frozen=True)
class ArmSpec:
  """One arm.

  name: directory-safe name (letters, digits, `_.+-`).
  gin_files, bindings: the pretraining recipe (init='pretrain'); for
    init='random' the architecture (exported untrained, seed 0).
  objective, size: the FLOPs model's view of it ('mlm' | 'electra' |
    'teams', a size preset); None when the arm is not pretrained.
  init: 'pretrain', 'random' (fine-tune from random weights) or
    'checkpoint' (fine-tune `init_checkpoint`).
  records, vocab: the pretraining data (a manifest path, or the name of a
    record set the comparison builds) and vocab file the arm uses.
  """
  name: str
  gin_files: Tuple[str, ...] = ()
  bindings: Tuple[str, ...] = ()
  objective: Optional[str] = None
  size: Optional[str] = None
  init: str = 'pretrain'
  init_checkpoint: Optional[str] = None
  records: Optional[str] = None
  vocab: Optional[str] = None

  def __post_init__(self):
    if not _NAME.match(self.name or ''):
      raise ArmError(f'arm name {self.name!r}: use letters, digits and '
                     f'_.+- (it names a directory)')
    if self.init not in INITS:
      raise ArmError(f'arm {self.name!r}: unknown init {self.init!r}; '
                     f'choose one of {list(INITS)}')
    if self.init in ('pretrain', 'random') and not self.gin_files:
      raise ArmError(f'arm {self.name!r}: init={self.init} needs gin_files'
                     + (' (the architecture to initialise)'
                        if self.init == 'random' else ''))
    if self.init == 'checkpoint' and not self.init_checkpoint:
      raise ArmError(f'arm {self.name!r}: init=checkpoint needs '
                     f'init_checkpoint')

  @property
  def pretrains(self) -> bool:
    return self.init == 'pretrain'


def parse_tasks(names: Sequence[str]) -> List[object]:
  """The task suite's tasks; an unknown name is one `ArmError` line."""
  if not names:
    raise ArmError('task suite: no tasks')
  tasks = []
  for name in names:
    try:
      tasks.append(task_names.parse_task(name))
    except glue_tasks.TaskError as e:
      raise ArmError(f'task suite: unknown task {name!r} '
                     f'({str(e).split("; ", 1)[-1]})') from None
  return tasks


def _check_same(arms, field):
  """Every arm that sets `field` sets the first such arm's value."""
  first = None
  for arm in arms:
    value = getattr(arm, field)
    if value is None:
      continue
    if first is None:
      first = arm
    elif value != getattr(first, field):
      raise ArmError(f'arm {arm.name!r} uses {field} {value!r}, arm '
                     f'{first.name!r} uses {getattr(first, field)!r}: every '
                     f'arm must use the same {field}')


def check_comparison(arms: Sequence[ArmSpec], tasks: Sequence[str],
                     baseline: Optional[str] = None) -> List[object]:
  """Checks the arms and the task suite; returns the parsed tasks."""
  if not arms:
    raise ArmError('no arms to compare')
  seen = set()
  for arm in arms:
    if arm.name in seen:
      raise ArmError(f'two arms are named {arm.name!r}')
    seen.add(arm.name)
  _check_same(arms, 'vocab')
  if baseline is not None and baseline not in seen:
    raise ArmError(f'baseline arm {baseline!r} is not one of '
                   f'{[a.name for a in arms]}')
  return parse_tasks(tasks)

