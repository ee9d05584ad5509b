"""GLUE and SQuAD metrics, computed as the papers report them.

GLUE (Wang et al. 2019): CoLA Matthews correlation, STS-B Pearson and
Spearman correlation, MRPC/QQP F1 (positive class 1) and accuracy, MNLI
matched/mismatched accuracy, accuracy for the others. The functions take
NumPy arrays of shape `[num_examples]` and return plain floats in the
metric's natural range (accuracy/F1 in [0, 1], correlations in [-1, 1]);
`glue_metrics` returns the same in percent points (x 100), as the tables
print them.

SQuAD (Rajpurkar et al. 2016/2018): exact match and token F1 after the
official answer normalisation (lower case, drop punctuation, drop the
articles a/an/the, collapse white space), maximised over the gold answers.
For v2.0 a question is answered with its best non-null span unless its
null-score difference `na_score` exceeds a threshold; `best_threshold`
searches that threshold on the dev set as the official `evaluate-v2.0.py`
does (`find_best_thresh`), and `squad_v2_metrics` reports EM/F1 at the best
thresholds and at 0.
"""

import collections
import math
import re
import string
from typing import Dict, Iterable, Mapping, Sequence, Tuple

import numpy as np

# --------------------------------------------------------------------- GLUE


def _as_1d(values, name):
  array = np.asarray(values)
  if array.ndim != 1:
    array = array.reshape(-1)
  if array.size == 0:
    raise ValueError(f'{name} is empty')
  return array


def _check_pair(predictions, labels):
  predictions = _as_1d(predictions, 'predictions')
  labels = _as_1d(labels, 'labels')
  if predictions.shape != labels.shape:
    raise ValueError(f'predictions {predictions.shape} and labels '
                     f'{labels.shape} differ in length')
  return predictions, labels


def accuracy(predictions, labels) -> float:
  """Fraction of `predictions[i] == labels[i]`."""
  predictions, labels = _check_pair(predictions, labels)
  return float(np.mean(predictions == labels))


def f1(predictions, labels, positive=1) -> float:
  """Binary F1 of the `positive` class (0 when it is never predicted/true)."""
  predictions, labels = _check_pair(predictions, labels)
  true_pos = np.sum((predictions == positive) & (labels == positive))
  pred_pos = np.sum(predictions == positive)
  gold_pos = np.sum(labels == positive)
  if true_pos == 0:
    return 0.0
  precision = true_pos / pred_pos
  recall = true_pos / gold_pos
  return float(2 * precision * recall / (precision + recall))


def matthews_corrcoef(predictions, labels) -> float:
  """Matthews correlation of two binary label vectors (0 when undefined)."""
  predictions, labels = _check_pair(predictions, labels)
  pred = predictions.astype(bool)
  gold = labels.astype(bool)
  tp = float(np.sum(pred & gold))
  tn = float(np.sum(~pred & ~gold))
  fp = float(np.sum(pred & ~gold))
  fn = float(np.sum(~pred & gold))
  denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
  if denominator == 0:
    return 0.0
  return (tp * tn - fp * fn) / denominator


def pearson(predictions, labels) -> float:
  """Pearson correlation (0 when either side is constant)."""
  x, y = _check_pair(predictions, labels)
  x = x.astype(np.float64) - np.mean(x)
  y = y.astype(np.float64) - np.mean(y)
  denominator = math.sqrt(float(np.sum(x * x)) * float(np.sum(y * y)))
  if denominator == 0:
    return 0.0
  return float(np.sum(x * y) / denominator)


def _average_ranks(values):
  """1-based ranks, ties get the mean of the ranks they span."""
  order = np.argsort(values, kind='mergesort')
  ranks = np.empty(len(values), np.float64)
  sorted_values = values[order]
  start = 0
  while start < len(values):
    end = start
    while end + 1 < len(values) and sorted_values[end + 1] == \
        sorted_values[start]:
      end += 1
    ranks[order[start:end + 1]] = (start + end) / 2.0 + 1.0
    start = end + 1
  return ranks


