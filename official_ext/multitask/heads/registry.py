"""Task kind -> head class, and building / checking a task's head.

  HEADS = {'classification': ClassificationHead,
           'regression': ClassificationHead,   # num_classes = 1
           'span': SpanHead,
           'multiple_choice': MultipleChoiceHead}

`build_head(kind, num_classes=None, **kwargs)` builds the head of a kind
(`kwargs` go to the head's constructor); `build_head_for(task, **kwargs)`
does the same from a `PreparedTask`-like object (`.spec`, `.num_classes`).
`check_head(head_name, head, task, kind)` raises when a head is asked to
train a task of a kind it does not serve.
"""

from typing import Optional

from official_ext.multitask import task_spec
from official_ext.multitask.heads import base
from official_ext.multitask.heads import classification_head
from official_ext.multitask.heads import multiple_choice_head
from official_ext.multitask.heads import span_head

HEADS = {
    'classification': classification_head.ClassificationHead,
    'regression': classification_head.ClassificationHead,
    'span': span_head.SpanHead,
    'multiple_choice': multiple_choice_head.MultipleChoiceHead,
}
assert set(HEADS) == set(task_spec.KINDS)


def _check_kind(kind):
  if kind not in HEADS:
    raise ValueError(f'unknown task kind {kind!r}; known kinds: '
                     f'{", ".join(HEADS)}.')


def build_head(kind: str, num_classes: Optional[int] = None,
               **kwargs) -> base.SupervisedHead:
  """Builds the head serving task kind `kind`.

  Args:
    kind: one of `task_spec.KINDS`.
    num_classes: classification: the number of classes (>= 2); regression:
      None or 1; ignored (must be None) for span and multiple choice.
    **kwargs: the head's constructor arguments (`name`, `dropout_rate`,
      `hidden_size`, `num_choices`, `max_answer_length`, ...).

  Raises:
    ValueError: unknown kind, or num_classes not fitting the kind.
  """
  _check_kind(kind)
  cls = HEADS[kind]
  where = f'head {kwargs["name"]!r}' if kwargs.get('name') else 'head'
  if kind == 'classification':
    if num_classes is None or num_classes < 2:
      raise ValueError(f'{where}: a classification head needs num_classes '
                       f'>= 2, got {num_classes!r} (use kind "regression" '
                       'for one output).')
    return cls(num_classes=num_classes, **kwargs)
  if kind == 'regression':
    if num_classes not in (None, 1):
      raise ValueError(f'{where}: a regression head has one output; got '
                       f'num_classes={num_classes!r}.')
    return cls(num_classes=1, **kwargs)
  if num_classes is not None:
    raise ValueError(f'{where}: a {kind} head takes no num_classes, got '
                     f'{num_classes!r}.')
  return cls(**kwargs)


def build_head_for(task, **kwargs) -> base.SupervisedHead:
  """Builds the head of a `PreparedTask`-like object.

  Args:
    task: anything with `.spec` (a `TaskSpec`) and `.num_classes`; the head
      is named `spec.head_name`. A multiple-choice head takes C from the
      features at call time (the shared head serves datasets with different
      numbers of candidates), so `.num_choices` is not fixed in it.
    **kwargs: extra head arguments (e.g. `dropout_rate`).
  """
  spec = task.spec
  kwargs.setdefault('name', spec.head_name)
  num_classes = None
  if spec.kind == 'classification':
    num_classes = getattr(task, 'num_classes', None)
    if num_classes is None and spec.labels:
      num_classes = len(spec.labels)
    if num_classes is None:
      raise ValueError(f'task {spec.name!r}: a classification task needs '
                       'num_classes (or spec.labels) to build its head.')
  return build_head(spec.kind, num_classes=num_classes, **kwargs)


def check_head(head_name: str, head: base.SupervisedHead, task: str,
               kind: str) -> None:
  """Raises ValueError unless `head` serves task `task` of kind `kind`.

  The message names both, e.g. "head 'mrc' is a span head but task 'sst2'
  is classification."
  """
  _check_kind(kind)
  head.check_serves(kind, task=task, head_name=head_name)
