"""Classifier outputs -> SuperGLUE predictions, metrics and leaderboard files.

The classifier scores items (`superglue_readers.Item`); a decoder
(`DECODERS`, by `SuperGlueTask.decoder`) regroups them:

  classify  argmax class of each item
  multirc   argmax 0/1 per answer option, grouped by (paragraph, question)
  choice    COPA: the choice with the higher log-odds of label 1
  record    ReCoRD: per query the candidate entity with the highest
            log-odds of label 1

and returns the task's metrics (`superglue_metrics`; only when labelled) and
the leaderboard submission records, one JSON object a line in
`<Task>.jsonl` with the idx and label types of the task's train file
(booleans for BoolQ/WiC/WSC, strings for CB/RTE/AX-b/AX-g, 0/1 for COPA,
the entity string for ReCoRD, nested passage/questions/answers for MultiRC).
"""

import collections
import json
import os
from typing import Callable, Dict, List, Tuple

import numpy as np
import tensorflow as tf

from official_ext.finetuning import superglue_metrics

# label string -> its JSON value in submissions.
_JSON_LABELS = {'True': True, 'False': False}


def _log_odds(outputs: np.ndarray) -> np.ndarray:
  """[N, 2] logits -> [N] logit(label 1) - logit(label 0)."""
  return outputs[:, 1] - outputs[:, 0]


def _classify(task, outputs, meta):
  predictions = np.argmax(outputs, axis=-1)
  submission = [{'idx': m['idx'],
                 'label': _JSON_LABELS.get(task.labels[p], task.labels[p])}
                for m, p in zip(meta['items'], predictions)]
  metrics = None
  if None not in meta['labels']:
    gold = np.array([task.labels.index(l) for l in meta['labels']])
    metrics = superglue_metrics.classification_metrics(task.metrics,
                                                       predictions, gold)
  return metrics, submission


def _multirc(task, outputs, meta):
  del task
  predictions = np.argmax(outputs, axis=-1)
  passages = collections.OrderedDict()
  questions = []
  for m, p in zip(meta['items'], predictions):
    question_list = passages.setdefault(m['idx'], collections.OrderedDict())
    question_list.setdefault(m['question'], []).append(
        {'idx': m['answer'], 'label': int(p)})
    questions.append((m['idx'], m['question']))
  submission = [{'idx': p, 'passage': {'questions': [
      {'idx': q, 'answers': answers} for q, answers in qs.items()]}}
                for p, qs in passages.items()]
  metrics = None
  if None not in meta['labels']:
    gold = np.array([int(l) for l in meta['labels']])
    metrics = superglue_metrics.multirc_metrics(predictions, gold, questions)
  return metrics, submission


def _best_per_group(outputs, meta, key, value):
  """{group idx: meta[value] of its item with the highest log-odds}."""
  best: Dict = {}
  for m, score in zip(meta['items'], _log_odds(outputs)):
    group = m[key]
    if group not in best or score > best[group][0]:
      best[group] = (score, m[value])
  return {g: v for g, (_, v) in best.items()}


def _choice(task, outputs, meta):
  del task
  chosen = _best_per_group(outputs, meta, 'idx', 'choice')
  submission = [{'idx': idx, 'label': int(c)} for idx, c in chosen.items()]
  metrics = None
  if None not in meta['labels']:
    gold = {m['idx']: m['choice'] for m, l in zip(meta['items'],
                                                  meta['labels']) if l == '1'}
    ids = list(chosen)
    metrics = superglue_metrics.classification_metrics(
        ['accuracy'], np.array([chosen[i] for i in ids]),
        np.array([gold.get(i, -1) for i in ids]))
  return metrics, submission


def _record(task, outputs, meta):
  del task
  chosen = _best_per_group(outputs, meta, 'idx', 'entity')
  submission = [{'idx': idx, 'label': e} for idx, e in chosen.items()]
  metrics = None
  if None not in meta['labels']:
    answers = {int(q) if q.lstrip('-').isdigit() else q: golds
               for q, golds in meta['groups'].items()}
    metrics = superglue_metrics.record_metrics(chosen, answers)
  return metrics, submission


DECODERS = {'classify': _classify, 'multirc': _multirc, 'choice': _choice,
            'record': _record}


def decode(task, outputs: np.ndarray, meta: dict):
  """(metrics in percent or None when unlabelled, submission records).

  Args:
    task: the SuperGlueTask.
    outputs: [num_items, num_classes] classifier logits in item order.
    meta: the split's meta JSON (`superglue_data`).
  """
  if len(outputs) != len(meta['items']):
    raise ValueError(f'{len(outputs)} outputs for {len(meta["items"])} '
                     f'{task.name} items')
  return DECODERS[task.decoder](task, np.asarray(outputs), meta)


def write_submission(path: str, records: List[dict]) -> None:
  with tf.io.gfile.GFile(path, 'w') as f:
    for record in records:
      f.write(json.dumps(record) + '\n')


def evaluate(task, prepared, run_dir: str,
             predict: Callable[[str, int], Tuple[np.ndarray, np.ndarray,
                                                 np.ndarray]]):
  """Dev metrics (percent) of a run; writes its leaderboard-format files.

  `predict(tfrecord, count)` -> (example ids, label ids, logits). Writes
  `dev/<Task>.jsonl` (dev predictions) and, when the test set was prepared
  (`--predict_test`), `test/<Task>.jsonl`, the file the leaderboard takes.
  """
  from official_ext.finetuning import superglue_data  # pylint: disable=g-import-not-at-top
  splits = [('dev', prepared.eval_paths[''], prepared.num_eval[''],
             prepared.eval_meta[''])]
  if prepared.test_path:
    splits.append(('test', prepared.test_path, prepared.num_test,
                   prepared.test_meta))
  results = {}
  for split, path, count, meta_path in splits:
    ids, _, outputs = predict(path, count)
    outputs = np.asarray(outputs)[np.argsort(ids, kind='stable')]
    metrics, submission = decode(task, outputs,
                                 superglue_data.load_meta(meta_path))
    out_dir = os.path.join(run_dir, split)
    tf.io.gfile.makedirs(out_dir)
    write_submission(os.path.join(out_dir, task.submission_file), submission)
    if split == 'dev':
      if metrics is None:
        raise ValueError(f'{task.name}: the evaluation file has no labels')
      results = metrics
  return results
