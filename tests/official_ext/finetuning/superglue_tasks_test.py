"""SuperGLUE names, files and metrics in the task catalogue."""

import pytest

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import task_names


@pytest.mark.parametrize('name,title,metrics', [
    ('boolq', 'BoolQ', ['accuracy']), ('cb', 'CB', ['accuracy', 'f1_macro']),
    ('copa', 'COPA', ['accuracy']), ('multirc', 'MultiRC',
                                     ['f1a', 'exact_match']),
    ('record', 'ReCoRD', ['f1', 'exact_match']), ('rte', 'RTE', ['accuracy']),
    ('wic', 'WiC', ['accuracy']), ('wsc', 'WSC', ['accuracy']),
    ('axb', 'AX-b', ['mcc']), ('axg', 'AX-g', ['mcc'])])
def test_every_task_parses(name, title, metrics):
  task = task_names.parse_task(f'superglue/{name}')
  assert superglue_tasks.is_superglue(task) and glue_tasks.is_glue(task)
  assert task.title == title and task.metric_keys() == metrics
  assert task.submission_file == f'{title}.jsonl'
  assert glue_tasks.full_name(task) == f'superglue/{name}'
  assert task.slug == f'superglue_{name}'
  assert task.tfds_name == f'super_glue/{name}'


def test_glue_rte_stays_glue_and_scores_average_metrics():
  assert task_names.parse_task('glue/rte').slug == 'glue_rte'
  cb = superglue_tasks.SUPERGLUE_TASKS['cb']
  assert glue_tasks.task_score(cb, {'accuracy': 80.0, 'f1_macro': 60.0}) == 70
  assert [t.name for t in superglue_tasks.SUPERGLUE_TASKS.values()
          if t.diagnostic] == ['axb', 'axg']
  with pytest.raises(glue_tasks.TaskError, match='superglue/boolq'):
    task_names.parse_task('superglue/nope')
