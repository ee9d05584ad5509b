"""SQuAD JSON: checks, training TFRecords and gold answers.

Files (nothing downloaded): `<data_dir>/train-v1.1.json`, `dev-v1.1.json`
(v2.0: `train-v2.0.json`, `dev-v2.0.json`), or the same under
`<data_dir>/squad/`. `check_file` walks the official JSON layout (`data` ->
`paragraphs` -> `context`, `qas` -> `id`, `question`, `answers` ->
`text`, `answer_start`; v2.0 training also `is_impossible`) and insists that
every answer is the context substring starting at `answer_start`; a problem
raises `SquadDataError` naming `file:line` (the line of the question's
`"id"`) and the question id. Training features are written by Model
Garden's `squad_lib.generate_tf_record_from_json_file` (WordPiece); the
question-answering task featurises the dev file itself.
"""

import dataclasses
import hashlib
import json
import os
import re
from typing import Dict, List, Optional

import tensorflow as tf

from official.nlp.data import squad_lib

from official_ext.finetuning import glue_tasks

_META = 'meta.json'
_ID_PATTERN = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


class SquadDataError(ValueError):
  """A SQuAD file is missing or malformed."""


@dataclasses.dataclass
class PreparedSquad:
  """Inputs of one SQuAD run.

  Attributes:
    train_path: training TFRecord (features of `max_seq_length`).
    num_train_features: its records (a long context gives several).
    train_file, dev_file: the (checked, possibly filtered) JSON files.
    num_train_questions, num_dev_questions: question counts.
    eval_dir: where the task writes the featurised dev set.
    skipped: bad questions skipped (`file:line: reason`), if allowed.
  """
  train_path: str
  num_train_features: int
  train_file: str
  dev_file: str
  num_train_questions: int
  num_dev_questions: int
  eval_dir: str
  skipped: List[str] = dataclasses.field(default_factory=list)


def find_file(data_dir: str, name: str) -> Optional[str]:
  for folder in (data_dir, os.path.join(data_dir, 'squad')):
    path = os.path.join(folder, name)
    if tf.io.gfile.exists(path):
      return path
  return None


def _id_lines(text):
  """question id -> 1-based line of its `"id"` in the raw JSON text."""
  lines = {}
  line, last = 1, 0
  for match in _ID_PATTERN.finditer(text):
    line += text.count('\n', last, match.start())
    last = match.start()
    lines.setdefault(json.loads(f'"{match.group(1)}"'), line)
  return lines


def check_file(path: str, version_2: bool, is_training: bool,
               skip_bad_rows: bool = False):
  """Checks a SQuAD JSON file.

  Args:
    path: the JSON file.
    version_2: SQuAD 2.0 (unanswerable questions allowed).
    is_training: training file (exactly one answer per answerable question).
    skip_bad_rows: drop bad questions instead of raising.

  Returns:
    (dataset, answers, skipped): the parsed JSON (bad questions removed),
    question id -> gold answer texts (empty list: unanswerable), and the
    `file:line: reason` of each dropped question.
  """
  with tf.io.gfile.GFile(path, 'r') as f:
    text = f.read()
  try:
    dataset = json.loads(text)
  except json.JSONDecodeError as e:
    raise SquadDataError(f'{path}:{e.lineno}: not valid JSON ({e.msg})'
                         ) from None
  if not isinstance(dataset, dict) or not isinstance(dataset.get('data'),
                                                     list):
    raise SquadDataError(f'{path}: expected a JSON object with a "data" list '
                         f'(the SQuAD layout)')
  id_lines = _id_lines(text)
  answers, skipped = {}, []
  for a, article in enumerate(dataset['data']):
    title = article.get('title', '')
    for p, paragraph in enumerate(article.get('paragraphs', [])):
      where_p = f'{path}: article {a} ({title!r}), paragraph {p}'
      context = paragraph.get('context')
      if not isinstance(context, str) or not isinstance(
          paragraph.get('qas'), list):
        raise SquadDataError(f'{where_p}: needs a "context" string and a '
                             f'"qas" list')
      kept = []
      for qa in paragraph['qas']:
        try:
          qid, golds = _check_question(qa, context, path, id_lines, where_p,
                                       version_2, is_training)
        except SquadDataError as e:
          if not skip_bad_rows:
            raise
          skipped.append(str(e))
          continue
        if qid in answers:
          raise SquadDataError(f'{path}:{id_lines.get(qid, "?")}: question '
                               f'id {qid!r} appears twice')
        answers[qid] = golds
        kept.append(qa)
      paragraph['qas'] = kept
  if not answers:
    raise SquadDataError(f'{path}: no questions')
  return dataset, answers, skipped


