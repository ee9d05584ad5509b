"""Readers: a `TaskSpec`'s train/dev files -> plain Python examples.

One reader per `TaskSpec.resolved_format`:
  'glue'   `finetuning.glue_data.read_tsv` with the GLUE task's columns and
           label set (regression labels are floats);
  'tsv'    a header row naming the columns; `text_columns` (one or two) and
           `label_column` pick the fields;
  'jsonl'  one JSON object per line, keys by kind (see `task_spec`);
  'squad'  SQuAD v1.1 JSON, checked by `finetuning.squad_data.check_file`.

Examples are `TextExample` (classification, regression), `ChoiceExample`
(multiple choice) or `SpanExample` (span). Each keeps `where` (`file:line`,
or `file: question <id>` for SQuAD) so later checks name the row. A span
example uses its first answer (dev files may list several).

Every problem raises `SupervisedDataError` whose message starts with the task
and split and names the file (and line): a missing file, an empty split, a
row with the wrong column count, a missing column or JSON key, a label
outside the label set, a regression label that is not a number, a
multiple-choice label out of range, unequal choice counts, an answer that is
not `context[answer_start:answer_start + len(text)]`.
"""

import dataclasses
import json
import math
import os
from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from official_ext.finetuning import glue_data
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import squad_data
from official_ext.finetuning import task_names
from official_ext.multitask import task_spec

SPLITS = ('train', 'dev')


class SupervisedDataError(ValueError):
  """A task's data is missing, malformed or empty; names task, file, line."""


@dataclasses.dataclass(frozen=True)
class TextExample:
  """One classification / regression example.

  Attributes:
    text_a: the (first) text.
    text_b: the second text of a pair, or None.
    label: class name (str) or, for regression, a float.
    where: `file:line` of the row.
  """
  text_a: str
  text_b: Optional[str]
  label: Union[str, float]
  where: str


@dataclasses.dataclass(frozen=True)
class ChoiceExample:
  """One multiple-choice example: context, candidates, correct index."""
  context: str
  choices: Tuple[str, ...]
  label: int
  where: str


@dataclasses.dataclass(frozen=True)
class SpanExample:
  """One extractive question: the answer is `context[answer_start:...]`."""
  question: str
  context: str
  answer_text: str
  answer_start: int
  qid: str
  where: str


Example = Union[TextExample, ChoiceExample, SpanExample]


def _task(spec, split):
  return f'task {spec.name!r} ({split} split)'


def split_file(spec: task_spec.TaskSpec, split: str) -> str:
  """The file of `split` ('train' | 'dev'); raises if it does not exist."""
  if split not in SPLITS:
    raise ValueError(f'task {spec.name!r}: split must be one of {SPLITS}, '
                     f'got {split!r}')
  path = spec.train_file if split == 'train' else spec.dev_file
  if not tf.io.gfile.exists(path):
    field = 'train_file' if split == 'train' else 'dev_file'
    raise SupervisedDataError(f'{_task(spec, split)}: {field} {path} does not '
                              f'exist')
  return path


def _empty(spec, split, path):
  return SupervisedDataError(f'{_task(spec, split)}: the {split} split has no '
                             f'examples (file {path})')


def _lines(path):
  with tf.io.gfile.GFile(path, 'r') as f:
    return f.read().split('\n')


def _class_label(raw, where, spec):
  if not raw:
    raise SupervisedDataError(f'{where}: empty label')
  if spec.labels and raw not in spec.labels:
    raise SupervisedDataError(f'{where}: label {raw!r} is not in the label '
                              f'set {list(spec.labels)} of task '
                              f'{spec.name!r}')
  return raw


def _float_label(raw, where):
  try:
    value = float(raw)
  except (TypeError, ValueError):
    value = None
  if isinstance(raw, bool) or value is None or not math.isfinite(value):
    raise SupervisedDataError(f'{where}: regression label {raw!r} is not a '
                              f'finite number')
  return value


def _read_glue(spec, path, split):
  """`TextExample`s of a GLUE TSV (the GLUE task names columns/labels)."""
  try:
    task = task_names.parse_task(spec.glue_task)
  except glue_tasks.TaskError as e:
    raise SupervisedDataError(f'task {spec.name!r}: glue_task: {e}') from None
  if not isinstance(task, glue_tasks.GlueTask):
    raise SupervisedDataError(f'task {spec.name!r}: glue_task '
                              f'{spec.glue_task!r} is not a GLUE task')
  if task.is_regression != (spec.kind == 'regression'):
    raise SupervisedDataError(
        f'task {spec.name!r}: glue_task {spec.glue_task!r} is a '
        f'{"regression" if task.is_regression else "classification"} task '
        f'but the spec says kind {spec.kind!r}')
  rows = [line for line in _lines(path) if line.strip()]
  if len(rows) <= (1 if task.has_header else 0):
    raise _empty(spec, split, path)
  try:
    read, _ = glue_data.read_tsv(task, path, split)
  except glue_data.GlueDataError as e:
    raise SupervisedDataError(f'{_task(spec, split)}: {e}') from None
  examples = []
  for ex in read:
    where = f'{path}:{ex.guid.rsplit("-", 1)[1]}'
    label = ex.label if task.is_regression else _class_label(
        ex.label, f'{_task(spec, split)}: {where}', spec)
    examples.append(TextExample(ex.text_a, ex.text_b, label, where))
  return examples


