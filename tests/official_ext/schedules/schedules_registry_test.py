"""Schedules by name."""

import pytest

from official_ext.schedules import combination
from official_ext.schedules import continual
from official_ext.schedules import registry

TASKS = ['mlm', 'qt', 'so', 'tf_idf']


def test_every_method_by_name():
  assert registry.known_schedules() == ('sum', 'inc', 'alt', 'alt+', 'cmtl',
                                        'cmtl+')
  built = {
      'sum': registry.build_schedule('sum', TASKS, sentence_tasks={'qt'}),
      'inc': registry.build_schedule('inc', TASKS, epoch_budget=10),
      'alt': registry.build_schedule('alt', TASKS),
      'alt+': registry.build_schedule('alt+', TASKS),
      'cmtl': registry.build_schedule('cmtl', TASKS, total_budget=200,
                                      seed=4),
      'cmtl+': registry.build_schedule('cmtl+', TASKS, unit='tokens',
                                       total_budget=10**10,
                                       after_last_stage='uniform'),
  }
  for name, schedule in built.items():
    assert schedule.method == name
    assert schedule.describe().startswith(name + ':')
  assert isinstance(built['cmtl+'], continual.CmtlPlusSchedule)
  assert isinstance(built['inc'], combination.IncSchedule)
  assert built['cmtl'].get_config()['seed'] == 4
  assert built['sum'].sentence_tasks == ('qt',)


def test_unknown_method_lists_the_known_ones():
  with pytest.raises(ValueError, match=r"'cmtl\+\+'.*sum, inc, alt, alt\+, "
                     r"cmtl, cmtl\+"):
    registry.build_schedule('cmtl++', TASKS)


@pytest.mark.parametrize('kwargs,match', [
    (dict(method='inc'), 'needs epoch_budget'),
    (dict(method='cmtl+'), 'needs total_budget'),
    (dict(method='sum', total_budget=100), r"only used by 'cmtl'"),
    (dict(method='cmtl', total_budget=100, epoch_budget=5),
     r"epoch_budget=5 is only used by 'inc'"),
])
def test_budgets_go_only_to_the_method_using_them(kwargs, match):
  with pytest.raises(ValueError, match=match):
    registry.build_schedule(tasks=TASKS, **kwargs)


def test_register_refuses_a_taken_name():
  with pytest.raises(ValueError, match='already registered'):
    registry.register_schedule('sum')(combination.SumSchedule)