def spearman(predictions, labels) -> float:
  """Spearman rank correlation (Pearson of average ranks)."""
  x, y = _check_pair(predictions, labels)
  return pearson(_average_ranks(x), _average_ranks(y))


def glue_metrics(metric_names: Sequence[str], predictions,
                 labels) -> Dict[str, float]:
  """Named metrics in percent points.

  Args:
    metric_names: any of `accuracy`, `f1`, `mcc`, `pearson`, `spearman`.
    predictions: `[num_examples]` class ids, or scores for regression.
    labels: `[num_examples]` gold class ids or scores.

  Returns:
    `{name: 100 * value}`.
  """
  functions = {'accuracy': accuracy, 'f1': f1, 'mcc': matthews_corrcoef,
               'pearson': pearson, 'spearman': spearman}
  out = {}
  for name in metric_names:
    if name not in functions:
      raise ValueError(f'unknown GLUE metric {name!r}; known: '
                       f'{sorted(functions)}')
    out[name] = 100.0 * functions[name](predictions, labels)
  return out


# -------------------------------------------------------------------- SQuAD


def normalize_answer(text: str) -> str:
  """The official SQuAD normalisation (v1.1 and v2.0 scripts agree)."""
  text = text.lower()
  text = ''.join(ch for ch in text if ch not in set(string.punctuation))
  text = re.sub(r'\b(a|an|the)\b', ' ', text, flags=re.UNICODE)
  return ' '.join(text.split())


def exact_match(prediction: str, gold: str) -> float:
  return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
  """Bag-of-tokens F1; an empty side scores 1 iff both are empty."""
  pred_tokens = normalize_answer(prediction).split()
  gold_tokens = normalize_answer(gold).split()
  if not pred_tokens or not gold_tokens:
    return float(pred_tokens == gold_tokens)
  common = collections.Counter(pred_tokens) & collections.Counter(gold_tokens)
  same = sum(common.values())
  if same == 0:
    return 0.0
  precision = same / len(pred_tokens)
  recall = same / len(gold_tokens)
  return 2 * precision * recall / (precision + recall)


def gold_answers(answers: Iterable[str]):
  """Gold texts that survive normalisation; `['']` for no-answer."""
  kept = [a for a in answers if normalize_answer(a)]
  return kept or ['']


def question_scores(prediction: str, answers: Iterable[str]
                    ) -> Tuple[float, float]:
  """(EM, F1) of one prediction, maximised over the gold answers."""
  golds = gold_answers(answers)
  return (max(exact_match(prediction, g) for g in golds),
          max(token_f1(prediction, g) for g in golds))


def squad_v1_metrics(predictions: Mapping[str, str],
                     answers: Mapping[str, Sequence[str]]
                     ) -> Dict[str, float]:
  """`exact_match`, `f1` in percent over every question of `answers`.

  A question without a prediction scores 0 (as the official script).
  """
  if not answers:
    raise ValueError('no questions to evaluate')
  em = f1_total = 0.0
  for qid, golds in answers.items():
    if qid in predictions:
      q_em, q_f1 = question_scores(predictions[qid], golds)
      em += q_em
      f1_total += q_f1
  return {'exact_match': 100.0 * em / len(answers),
          'f1': 100.0 * f1_total / len(answers)}


