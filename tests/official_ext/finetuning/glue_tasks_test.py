"""Task catalogue: labels match Model Garden, names parse, scores."""

import pytest

from official.nlp.data import classifier_data_lib

from official_ext.finetuning import glue_tasks


@pytest.mark.parametrize('name', sorted(glue_tasks.GLUE_TASKS))
def test_label_sets_are_model_gardens(name):
  task = glue_tasks.GLUE_TASKS[name]
  processor = getattr(classifier_data_lib, task.mg_processor)
  if task.is_regression:
    assert task.num_classes == 1
    return
  # get_labels does not touch the instance (MnliProcessor's constructor
  # would load TFDS).
  assert list(task.labels) == processor.get_labels(None)
  assert task.num_classes == len(task.labels)


def test_metric_keys_and_scores():
  mnli = glue_tasks.GLUE_TASKS['mnli']
  assert mnli.metric_keys() == ['accuracy_m', 'accuracy_mm']
  assert glue_tasks.task_score(
      mnli, {'accuracy_m': 80.0, 'accuracy_mm': 82.0}) == 81.0
  stsb = glue_tasks.GLUE_TASKS['stsb']
  assert glue_tasks.task_score(stsb, {'pearson': 80.0, 'spearman': 90.0}) \
      == 85.0
  squad = glue_tasks.SQUAD_TASKS['v1.1']
  assert glue_tasks.task_score(squad, {'exact_match': 70.0, 'f1': 80.0}) \
      == 80.0
  # One dev file's metrics without split suffixes (multi-task validation).
  assert glue_tasks.task_score(mnli, {'accuracy': 79.0}, splits=('',)) == 79.0
  assert glue_tasks.task_score(mnli, {'accuracy_mm': 82.0},
                               splits=('mm',)) == 82.0
  mrpc = glue_tasks.GLUE_TASKS['mrpc']
  assert glue_tasks.task_score(mrpc, {'f1': 90.0, 'accuracy': 80.0},
                               splits=('',)) == 85.0
