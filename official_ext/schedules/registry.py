"""Schedules by method name: 'sum', 'inc', 'alt', 'alt+', 'cmtl', 'cmtl+'.

`build_schedule` is the one builder to bind from gin; it forwards a budget
only to the method that uses it and refuses one given to another method.
"""

from typing import Callable, Dict, Optional, Sequence, Type

from official_ext.schedules import combination
from official_ext.schedules import continual

_REGISTRY: Dict[str, Type[combination.Schedule]] = {}


def register_schedule(name: str) -> Callable:
  """Class decorator: makes the schedule buildable as `name`."""
  def wrap(cls):
    if name in _REGISTRY:
      raise ValueError(f'schedule {name!r} is already registered '
                       f'({_REGISTRY[name].__name__}).')
    _REGISTRY[name] = cls
    return cls
  return wrap


for _cls in (combination.SumSchedule, combination.IncSchedule,
             combination.AltSchedule, combination.AltPlusSchedule,
             continual.CmtlSchedule, continual.CmtlPlusSchedule):
  register_schedule(_cls.method)(_cls)


def known_schedules() -> Sequence[str]:
  return tuple(_REGISTRY)


def get_schedule_cls(name: str) -> Type[combination.Schedule]:
  if name not in _REGISTRY:
    raise ValueError(f'unknown schedule method {name!r}; known: '
                     f'{", ".join(_REGISTRY)}.')
  return _REGISTRY[name]


def build_schedule(method: str, tasks: Sequence[str],
                   base_task: Optional[str] = 'mlm',
                   sentence_tasks: combination.SentenceTasks = (),
                   unit: str = 'steps',
                   epoch_budget: Optional[int] = None,
                   total_budget: Optional[int] = None,
                   seed: int = 0,
                   after_last_stage: str = 'all') -> combination.Schedule:
  """The schedule `method` over `tasks`.

  Args:
    method: one of `known_schedules()`.
    tasks, base_task, sentence_tasks, unit: see `combination.Schedule`.
    epoch_budget: inc only: steps/tokens per epoch.
    total_budget: cmtl and cmtl+ only: steps/tokens of all stages.
    seed, after_last_stage: cmtl and cmtl+ only (ignored otherwise).
  """
  cls = get_schedule_cls(method)
  kwargs = dict(tasks=tasks, base_task=base_task,
                sentence_tasks=sentence_tasks, unit=unit)
  wants_epoch = issubclass(cls, combination.IncSchedule)
  wants_total = issubclass(cls, continual.CmtlSchedule)
  for setting, value, wanted, users in (
      ('epoch_budget', epoch_budget, wants_epoch, "'inc'"),
      ('total_budget', total_budget, wants_total, "'cmtl' and 'cmtl+'")):
    if wanted and value is None:
      raise ValueError(f'schedule {method!r} needs {setting}.')
    if not wanted and value is not None:
      raise ValueError(f'{setting}={value!r} is only used by {users}, not by '
                       f'schedule {method!r}; drop it.')
  if wants_epoch:
    kwargs['epoch_budget'] = epoch_budget
  if wants_total:
    kwargs.update(total_budget=total_budget, seed=seed,
                  after_last_stage=after_last_stage)
  return cls(**kwargs)
