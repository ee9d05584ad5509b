"""SuperGLUE metrics as the benchmark defines them (Wang et al. 2019).

  CB       accuracy and macro-averaged F1 over its three classes
  MultiRC  F1a: binary F1 over every answer option of every question;
           EM: share of questions whose answer options are all right
  ReCoRD   per query the max over its gold answers of token F1 and of exact
           match (SQuAD normalisation), averaged over queries
  AX-b/g   Matthews correlation; the others accuracy

All return percent points (x 100), like `metrics.glue_metrics`.
"""

import collections
from typing import Dict, Hashable, Mapping, Sequence

import numpy as np

from official_ext.finetuning import metrics as metrics_lib


def macro_f1(predictions, labels) -> float:
  """Mean over the classes in `labels` or `predictions` of one-vs-rest F1."""
  labels = np.asarray(labels).reshape(-1)
  classes = np.union1d(labels, np.asarray(predictions).reshape(-1))
  return float(np.mean([metrics_lib.f1(predictions, labels, positive=c)
                        for c in classes]))


def multirc_metrics(predictions, labels,
                    questions: Sequence[Hashable]) -> Dict[str, float]:
  """F1a and per-question exact match, in percent.

  Args:
    predictions: [num_answers] 0/1 predicted per answer option.
    labels: [num_answers] 0/1 gold.
    questions: [num_answers] the question each answer option belongs to.
  """
  predictions = np.asarray(predictions).reshape(-1)
  labels = np.asarray(labels).reshape(-1)
  right = collections.defaultdict(lambda: True)
  for question, p, g in zip(questions, predictions, labels):
    right[question] = right[question] and bool(p == g)
  return {'f1a': 100.0 * metrics_lib.f1(predictions, labels, positive=1),
          'exact_match': 100.0 * float(np.mean(list(right.values())))}


def record_metrics(predictions: Mapping[Hashable, str],
                   answers: Mapping[Hashable, Sequence[str]]
                   ) -> Dict[str, float]:
  """ReCoRD `f1` and `exact_match` in percent (max over gold answers)."""
  return metrics_lib.squad_v1_metrics(predictions, answers)


def classification_metrics(metric_names: Sequence[str], predictions,
                           labels) -> Dict[str, float]:
  """accuracy / f1_macro / mcc in percent for class-id predictions."""
  functions = {'accuracy': metrics_lib.accuracy, 'f1_macro': macro_f1,
               'mcc': metrics_lib.matthews_corrcoef}
  unknown = sorted(set(metric_names) - set(functions))
  if unknown:
    raise ValueError(f'unknown SuperGLUE metric(s) {unknown}; known: '
                     f'{sorted(functions)}')
  return {name: 100.0 * functions[name](predictions, labels)
          for name in metric_names}
