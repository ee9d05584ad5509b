"""What one supervised task of multi-task (pre-)finetuning is.

A `TaskSpec` names a dataset, its kind, its files and the head it trains:

  kind               example                          head (default)     n
  'classification'   one text or a pair -> label      own, per dataset   C classes
  'regression'       one text or a pair -> float      own, per dataset   -
  'span'             question + context -> span       shared 'mrc'       seq positions
  'multiple_choice'  context + candidates -> index    shared 'commonsense' candidates

(Muppet: one classification head per dataset; one shared head for all MRC
datasets and one for all commonsense datasets.) `n` is the number of
predictions Muppet's L / ln(n) scaling uses; regression has none and is
scaled by 1.

File formats (`format`, 'auto' picks by extension and kind):
  'glue'   GLUE TSV read by `finetuning.glue_data` (`glue_task`, e.g.
           'glue/sst2', names the column layout and label set);
  'tsv'    a header row; `text_columns` (one or two) and `label_column`;
  'jsonl'  one JSON object per line: classification/regression
           {"text_a", "text_b"?, "label"}; multiple choice
           {"context", "choices": [...], "label": index}; span
           {"context", "question", "answers": [{"text", "answer_start"}]};
  'squad'  SQuAD v1.1 JSON (span tasks).

`TaskSpec.check()` raises `TaskSpecError` naming the task and the bad
setting; data errors (empty split, bad rows) are raised when the data is
read (`supervised_data`).
"""

import dataclasses
import os
from typing import Optional, Sequence, Tuple

KINDS = ('classification', 'regression', 'span', 'multiple_choice')
FORMATS = ('auto', 'glue', 'tsv', 'jsonl', 'squad')
SHARED_HEADS = {'span': 'mrc', 'multiple_choice': 'commonsense'}
# Formats each kind can be read from.
KIND_FORMATS = {
    'classification': ('glue', 'tsv', 'jsonl'),
    'regression': ('glue', 'tsv', 'jsonl'),
    'span': ('jsonl', 'squad'),
    'multiple_choice': ('jsonl',),
}


class TaskSpecError(ValueError):
  """A task's settings are inconsistent; the message names the task."""


@dataclasses.dataclass(frozen=True)
class TaskSpec:
  """One supervised dataset of a multi-task run.

  Attributes:
    name: unique task name ('sst2'); TensorBoard tags and head names use it.
    kind: one of `KINDS`.
    train_file: training split path.
    dev_file: validation split path.
    format: one of `FORMATS`.
    glue_task: for format 'glue', the GLUE task ('glue/sst2').
    text_columns: for format 'tsv', the one or two text columns.
    label_column: for format 'tsv', the label column.
    labels: classification label set, in class-index order; None takes the
      sorted labels of the training split (or the GLUE task's set).
    head: name of the head this task trains; None: the task's own head
      (classification, regression) or the kind's shared head (span ->
      'mrc', multiple_choice -> 'commonsense').
    max_seq_length: tokens per sequence (per candidate for multiple choice).
    weight: extra multiplier on the task's sampling weight (1 = as its
      size says; 0 = never sampled).
  """
  name: str
  kind: str
  train_file: str
  dev_file: str
  format: str = 'auto'
  glue_task: Optional[str] = None
  text_columns: Tuple[str, ...] = ('text_a',)
  label_column: str = 'label'
  labels: Optional[Sequence[str]] = None
  head: Optional[str] = None
  max_seq_length: int = 128
  weight: float = 1.0

  @property
  def head_name(self) -> str:
    if self.head:
      return self.head
    return SHARED_HEADS.get(self.kind, self.name)

  @property
  def resolved_format(self) -> str:
    if self.format != 'auto':
      return self.format
    if self.glue_task:
      return 'glue'
    ext = os.path.splitext(self.train_file)[1].lower()
    if ext == '.json':
      return 'squad'
    if ext == '.jsonl':
      return 'jsonl'
    return 'tsv'

  def check(self) -> 'TaskSpec':
    """Returns self, or raises TaskSpecError naming the bad setting."""
    where = f'task {self.name!r}'
    if not self.name or '/' in self.name:
      raise TaskSpecError(f'{where}: a task name must be non-empty and '
                          'contain no "/".')
    if self.kind not in KINDS:
      raise TaskSpecError(f'{where}: unknown kind {self.kind!r}; known: '
                          f'{", ".join(KINDS)}.')
    if self.format not in FORMATS:
      raise TaskSpecError(f'{where}: unknown format {self.format!r}; known: '
                          f'{", ".join(FORMATS)}.')
    fmt = self.resolved_format
    if fmt not in KIND_FORMATS[self.kind]:
      raise TaskSpecError(
          f'{where}: a {self.kind} task cannot be read from format {fmt!r} '
          f'(file {self.train_file}); use one of '
          f'{", ".join(KIND_FORMATS[self.kind])}.')
    if fmt == 'glue' and not self.glue_task:
      raise TaskSpecError(f'{where}: format "glue" needs glue_task, e.g. '
                          '"glue/sst2".')
    if fmt == 'tsv' and not 1 <= len(self.text_columns) <= 2:
      raise TaskSpecError(f'{where}: text_columns must name one or two '
                          f'columns, got {list(self.text_columns)}.')
    for split, path in (('train_file', self.train_file),
                        ('dev_file', self.dev_file)):
      if not path:
        raise TaskSpecError(f'{where}: {split} is not set.')
    if self.max_seq_length < 8:
      raise TaskSpecError(f'{where}: max_seq_length must be >= 8, got '
                          f'{self.max_seq_length}.')
    if not self.weight >= 0:
      raise TaskSpecError(f'{where}: weight must be >= 0, got '
                          f'{self.weight!r}.')
    return self


def check_specs(specs: Sequence[TaskSpec]) -> Sequence[TaskSpec]:
  """Checks every spec, unique names, and heads shared by one kind only."""
  if not specs:
    raise TaskSpecError('no tasks given: a multi-task run needs at least one '
                        'TaskSpec.')
  seen, head_kinds = set(), {}
  for spec in specs:
    spec.check()
    if spec.name in seen:
      raise TaskSpecError(f'task name {spec.name!r} is used twice.')
    seen.add(spec.name)
    kind = head_kinds.setdefault(spec.head_name, (spec.kind, spec.name))
    if kind[0] != spec.kind:
      raise TaskSpecError(
          f'head {spec.head_name!r} does not match the data of task '
          f'{spec.name!r}: it is a {kind[0]} head (task {kind[1]!r}) but '
          f'{spec.name!r} is a {spec.kind} task.')
  if all(spec.weight == 0 for spec in specs):
    raise TaskSpecError('every task has sampling weight 0: no task could '
                        'ever be drawn; give at least one a weight > 0.')
  return specs
