"""Dev-set metrics of every task of a multi-task model, in percent.

A task that names a GLUE task (`TaskSpec.glue_task`) is scored as
`official_ext.finetune` scores it: that task's metrics
(`GlueTask.metrics` through `metrics.glue_metrics`) and, as its score, their
mean (`glue_tasks.task_score`): CoLA Matthews correlation, MRPC/QQP
(F1 + accuracy) / 2, STS-B (Pearson + Spearman) / 2, accuracy for the
others. Any other task is scored by its kind:

  kind               metrics (the first is the task's score)
  classification     accuracy, f1 (of class 1; binary tasks only)
  regression         pearson, spearman
  span               exact_match, f1 (token positions, single window)
  multiple_choice    accuracy

The mean of the task scores (`mean_score`) is the validation metric early
stopping and best-checkpoint selection use (jiant: the average of the
tasks' validation metrics).
"""

from typing import Dict, Mapping, Sequence

import numpy as np
import tensorflow as tf

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import metrics as metrics_lib
from official_ext.finetuning import task_names
from official_ext.multitask import span_metrics

KIND_METRICS = {
    'classification': ('accuracy', 'f1'),
    'regression': ('pearson', 'spearman'),
    'span': ('exact_match', 'f1'),
    'multiple_choice': ('accuracy',),
}
SCORE_METRIC = {kind: names[0] for kind, names in KIND_METRICS.items()}


def task_metrics(spec, predictions, features,
                 num_classes=None) -> Dict[str, float]:
  """Metrics (percent) of one task's dev predictions; 'score' is its score
  (module docstring)."""
  if spec.glue_task:
    task = task_names.parse_task(spec.glue_task)
    result = metrics_lib.glue_metrics(task.metrics, predictions,
                                      features['label'])
    result['score'] = glue_tasks.task_score(task, result, splits=('',))
    return result
  result = _kind_metrics(spec.kind, predictions, features, num_classes)
  result['score'] = result[SCORE_METRIC[spec.kind]]
  return result


def _kind_metrics(kind, predictions, features,
                  num_classes=None) -> Dict[str, float]:
  """Metrics of one kind; `num_classes` (classification) decides whether
  the task is binary, else the dev labels do."""
  if kind == 'span':
    return span_metrics.span_metrics(
        predictions[:, 0], predictions[:, 1], features['start_positions'],
        features['end_positions'])
  labels = features['label']
  names = KIND_METRICS[kind]
  binary = (num_classes == 2 if num_classes is not None
            else set(np.unique(labels)) <= {0, 1})
  if kind == 'classification' and not binary:
    names = names[:1]  # F1 of class 1 only for binary tasks
  return metrics_lib.glue_metrics(names, predictions, labels)


class MultiTaskEvaluator:
  """Runs each task's dev split through the model; one trace per task."""

  def __init__(self, model, prepared: Sequence, batch_size: int = 64):
    self._model = model
    self._prepared = {p.spec.name: p for p in prepared}
    self._batch_size = batch_size
    self._predict = {}

  def _predict_fn(self, task):
    if task not in self._predict:
      model = self._model
      head = model.heads[model.task_heads[task]]

      @tf.function(reduce_retracing=True)
      def predict(features):
        return head.predictions(model(features, task=task, training=False))
      self._predict[task] = predict
    return self._predict[task]

  def evaluate_task(self, task: str) -> Dict[str, float]:
    """Metrics (percent) of one task; 'score' is its main metric."""
    prepared = self._prepared[task]
    predict = self._predict_fn(task)
    predictions, kept = [], {}
    label_keys = (('start_positions', 'end_positions')
                  if prepared.spec.kind == 'span' else ('label',))
    for batch in prepared.dataset('dev', self._batch_size, is_training=False):
      predictions.append(predict(batch).numpy())
      for key in label_keys:
        kept.setdefault(key, []).append(batch[key].numpy())
    predictions = np.concatenate(predictions)
    features = {k: np.concatenate(v) for k, v in kept.items()}
    return task_metrics(prepared.spec, predictions, features,
                        getattr(prepared, 'num_classes', None))

  def evaluate(self) -> Dict[str, Dict[str, float]]:
    """task -> metrics, for every task."""
    return {task: self.evaluate_task(task) for task in self._prepared}


def mean_score(results: Mapping[str, Mapping[str, float]]) -> float:
  """Mean over tasks of their 'score'."""
  if not results:
    raise ValueError('no task results to average.')
  return float(np.mean([r['score'] for r in results.values()]))
