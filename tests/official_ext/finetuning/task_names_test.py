"""Tests for official_ext.finetuning.task_names: every catalogue by name."""
import pytest

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import task_names


def test_parse_task():
  assert task_names.parse_task('glue/sst2').glue_dir == 'SST-2'
  assert task_names.parse_task(' glue/rte ') is glue_tasks.GLUE_TASKS['rte']
  assert task_names.parse_task('superglue/rte') is \
      superglue_tasks.SUPERGLUE_TASKS['rte']
  assert task_names.parse_task('squad/v2.0').version_2_with_negative
  assert glue_tasks.full_name(task_names.parse_task('squad/v1.1')) == \
      'squad/v1.1'


def test_an_unknown_name_lists_every_catalogue():
  with pytest.raises(glue_tasks.TaskError,
                     match='unknown task .*glue/sst5') as e:
    task_names.parse_task('glue/sst5')
  for name in ('glue/sst2', 'superglue/boolq', 'squad/v2.0'):
    assert name in str(e.value)
