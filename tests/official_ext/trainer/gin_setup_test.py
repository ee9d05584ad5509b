"""Gin parsing errors name the culprit; the operative config is written."""
import os

import gin
import pytest

from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from tests.official_ext.trainer import trainer_fixtures as fx

TINY = os.path.join(fx.REPO, 'gin', 'teams_tiny.gin')


def test_includes_resolve_from_another_working_directory(tmp_path,
                                                         monkeypatch):
  monkeypatch.chdir(tmp_path)
  gin_setup.parse([TINY])
  assert gin.query_parameter('%SIZE') == 'tiny'
  assert gin.query_parameter('Experiment.task').selector == (
      'generator_discriminator_task')


def test_later_bindings_override_files():
  gin_setup.parse([TINY], ['TRAIN_STEPS = 7', 'Experiment.seed = 3'])
  assert gin.query_parameter('%TRAIN_STEPS') == 7
  assert gin.query_parameter('Experiment.seed') == 3


@pytest.mark.parametrize('binding, culprit', [
    ('nonexistent.size = 3', "No configurable matching 'nonexistent'"),
    ('adamw.learning_rat = 3', "doesn't have a parameter named"),
    ('Experiment.task = @missing_task', "@missing_task"),
    ('teams_model.size = (', 'teams_model.size = ('),
])
def test_bad_binding_names_itself(binding, culprit):
  with pytest.raises(gin_setup.GinConfigError) as e:
    gin_setup.parse([TINY], [binding])
  assert f'--gin_bindings {binding!r}' in str(e.value)
  assert culprit in str(e.value)


def test_unknown_override_of_a_kwargs_builder_is_caught_when_parsing():
  with pytest.raises(gin_setup.GinConfigError,
                     match=r'gin binding teams_model.sise: no such parameter'):
    gin_setup.parse([TINY], ['teams_model.sise = 3'])
  gin_setup.parse([TINY], ['teams_model.num_negatives = 3'])


def test_undefined_macro_names_macro_and_user():
  with pytest.raises(gin_setup.GinConfigError,
                     match=r'%NOPE \(used by Experiment.seed\) is never'):
    gin_setup.parse([TINY], ['Experiment.seed = %NOPE'])


def test_bad_gin_file_is_named(tmp_path):
  with pytest.raises(gin_setup.GinConfigError, match='missing.gin'):
    gin_setup.parse([str(tmp_path / 'missing.gin')])
  bad = tmp_path / 'bad.gin'
  bad.write_text("include 'gin/sizes/tiny.gin'\nadamw.learning_rat = 1.0\n")
  with pytest.raises(gin_setup.GinConfigError) as e:
    gin_setup.parse([str(bad)])
  assert str(bad) in str(e.value) and 'learning_rat' in str(e.value)


def test_missing_data_is_reported_by_experiment():
  gin_setup.parse([TINY])
  with pytest.raises(ValueError, match='--data_manifest'):
    gin_setup.build_experiment()


def test_operative_config_lists_what_was_built(tiny_manifest, tmp_path):
  gin_setup.parse([TINY], [f'DATA_MANIFEST = {tiny_manifest!r}'])
  exp = gin_setup.build_experiment()
  assert exp.train_steps == 20 and exp.train_data.vocab_size == 7027
  exp.optimizer(decay_steps=exp.train_steps)
  path = runner.write_operative_config(
      str(tmp_path), gin_setup.operative_config(), 'train')
  text = open(path).read()
  assert path.endswith('operative_config.gin')
  assert 'train/pretrain_data.global_batch_size = %BATCH_SIZE' in text
  assert 'adamw.epsilon = 1e-06' in text
