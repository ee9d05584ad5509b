"""Every experiment gin file parses, has the paper settings, and builds its
model (at tiny size: SIZE and MAX_SEQ_LENGTH overridden)."""
import glob
import os

import gin
import pytest
import tensorflow as tf

from official.nlp.modeling import models as mg_models
from official_ext.modeling.models import generator_discriminator_pretrainer
from official_ext.modeling.models import multi_objective_pretrainer
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from tests.official_ext.trainer import trainer_fixtures as fx

GIN_DIR = os.path.join(fx.REPO, 'gin')
# file: (objective, size, peak learning rate)
EXPERIMENTS = {
    'teams_tiny.gin': ('teams', 'tiny', 1e-3),
    'teams_mini.gin': ('teams', 'mini', 2e-3),
    'teams_small.gin': ('teams', 'small', 5e-4),
    'teams_base.gin': ('teams', 'base', 2e-4),
    'teams_large.gin': ('teams', 'large', 1e-4),
    'electra_tiny.gin': ('electra', 'tiny', 1e-3),
    'electra_small.gin': ('electra', 'small', 5e-4),
    'electra_base.gin': ('electra', 'base', 2e-4),
    'electra_large.gin': ('electra', 'large', 2e-4),
    'bert_base_mlm.gin': ('bert_mlm', 'base', 1e-4),
    'bert_tiny_mlm.gin': ('bert_mlm', 'tiny', 1e-3),
    'bert_mini_mlm.gin': ('mlm_trunk', 'mini', 1e-3),
}
# size: (layers, hidden) of the discriminator / BERT encoder.
SHAPES = {'tiny': (2, 64), 'mini': (2, 128), 'small': (12, 256), 'base': (12, 768),
          'large': (24, 1024)}


def test_the_table_covers_every_experiment_file():
  assert sorted(EXPERIMENTS) == sorted(
      os.path.basename(p) for p in glob.glob(os.path.join(GIN_DIR, '*.gin')))


def _task(exp):
  return exp.task(train_data=exp.train_data.config,
                  validation_data=exp.eval_data.config,
                  vocab_size=exp.vocab_size)


@pytest.mark.parametrize('name', sorted(EXPERIMENTS))
def test_paper_settings(name, tiny_manifest):
  objective, size, lr = EXPERIMENTS[name]
  fx.parse(f'gin/{name}', f'DATA_MANIFEST = {tiny_manifest!r}')
  assert gin.query_parameter('%SIZE') == size
  assert gin.query_parameter('%LEARNING_RATE') == lr
  exp = gin_setup.build_experiment()
  if size not in ('tiny', 'mini'):  # the test and demo sizes
    assert exp.train_data.config.global_batch_size == 256
    assert gin.query_parameter('%WARMUP_STEPS') == 10000
    assert gin.query_parameter('%DROPOUT_RATE') == 0.1
  assert gin.query_parameter('adamw.epsilon') == 1e-6
  assert gin.query_parameter('adamw.weight_decay') == 0.01
  task = _task(exp)  # Configs only: no model is built at paper size.
  if objective == 'bert_mlm':
    encoder = task.task_config.model.encoder.bert
  elif objective == 'mlm_trunk':
    assert task.model_config.base == 'mlm'
    assert not task.model_config.aux_tasks
    encoder = task.model_config.trunk_config
  else:
    encoder = task.model_config.discriminator
    assert task.model_config.use_mws == (objective == 'teams')
    assert task.model_config.generator.vocab_size == 7027
  assert (encoder.num_layers, encoder.hidden_size) == SHAPES[size]
  assert encoder.vocab_size == 7027


@pytest.mark.parametrize('name', sorted(EXPERIMENTS))
def test_builds_its_model_at_tiny_size(name, tiny_manifest):
  objective = EXPERIMENTS[name][0]
  fx.parse(f'gin/{name}', f'DATA_MANIFEST = {tiny_manifest!r}',
           "SIZE = 'tiny'", 'MAX_SEQ_LENGTH = 128')
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, tf.distribute.get_strategy())
  expected = {'bert_mlm': mg_models.BertPretrainerV2,
              'mlm_trunk': multi_objective_pretrainer.MultiObjectivePretrainer
             }.get(objective, generator_discriminator_pretrainer
                   .GeneratorDiscriminatorPretrainer)
  assert isinstance(trainer.model, expected)
  assert trainer.model.trainable_variables
  assert all(v.shape.num_elements() for v in trainer.model.variables)