def _read_tsv(spec, path, split):
  """`TextExample`s of a TSV with a header row naming the columns."""
  lines = _lines(path)
  if not any(line.strip() for line in lines):
    raise _empty(spec, split, path)
  prefix = _task(spec, split)
  header = [c.strip() for c in lines[0].rstrip('\r').split('\t')]
  index = {}
  for i, name in enumerate(header):
    index.setdefault(name, i)
  for setting, names in (('text_columns', spec.text_columns),
                         ('label_column', (spec.label_column,))):
    for name in names:
      if name not in index:
        raise SupervisedDataError(
            f'{prefix}: {path}:1: no column {name!r} (from {setting}); the '
            f'header has columns {header}')
  text_idx = [index[name] for name in spec.text_columns]
  label_idx = index[spec.label_column]
  examples = []
  for number, line in enumerate(lines[1:], start=2):
    line = line.rstrip('\r')
    if not line.strip():
      continue
    where = f'{path}:{number}'
    fields = line.split('\t')
    if len(fields) != len(header):
      raise SupervisedDataError(
          f'{prefix}: {where}: expected {len(header)} tab-separated columns '
          f'(as the header on line 1), found {len(fields)}')
    raw = fields[label_idx].strip()
    if spec.kind == 'regression':
      label = _float_label(raw, f'{prefix}: {where}')
    else:
      label = _class_label(raw, f'{prefix}: {where}', spec)
    texts = [fields[i] for i in text_idx]
    examples.append(TextExample(texts[0], texts[1] if len(texts) > 1 else None,
                                label, where))
  if not examples:
    raise _empty(spec, split, path)
  return examples


def _get(obj, key, types, where, needed):
  if key not in obj:
    raise SupervisedDataError(f'{where}: missing key {key!r} (a line needs '
                              f'{needed})')
  value = obj[key]
  if isinstance(value, bool) or not isinstance(value, types):
    names = '/'.join(t.__name__ for t in types)
    raise SupervisedDataError(f'{where}: {key!r} must be {names}, got '
                              f'{value!r}')
  return value


def _check_answer(context, text, start, where):
  found = context[start:start + len(text)] if start >= 0 else ''
  if start < 0 or found != text or not text.strip():
    raise SupervisedDataError(
        f'{where}: answer {text!r} does not match its context: '
        f'context[{start}:{start + len(text)}] is {found!r} (context has '
        f'{len(context)} characters)')


def _jsonl_text(obj, spec, where):
  needed = '"text_a", "label" (and optionally "text_b")'
  text_a = _get(obj, 'text_a', (str,), where, needed)
  text_b = obj.get('text_b')
  if text_b is not None and not isinstance(text_b, str):
    raise SupervisedDataError(f'{where}: "text_b" must be a string or null, '
                              f'got {text_b!r}')
  if spec.kind == 'regression':
    label = _float_label(_get(obj, 'label', (int, float, str), where, needed),
                         where)
  else:
    label = _class_label(str(_get(obj, 'label', (str, int), where, needed)),
                         where, spec)
  return TextExample(text_a, text_b, label, where)


def _jsonl_choice(obj, where):
  needed = '"context", "choices" (list of strings), "label" (index)'
  context = _get(obj, 'context', (str,), where, needed)
  choices = _get(obj, 'choices', (list,), where, needed)
  if len(choices) < 2 or not all(isinstance(c, str) for c in choices):
    raise SupervisedDataError(f'{where}: "choices" must be a list of at '
                              f'least 2 strings, got {choices!r}')
  label = _get(obj, 'label', (int,), where, needed)
  if not 0 <= label < len(choices):
    raise SupervisedDataError(f'{where}: label {label} is out of range for '
                              f'{len(choices)} choices (0..'
                              f'{len(choices) - 1})')
  return ChoiceExample(context, tuple(choices), label, where)


def _jsonl_span(obj, where, default_id):
  needed = ('"context", "question", "answers" ([{"text", "answer_start"}])')
  context = _get(obj, 'context', (str,), where, needed)
  question = _get(obj, 'question', (str,), where, needed)
  answers = _get(obj, 'answers', (list,), where, needed)
  if not answers:
    raise SupervisedDataError(f'{where}: "answers" is empty')
  for answer in answers:
    if not isinstance(answer, dict):
      raise SupervisedDataError(f'{where}: each answer must be an object '
                                f'{{"text", "answer_start"}}, got {answer!r}')
    text = _get(answer, 'text', (str,), where, '"text", "answer_start"')
    start = _get(answer, 'answer_start', (int,), where,
                 '"text", "answer_start"')
    _check_answer(context, text, start, where)
  qid = obj.get('id', default_id)
  return SpanExample(question, context, answers[0]['text'],
                     answers[0]['answer_start'], str(qid), where)


