"""SuperGLUE records (official JSONL fields) -> classifier items.

A reader turns one record into the `Item`s the classifier sees (one for a
sentence-pair task, one per answer option for MultiRC, one per choice or
candidate entity for COPA and ReCoRD) and `meta` that regroups them into
task predictions (`superglue_eval`). A record missing a key raises
`RecordError` naming the key; the caller adds the file and line.

Registry `READERS`: reader name (`SuperGlueTask.reader`) -> function
(task, record, labelled) -> (items, group) where `group` is (group id,
group data) for tasks scored per group (ReCoRD's gold answers) or None.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

# WSC span markers (span 1, span 2): put around each span in the text; the
# span-pair head reads the encoder at each span's opening marker.
SPAN_MARKERS = ('*', '~')
_COPA_QUESTIONS = {'cause': 'What was the cause?',
                   'effect': 'What happened as a result?'}


class RecordError(ValueError):
  """A record lacks a key or holds a bad value (message names the key)."""


@dataclasses.dataclass
class Item:
  """One classifier example.

  Attributes:
    text_a, text_b: the two segments (text_b may be None).
    label: the label string (one of the task's labels); None if unlabelled.
    meta: JSON-able data to regroup predictions (`idx`, question, choice...).
    word: WiC's target word (Model Garden's third segment).
  """
  text_a: str
  text_b: Optional[str]
  label: Optional[str]
  meta: Dict[str, Any]
  word: Optional[str] = None


def get(record: Dict[str, Any], key: str, kind=None):
  """record[key], or RecordError naming the (dotted) key."""
  if not isinstance(record, dict) or key not in record:
    raise RecordError(f'missing key {key!r}')
  value = record[key]
  if kind is not None and not isinstance(value, kind):
    raise RecordError(f'key {key!r} holds {type(value).__name__}, expected '
                      f'{kind.__name__ if isinstance(kind, type) else kind}')
  return value


def _label(task, record, labelled) -> Optional[str]:
  """The record's label as one of `task.labels` (bools -> 'True'/'False')."""
  if not labelled:
    return None
  raw = get(record, 'label')
  label = str(raw)
  if label not in task.labels:
    raise RecordError(f'key \'label\' holds {raw!r}, not one of '
                      f'{list(task.labels)}')
  return label


def _idx(record):
  return get(record, 'idx')


def read_pair(task, record, labelled):
  first, second = task.tfds_fields[:2]
  return [Item(get(record, first, str), get(record, second, str),
               _label(task, record, labelled), {'idx': _idx(record)})], None


def read_wic(task, record, labelled):
  items, _ = read_pair(task, record, labelled)
  items[0].word = get(record, 'word', str)
  return items, None


def read_wsc(task, record, labelled):
  """Span pair: span1 marked *...*, span2 ~...~ in the text (SPAN_MARKERS)."""
  text = get(record, 'text', str)
  target = get(record, 'target', dict)
  words = text.split(' ')
  spans = []
  for n, mark in ((1, SPAN_MARKERS[0]), (2, SPAN_MARKERS[1])):
    start = get(target, f'span{n}_index', int)
    span_text = get(target, f'span{n}_text', str)
    end = start + len(span_text.split(' '))
    if not 0 <= start < end <= len(words):
      raise RecordError(f'key \'target.span{n}_index\' ({start}) is outside '
                        f'the text\'s {len(words)} words')
    spans.append((start, end, mark, span_text))
  for start, end, mark, _ in sorted(spans, reverse=True):
    words[start:end] = [mark] + words[start:end] + [mark]
  question = f'Does {spans[1][3]} refer to {spans[0][3]}?'
  return [Item(' '.join(words), question, _label(task, record, labelled),
               {'idx': _idx(record)})], None


def read_copa(task, record, labelled):
  """Two items, one per choice; label '1' on the right one."""
  premise = get(record, 'premise', str)
  kind = get(record, 'question', str)
  if kind not in _COPA_QUESTIONS:
    raise RecordError(f'key \'question\' holds {kind!r}, not cause/effect')
  answer = get(record, 'label', int) if labelled else None
  if answer not in (None, 0, 1):
    raise RecordError(f'key \'label\' holds {answer!r}, not 0 or 1')
  items = []
  for choice in (0, 1):
    text = get(record, f'choice{choice + 1}', str)
    label = None if answer is None else str(int(answer == choice))
    items.append(Item(premise, f'{_COPA_QUESTIONS[kind]} {text}', label,
                      {'idx': _idx(record), 'choice': choice}))
  return items, None


def read_multirc(task, record, labelled):
  """One item per answer option: (paragraph, question + answer) -> 0/1."""
  passage = get(record, 'passage', dict)
  text = get(passage, 'text', str)
  items = []
  for question in get(passage, 'questions', list):
    q_text = get(question, 'question', str)
    for answer in get(question, 'answers', list):
      label = None
      if labelled:
        label = str(get(answer, 'label'))
        if label not in task.labels:
          raise RecordError(f'key \'label\' of an answer holds {label!r}, '
                            f'not 0 or 1')
      items.append(Item(text, f'{q_text} {get(answer, "text", str)}', label,
                        {'idx': _idx(record), 'question': _idx(question),
                         'answer': _idx(answer)}))
  return items, None


def _record_entities(passage) -> List[str]:
  """Candidate entity strings (JSONL: start/end offsets, end inclusive)."""
  text = get(passage, 'text', str)
  out = []
  for entity in get(passage, 'entities', list):
    if isinstance(entity, str):  # TFDS gives the strings
      name = entity
    else:
      name = text[get(entity, 'start', int):get(entity, 'end', int) + 1]
    if name not in out:
      out.append(name)
  return out


def read_record(task, record, labelled):
  """One item per (query, candidate entity); gold answers per query."""
  passage = get(record, 'passage', dict)
  text = get(passage, 'text', str).replace('@highlight\n', '- ')
  entities = _record_entities(passage)
  items, groups = [], {}
  for qa in get(record, 'qas', list):
    query = get(qa, 'query', str)
    if '@placeholder' not in query:
      raise RecordError('key \'query\' has no @placeholder')
    golds = []
    if labelled:
      golds = [a if isinstance(a, str) else get(a, 'text', str)
               for a in get(qa, 'answers', list)]
    qid = _idx(qa)
    groups[str(qid)] = golds
    for entity in entities:
      label = None if not labelled else str(int(entity in golds))
      items.append(Item(text, query.replace('@placeholder', entity), label,
                        {'idx': qid, 'entity': entity}))
  return items, groups


READERS = {'pair': read_pair, 'wic': read_wic, 'wsc': read_wsc,
           'copa': read_copa, 'multirc': read_multirc,
           'record': read_record}


def read(task, record, labelled) -> Tuple[List[Item], Optional[dict]]:
  """The task's reader applied to one record."""
  return READERS[task.reader](task, record, labelled)
