"""Every gin configurable of the trainer, registered in one place.

The builders live in plain modules without gin; this module registers them
under the short names the files in `gin/` bind:

  Experiment                      experiment.Experiment (the top level)
  pretrain_data                   data_setup.pretrain_data (train/, eval/)
  adamw                           optimizer_builder.adamw
  generator_discriminator_task    task_builders.generator_discriminator_task
  teams_model, electra_model      task_builders.teams_model / electra_model
  masked_lm_task                  tasks.masked_lm_task.masked_lm_task
  multi_objective_task, bert_encoder   multi_objective_builders.*

Import this module before parsing gin files (`gin_setup.parse` does).
"""

import dataclasses
import inspect

import gin

from official_ext.modeling.models import pretrainer_config
from official_ext.tasks import masked_lm_task as masked_lm_task_lib
from official_ext.trainer import data_setup
from official_ext.trainer import experiment
from official_ext.trainer import multi_objective_builders
from official_ext.trainer import optimizer_builder
from official_ext.trainer import task_builders

Experiment = gin.external_configurable(experiment.Experiment, 'Experiment')
pretrain_data = gin.external_configurable(data_setup.pretrain_data,
                                          'pretrain_data')
adamw = gin.external_configurable(optimizer_builder.adamw, 'adamw')
generator_discriminator_task = gin.external_configurable(
    task_builders.generator_discriminator_task,
    'generator_discriminator_task')
teams_model = gin.external_configurable(task_builders.teams_model,
                                        'teams_model')
electra_model = gin.external_configurable(task_builders.electra_model,
                                          'electra_model')
masked_lm_task = gin.external_configurable(masked_lm_task_lib.masked_lm_task,
                                           'masked_lm_task')
multi_objective_task = gin.external_configurable(
    multi_objective_builders.multi_objective_task, 'multi_objective_task')
bert_encoder = gin.external_configurable(
    multi_objective_builders.bert_encoder, 'bert_encoder')


def _params(fn):
  return [p for p in inspect.signature(fn).parameters
          if p not in ('args', 'kwargs', 'overrides')]

# Configurables taking **overrides: every name they accept (checked when
# parsing, since gin lets any name through to **kwargs).
_CONFIG_FIELDS = [f.name for f in dataclasses.fields(
    pretrainer_config.PretrainerConfig)]
KWARGS = {
    'teams_model': _params(task_builders.teams_model) + _CONFIG_FIELDS,
    'electra_model': _params(task_builders.electra_model) + _CONFIG_FIELDS,
}