def _check_question(qa, context, path, id_lines, where_p, version_2,
                    is_training):
  """(id, gold answer texts) of one question, or raises."""
  qid = qa.get('id')
  if not isinstance(qid, str) or not isinstance(qa.get('question'), str):
    raise SquadDataError(f'{where_p}: a question lacks an "id" or "question" '
                         f'string')
  where = f'{path}:{id_lines.get(qid, "?")}: question {qid!r}'
  qa_answers = qa.get('answers')
  if not isinstance(qa_answers, list):
    raise SquadDataError(f'{where}: "answers" must be a list')
  impossible = qa.get('is_impossible', False)
  if version_2 and is_training and 'is_impossible' not in qa:
    raise SquadDataError(f'{where}: SQuAD 2.0 training questions need '
                         f'"is_impossible"')
  if not version_2 and impossible:
    raise SquadDataError(f'{where}: is_impossible=true in a SQuAD 1.1 file '
                         f'(use squad/v2.0)')
  if impossible:
    if is_training and qa_answers:
      raise SquadDataError(f'{where}: is_impossible=true but it has answers')
    return qid, []
  if not qa_answers:
    raise SquadDataError(f'{where}: no answers (and not is_impossible)')
  if is_training and len(qa_answers) != 1:
    raise SquadDataError(f'{where}: training questions need exactly one '
                         f'answer, found {len(qa_answers)}')
  golds = []
  for answer in qa_answers:
    answer_text = answer.get('text')
    start = answer.get('answer_start')
    if not isinstance(answer_text, str) or not isinstance(start, int):
      raise SquadDataError(f'{where}: each answer needs "text" (string) and '
                           f'"answer_start" (integer)')
    found = context[start:start + len(answer_text)]
    if start < 0 or found != answer_text or not answer_text.strip():
      raise SquadDataError(
          f'{where}: answer {answer_text!r} does not match its context: '
          f'context[{start}:{start + len(answer_text)}] is {found!r} '
          f'(context has {len(context)} characters)')
    golds.append(answer_text)
  return qid, golds


def gold_answers(path: str, version_2: bool) -> Dict[str, List[str]]:
  """question id -> gold answers of a dev file (checked)."""
  return check_file(path, version_2, is_training=False)[1]


def missing_data_message(task: glue_tasks.SquadTask, data_dir: str) -> str:
  return (f'SQuAD {task.version}: put {task.train_file} and {task.dev_file} '
          f'(the official JSON files) in {data_dir}/ or {data_dir}/squad/. '
          f'Nothing is downloaded at run time.')


def _digest(parts):
  return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()
                        ).hexdigest()[:16]


def prepare(task: glue_tasks.SquadTask, data_dir: str, vocab_file: str,
            cache_dir: str, max_seq_length: int = 384,
            max_query_length: int = 64, doc_stride: int = 128,
            do_lower_case: bool = True,
            skip_bad_rows: bool = False) -> PreparedSquad:
  """Checks both files and writes (or reuses) the training TFRecord."""
  files = {}
  for role, name in (('train', task.train_file), ('dev', task.dev_file)):
    files[role] = find_file(data_dir, name)
    if files[role] is None:
      raise SquadDataError(missing_data_message(task, data_dir))
  with tf.io.gfile.GFile(vocab_file, 'rb') as f:
    vocab_digest = hashlib.sha256(f.read()).hexdigest()
  contents = {}
  for role, path in files.items():
    with tf.io.gfile.GFile(path, 'rb') as f:
      contents[role] = hashlib.sha256(f.read()).hexdigest()
  key = _digest({'task': task.version, 'files': contents,
                 'vocab': vocab_digest, 'max_seq_length': max_seq_length,
                 'max_query_length': max_query_length,
                 'doc_stride': doc_stride, 'do_lower_case': do_lower_case,
                 'skip_bad_rows': skip_bad_rows})
  out_dir = os.path.join(cache_dir, f'{task.slug}-{key}')
  meta_path = os.path.join(out_dir, _META)
  if tf.io.gfile.exists(meta_path):
    with tf.io.gfile.GFile(meta_path) as f:
      return PreparedSquad(**json.load(f))

  tf.io.gfile.makedirs(out_dir)
  checked, skipped = {}, []
  for role, path in files.items():
    dataset, answers, bad = check_file(
        path, task.version_2_with_negative, role == 'train', skip_bad_rows)
    skipped.extend(bad)
    if bad:  # Model Garden reads files: give it the filtered copy.
      path = os.path.join(out_dir, f'{role}.filtered.json')
      with tf.io.gfile.GFile(path, 'w') as f:
        json.dump(dataset, f)
    checked[role] = (path, len(answers))
  train_path = os.path.join(out_dir, 'train.tf_record')
  meta = squad_lib.generate_tf_record_from_json_file(
      checked['train'][0], vocab_file, train_path,
      max_seq_length=max_seq_length, do_lower_case=do_lower_case,
      max_query_length=max_query_length, doc_stride=doc_stride,
      version_2_with_negative=task.version_2_with_negative)
  if not meta['train_data_size']:
    raise SquadDataError(f'{checked["train"][0]}: no training feature could '
                         f'be built (answers not recoverable after '
                         f'tokenisation?)')
  prepared = PreparedSquad(
      train_path=train_path, num_train_features=meta['train_data_size'],
      train_file=checked['train'][0], dev_file=checked['dev'][0],
      num_train_questions=checked['train'][1],
      num_dev_questions=checked['dev'][1],
      eval_dir=os.path.join(out_dir, 'eval'), skipped=skipped)
  with tf.io.gfile.GFile(meta_path, 'w') as f:
    json.dump(dataclasses.asdict(prepared), f, indent=2, sort_keys=True)
  return prepared
