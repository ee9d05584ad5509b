"""Head registry: one head class per kind, build errors, kind checks."""

import types

import pytest

from official_ext.multitask import task_spec
from official_ext.multitask.heads import classification_head
from official_ext.multitask.heads import multiple_choice_head
from official_ext.multitask.heads import registry
from official_ext.multitask.heads import span_head


def _info(name, kind, num_classes=None, labels=None, head=None):
  spec = task_spec.TaskSpec(name, kind, 'train.jsonl', 'dev.jsonl',
                            labels=labels, head=head)
  return types.SimpleNamespace(spec=spec, num_classes=num_classes,
                               num_choices=None)


def test_every_kind_has_a_head():
  assert set(registry.HEADS) == set(task_spec.KINDS)
  for kind in task_spec.KINDS:
    head = registry.build_head(kind, num_classes=3 if kind == 'classification'
                               else None)
    assert isinstance(head, registry.HEADS[kind])
    assert head.kind == kind and head.serves(kind)
  assert registry.build_head('classification', 3).num_classes == 3
  assert registry.build_head('regression').num_classes == 1
  assert isinstance(registry.build_head('span', max_answer_length=5),
                    span_head.SpanHead)


@pytest.mark.parametrize('kind,num_classes,match', [
    ('classification', None, 'num_classes >= 2'),
    ('classification', 1, 'num_classes >= 2'),
    ('regression', 3, 'one output'),
    ('span', 2, 'takes no num_classes'),
    ('multiple_choice', 4, 'takes no num_classes'),
])
def test_num_classes_must_fit_the_kind(kind, num_classes, match):
  with pytest.raises(ValueError, match=match):
    registry.build_head(kind, num_classes=num_classes, name='x')


def test_unknown_kind_lists_the_known_ones():
  with pytest.raises(ValueError) as err:
    registry.build_head('summarization')
  for kind in task_spec.KINDS:
    assert kind in str(err.value)


def test_head_serving_the_wrong_kind():
  mrc = span_head.SpanHead(name='mrc')
  with pytest.raises(ValueError) as err:
    registry.check_head('mrc', mrc, 'sst2', 'classification')
  assert str(err.value) == ("head 'mrc' is a span head but task 'sst2' is "
                            'classification.')
  reg = classification_head.ClassificationHead(1, name='stsb')
  with pytest.raises(ValueError, match="head 'stsb' is a regression head"):
    registry.check_head('stsb', reg, 'mnli', 'classification')
  registry.check_head('stsb', reg, 'stsb', 'regression')
  with pytest.raises(ValueError, match='unknown task kind'):
    registry.check_head('mrc', mrc, 'squad', 'spans')


def test_build_head_for_a_prepared_task():
  head = registry.build_head_for(_info('sst2', 'classification', 2))
  assert head.name == 'sst2' and head.num_classes == 2
  by_labels = registry.build_head_for(
      _info('nli', 'classification', labels=('a', 'b', 'c')))
  assert by_labels.num_classes == 3
  mc = registry.build_head_for(_info('piqa', 'multiple_choice'))
  assert isinstance(mc, multiple_choice_head.MultipleChoiceHead)
  assert mc.name == 'commonsense' and mc.num_choices is None
  assert registry.build_head_for(_info('squad', 'span')).name == 'mrc'
  with pytest.raises(ValueError, match="task 'cola'.*num_classes"):
    registry.build_head_for(_info('cola', 'classification'))