def _read_jsonl(spec, path, split):
  """Examples of a JSON-lines file; keys by `spec.kind`."""
  prefix = _task(spec, split)
  examples = []
  for number, line in enumerate(_lines(path), start=1):
    if not line.strip():
      continue
    where = f'{path}:{number}'
    try:
      obj = json.loads(line)
    except json.JSONDecodeError as e:
      raise SupervisedDataError(f'{prefix}: {where}: not valid JSON '
                                f'({e.msg})') from None
    if not isinstance(obj, dict):
      raise SupervisedDataError(f'{prefix}: {where}: expected a JSON object, '
                                f'got {type(obj).__name__}')
    try:
      if spec.kind == 'multiple_choice':
        examples.append(_jsonl_choice(obj, where))
      elif spec.kind == 'span':
        examples.append(_jsonl_span(
            obj, where, f'{os.path.basename(path)}:{number}'))
      else:
        examples.append(_jsonl_text(obj, spec, where))
    except SupervisedDataError as e:
      raise SupervisedDataError(f'{prefix}: {e}') from None
  if not examples:
    raise _empty(spec, split, path)
  return examples


def _read_squad(spec, path, split):
  """`SpanExample`s of a SQuAD v1.1 JSON file (first answer of each)."""
  try:
    dataset, _, _ = squad_data.check_file(path, version_2=False,
                                          is_training=False)
  except squad_data.SquadDataError as e:
    if str(e) == f'{path}: no questions':
      raise _empty(spec, split, path) from None
    raise SupervisedDataError(f'{_task(spec, split)}: {e}') from None
  examples = []
  for article in dataset['data']:
    for paragraph in article.get('paragraphs', []):
      for qa in paragraph['qas']:
        answer = qa['answers'][0]
        examples.append(SpanExample(
            qa['question'], paragraph['context'], answer['text'],
            answer['answer_start'], qa['id'],
            f'{path}: question {qa["id"]!r}'))
  return examples


READERS = {'glue': _read_glue, 'tsv': _read_tsv, 'jsonl': _read_jsonl,
           'squad': _read_squad}


def read_split(spec: task_spec.TaskSpec, split: str) -> List[Example]:
  """Reads and checks one split of a task.

  Args:
    spec: the task (checked with `spec.check()`).
    split: 'train' or 'dev'.

  Returns:
    The examples in file order (at least one).

  Raises:
    SupervisedDataError: missing file, empty split, malformed row.
    task_spec.TaskSpecError: inconsistent settings.
  """
  spec.check()
  path = split_file(spec, split)
  return READERS[spec.resolved_format](spec, path, split)


def class_labels(spec: task_spec.TaskSpec, train: Sequence[TextExample],
                 dev: Sequence[TextExample]) -> Optional[Tuple[str, ...]]:
  """The label set in class-index order (None unless classification).

  `spec.labels`, else the GLUE task's labels, else the sorted labels of the
  training split. Every train and dev label must be in it; a GLUE task's
  labels keep its order (its F1 / MCC take class 1 as positive).
  """
  if spec.kind != 'classification':
    return None
  glue = glue_tasks.GLUE_TASKS.get((spec.glue_task or '').removeprefix(
      glue_tasks.GLUE_PREFIX))
  if spec.labels and glue and tuple(spec.labels) != glue.labels:
    raise SupervisedDataError(
        f'task {spec.name!r}: labels {list(spec.labels)} differ from '
        f'{spec.glue_task}\'s {list(glue.labels)}, whose order its GLUE '
        'metrics read; leave labels unset.')
  if spec.labels:
    labels, source = tuple(spec.labels), 'the spec\'s labels'
  elif spec.resolved_format == 'glue':
    labels = task_names.parse_task(spec.glue_task).labels
    source = f'the labels of {spec.glue_task}'
  else:
    labels = tuple(sorted({ex.label for ex in train}))
    source = 'the labels of the training split'
  if len(set(labels)) != len(labels):
    raise SupervisedDataError(f'task {spec.name!r}: labels {list(labels)} '
                              f'has duplicates')
  if len(labels) < 2:
    raise SupervisedDataError(
        f'task {spec.name!r}: a classification task needs at least 2 labels; '
        f'{source} are {list(labels)} (file {spec.train_file})')
  for split, examples in (('train', train), ('dev', dev)):
    for ex in examples:
      if ex.label not in labels:
        raise SupervisedDataError(
            f'{_task(spec, split)}: {ex.where}: label {ex.label!r} is not in '
            f'the label set {list(labels)} ({source})')
  return labels


def num_choices(spec: task_spec.TaskSpec, train: Sequence[ChoiceExample],
                dev: Sequence[ChoiceExample]) -> int:
  """The one candidate count of every example; raises naming the odd row."""
  first = train[0]
  expected = len(first.choices)
  for split, examples in (('train', train), ('dev', dev)):
    for ex in examples:
      if len(ex.choices) != expected:
        raise SupervisedDataError(
            f'{_task(spec, split)}: {ex.where}: {len(ex.choices)} choices, '
            f'but {first.where} has {expected}; every example of a '
            f'multiple-choice task needs the same number of choices')
  return expected
