"""Experiment settings are checked when gin builds it, naming the field."""
import dataclasses

import pytest

from official_ext.trainer import data_setup
from official_ext.trainer import experiment


def _exp(**kwargs):
  return experiment.Experiment(task=None, train_data=None, **kwargs)


@pytest.mark.parametrize('kwargs, message', [
    (dict(train_steps=0), r'Experiment.train_steps=0 must be positive'),
    (dict(steps_per_loop=100, checkpoint_interval=150),
     r'Experiment.checkpoint_interval=150 must be a multiple of '
     r'Experiment.steps_per_loop=100'),
    (dict(steps_per_loop=10, checkpoint_interval=10, eval_interval=15),
     r'Experiment.eval_interval=15 must be a multiple'),
    (dict(eval_steps=0), r'Experiment.eval_steps=0 must be positive or -1'),
    (dict(mixed_precision='fp8'), r"Experiment.mixed_precision='fp8' is"),
])
def test_bad_settings_name_the_field(kwargs, message):
  with pytest.raises(experiment.ExperimentError, match=message):
    _exp(**kwargs)


def test_check_data_per_mode(tiny_manifest):
  data = data_setup.pretrain_data(manifest=tiny_manifest, global_batch_size=8)
  exp = _exp()
  with pytest.raises(experiment.ExperimentError, match='training needs'):
    exp.check_data(train=True, evaluate=False)
  exp = dataclasses.replace(exp, train_data=data)
  exp.check_data(train=True, evaluate=False)
  with pytest.raises(experiment.ExperimentError, match='evaluation needs'):
    exp.check_data(train=True, evaluate=True)
  other = dataclasses.replace(data, vocab_size=100, source='other.json')
  with pytest.raises(experiment.ExperimentError,
                     match="has a vocab of 7027 tokens but eval data "
                     "'other.json' has 100"):
    dataclasses.replace(exp, eval_data=other).check_data(True, True)
  assert exp.vocab_size == 7027