def best_threshold(scores: Mapping[str, float], na_scores: Mapping[str, float],
                   has_answer: Mapping[str, bool],
                   predictions: Mapping[str, str]) -> Tuple[float, float]:
  """The no-answer threshold that maximises a per-question score.

  A question is answered with `predictions[qid]` when
  `na_scores[qid] <= threshold` and abstains otherwise. Start with every
  question abstaining (score = number of no-answer questions), then answer
  them in increasing `na_score`: an answerable question gains `scores[qid]`,
  an unanswerable one loses 1 if its prediction is non-empty. Thresholds lie
  between distinct `na_score` values, so tied questions move together.

  Args:
    scores: per-question EM or F1 in [0, 1] of the non-null prediction.
    na_scores: per-question null-score difference (higher = less answerable).
    has_answer: whether the question has a gold answer.
    predictions: the non-null predictions (to see which are empty).

  Returns:
    (best score in percent, threshold). When abstaining everywhere is best,
    the threshold is just below the smallest `na_score`.
  """
  qids = sorted(scores, key=lambda q: na_scores[q])
  if not qids:
    raise ValueError('no questions to evaluate')
  current = float(sum(1 for q in qids if not has_answer[q]))
  best = current
  threshold = na_scores[qids[0]] - 1.0
  for i, qid in enumerate(qids):
    if has_answer[qid]:
      current += scores[qid]
    elif predictions.get(qid, ''):
      current -= 1.0
    last_of_tie = (i + 1 == len(qids) or
                   na_scores[qids[i + 1]] != na_scores[qid])
    if last_of_tie and current > best:
      best = current
      threshold = na_scores[qid]
  return 100.0 * best / len(qids), float(threshold)


def _thresholded(raw, na_scores, has_answer, threshold):
  return {q: (raw[q] if na_scores[q] <= threshold else
              float(not has_answer[q])) for q in raw}


def squad_v2_metrics(predictions: Mapping[str, str],
                     na_scores: Mapping[str, float],
                     answers: Mapping[str, Sequence[str]]
                     ) -> Dict[str, float]:
  """SQuAD 2.0 metrics in percent.

  Args:
    predictions: qid -> best non-null answer text.
    na_scores: qid -> null score minus best non-null score.
    answers: qid -> gold answer texts (empty for unanswerable questions).

  Returns:
    `exact_match`/`f1` at their best thresholds (`best_exact_thresh`,
    `best_f1_thresh`; the number papers report), `exact_match_at_0`/
    `f1_at_0` (threshold 0), and the official script's breakdown
    (`HasAns_exact`, `HasAns_f1`, `HasAns_total`, `NoAns_*`, `total`, as
    `has_ans_exact` ... `total`) at the best F1 threshold: the decision rule
    chosen on dev.
  """
  missing = [q for q in answers if q not in predictions or q not in na_scores]
  if missing:
    raise ValueError(f'{len(missing)} questions have no prediction or null '
                     f'score, e.g. {missing[:3]}')
  has_answer = {q: bool(a) for q, a in answers.items()}
  raw_em, raw_f1 = {}, {}
  for qid, golds in answers.items():
    raw_em[qid], raw_f1[qid] = question_scores(predictions[qid], golds)
  best_em, em_thresh = best_threshold(raw_em, na_scores, has_answer,
                                      predictions)
  best_f1, f1_thresh = best_threshold(raw_f1, na_scores, has_answer,
                                      predictions)
  at0_em = _thresholded(raw_em, na_scores, has_answer, 0.0)
  at0_f1 = _thresholded(raw_f1, na_scores, has_answer, 0.0)
  at_best_f1 = _thresholded(raw_f1, na_scores, has_answer, f1_thresh)
  em_at_best_f1 = _thresholded(raw_em, na_scores, has_answer, f1_thresh)

  def mean(values, qids):
    return 100.0 * sum(values[q] for q in qids) / len(qids) if qids else 0.0

  has_qids = [q for q in answers if has_answer[q]]
  no_qids = [q for q in answers if not has_answer[q]]
  return {
      'exact_match': best_em, 'f1': best_f1,
      'best_exact_thresh': em_thresh, 'best_f1_thresh': f1_thresh,
      'exact_match_at_0': mean(at0_em, list(answers)),
      'f1_at_0': mean(at0_f1, list(answers)),
      'has_ans_exact': mean(em_at_best_f1, has_qids),
      'has_ans_f1': mean(at_best_f1, has_qids),
      'has_ans_total': float(len(has_qids)),
      'no_ans_exact': mean(em_at_best_f1, no_qids),
      'no_ans_f1': mean(at_best_f1, no_qids),
      'no_ans_total': float(len(no_qids)),
      'total': float(len(answers)),
  }
