"""TFDS `super_glue/<task>` rows -> records in the official JSONL shape.

TFDS flattens some tasks (MultiRC: a row per answer option; ReCoRD: a row per
query, entities as strings), decodes labels to class ids and names the
splits train/validation/test; `rows_to_records` rebuilds the JSONL records
so that one reader (`superglue_readers`) serves both sources. Only a dataset
already prepared under `tfds_data_dir` is read; nothing is downloaded.
"""

from typing import Any, Dict, Iterable, Iterator, List, Tuple

_SPLITS = {'train': 'train', 'dev': 'validation', 'test': 'test'}
# The diagnostics exist as one labelled TFDS split, "test".
_DIAGNOSTIC_SPLITS = {'dev': 'test', 'test': 'test'}


def _text(value) -> str:
  return value.decode('utf-8') if isinstance(value, bytes) else str(value)


def _label(task, row, names):
  """The JSONL label of a row (None when TFDS stores -1: unlabelled)."""
  raw = int(row['label'])
  if raw < 0:
    return None
  if task.reader == 'copa':
    return raw
  if task.reader == 'multirc':
    return raw  # 0/1
  name = names[raw]
  return {'True': True, 'False': False}.get(name, name)


def _flat(task, row, names) -> Dict[str, Any]:
  record = {'idx': int(row['idx'])}
  for field in task.tfds_fields:
    record[field] = _text(row[field])
  if task.reader == 'copa':
    record['question'] = _text(row['question'])
  if task.reader == 'wsc':
    record = {'idx': record['idx'], 'text': record['text'], 'target': {
        k: (int(row[k]) if k.endswith('index') else _text(row[k]))
        for k in ('span1_index', 'span1_text', 'span2_index', 'span2_text')}}
  label = _label(task, row, names)
  if label is not None:
    record['label'] = label
  return record


def _by_idx(items):
  return sorted(items, key=lambda item: item['idx'])


def _multirc(task, rows, names) -> List[Dict[str, Any]]:
  """Answer rows (stored in any order) -> passages of questions of answers."""
  passages: Dict[int, Dict[str, Any]] = {}
  questions: Dict[Tuple[int, int], Dict[str, Any]] = {}
  for row in rows:
    idx = row['idx']
    p, q = int(idx['paragraph']), int(idx['question'])
    passages.setdefault(p, {'idx': p, 'passage': {
        'text': _text(row['paragraph']), 'questions': []}})
    if (p, q) not in questions:
      questions[p, q] = {'idx': q, 'question': _text(row['question']),
                         'answers': []}
      passages[p]['passage']['questions'].append(questions[p, q])
    answer = {'idx': int(idx['answer']), 'text': _text(row['answer'])}
    label = _label(task, row, names)
    if label is not None:
      answer['label'] = label
    questions[p, q]['answers'].append(answer)
  for question in questions.values():
    question['answers'] = _by_idx(question['answers'])
  for passage in passages.values():
    passage['passage']['questions'] = _by_idx(passage['passage']['questions'])
  return _by_idx(passages.values())


def _record(rows) -> List[Dict[str, Any]]:
  """Query rows (stored in any order) -> passages with their queries."""
  passages: Dict[int, Dict[str, Any]] = {}
  for row in rows:
    idx = row['idx']
    p = passages.setdefault(int(idx['passage']), {
        'idx': int(idx['passage']),
        'passage': {'text': _text(row['passage']),
                    'entities': [_text(e) for e in row['entities']]},
        'qas': []})
    p['qas'].append({'idx': int(idx['query']), 'query': _text(row['query']),
                     'answers': [_text(a) for a in row['answers']]})
  for passage in passages.values():
    passage['qas'] = _by_idx(passage['qas'])
  return _by_idx(passages.values())


def rows_to_records(task, rows: Iterable[Dict[str, Any]],
                    label_names: List[str]) -> List[Dict[str, Any]]:
  """TFDS rows (NumPy values) of one split -> JSONL-shaped records."""
  if task.reader == 'multirc':
    return _multirc(task, rows, label_names)
  if task.reader == 'record':
    return _record(rows)
  return _by_idx(_flat(task, row, label_names) for row in rows)


class NotPreparedError(ValueError):
  """The TFDS dataset is not prepared under the data directory."""


def iter_records(task, split: str, tfds_data_dir: str
                 ) -> Iterator[Tuple[str, Dict[str, Any]]]:
  """(where, record) of a prepared TFDS split ('train'/'dev'/'test').

  Raises:
    NotPreparedError: at once (not on the first record) when the dataset is
      not prepared under `tfds_data_dir`.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder(task.tfds_name, data_dir=tfds_data_dir)
  if not builder.is_prepared():
    raise NotPreparedError(
        f'TFDS {task.tfds_name} is not prepared under {tfds_data_dir} '
        f'(expected {builder.data_dir}); prepare it beforehand (`tfds build '
        f'{task.tfds_name} --data_dir={tfds_data_dir}` on a machine with '
        f'network) or use the official JSONL files. Nothing is downloaded '
        f'at run time.')
  return _iter_prepared(builder, task, split)


def _iter_prepared(builder, task, split):
  """The (where, record) pairs of one split of a prepared `builder`."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  name = (_DIAGNOSTIC_SPLITS if task.diagnostic else _SPLITS)[split]
  label_feature = builder.info.features['label'] \
      if 'label' in builder.info.features else None
  names = list(label_feature.names) if label_feature is not None else []
  rows = tfds.as_numpy(builder.as_dataset(split=name, shuffle_files=False))
  for i, record in enumerate(rows_to_records(task, rows, names)):
    yield f'TFDS {task.tfds_name} {name} record {i}', record
