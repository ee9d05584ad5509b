"""ELECTRA / TEAMS pretraining as a Model Garden `Task`.

Builds `GeneratorDiscriminatorPretrainer` from a `PretrainerConfig`, reads the
builder's records with `AuxPretrainDataLoader`, and reports each loss and
metric: `mlm_loss`, `rtd_loss`, `mws_loss`, `total_loss`, `mlm_accuracy`,
`rtd_accuracy`, `rtd_auc`, `mws_accuracy`.

Sampler randomness is stateless and per row: a row's seed is
`[sampler_seed * P + hash(row ids), step]`, so a resumed run draws exactly
what an uninterrupted one would, and splitting the global batch over replicas
changes no draw (MirroredStrategy equals one device). Evaluation uses step -1,
so evaluating a checkpoint is repeatable.
"""

from typing import Optional

import tensorflow as tf
import tf_keras

from official.core import base_task
from official.core import config_definitions as cfg

from official_ext.data import pretrain_reader
from official_ext.modeling.layers import candidate_sampler
from official_ext.modeling.losses import pretrain_losses
from official_ext.modeling.models import pretrainer_config
from official_ext.tasks import gradient_step

_SEED_PRIME = 1_000_003


def sampler_seeds(inputs, base_seed, step):
  """`[batch, 2]` int64 per-row sampler seeds (see module docstring)."""
  rows = candidate_sampler.row_fingerprints(inputs['input_word_ids'])
  first = (tf.constant(base_seed, tf.int64) * _SEED_PRIME + rows)
  second = tf.fill(tf.shape(rows), tf.cast(step, tf.int64))
  return tf.stack([first, second], axis=1)


class GeneratorDiscriminatorTask(base_task.Task):
  """Generator/discriminator pretraining (ELECTRA, TEAMS).

  Args:
    model_config: the `PretrainerConfig` (sizes, heads, loss weights).
    train_data, validation_data: `AuxPretrainDataConfig`s (or None).
    sampler_seed: base seed of the replacement/candidate sampler.
    name: task name (summaries are written under it).
  """

  def __init__(self, model_config: pretrainer_config.PretrainerConfig,
               train_data: Optional[pretrain_reader.AuxPretrainDataConfig] =
               None,
               validation_data: Optional[
                   pretrain_reader.AuxPretrainDataConfig] = None,
               sampler_seed: int = 0, name: str = 'pretrain'):
    super().__init__(
        params=cfg.TaskConfig(train_data=train_data,
                              validation_data=validation_data), name=name)
    self.model_config = model_config
    self.sampler_seed = sampler_seed

  def build_model(self):
    return pretrainer_config.build_pretrainer(self.model_config)

  def build_inputs(self, params, input_context=None):
    return pretrain_reader.AuxPretrainDataLoader(params).load(input_context)

  def build_losses(self, labels, model_outputs, aux_losses=None):
    """Dict of each loss and `total_loss` (weights from the config)."""
    c = self.model_config
    losses = pretrain_losses.pretrain_losses(
        labels, model_outputs, c.mlm_loss_weight, c.rtd_loss_weight,
        c.mws_loss_weight)
    if aux_losses:
      losses['total_loss'] += tf.add_n(aux_losses)
    return losses

  def loss_names(self):
    """The parts `build_losses` returns besides `total_loss`."""
    return ['mlm_loss', 'rtd_loss'] + (
        ['mws_loss'] if self.model_config.use_mws else [])

  def build_metrics(self, training=None):
    del training
    metrics = [tf_keras.metrics.Mean(name)
               for name in self.loss_names() + ['total_loss']]
    metrics += [
        tf_keras.metrics.SparseCategoricalAccuracy('mlm_accuracy'),
        tf_keras.metrics.BinaryAccuracy('rtd_accuracy', threshold=0.0),
        tf_keras.metrics.AUC(name='rtd_auc', from_logits=True),
    ]
    if self.model_config.use_mws:
      metrics.append(
          tf_keras.metrics.SparseCategoricalAccuracy('mws_accuracy'))
    return metrics

  def process_metrics(self, metrics, labels, model_outputs, losses=None):
    by_name = {m.name: m for m in metrics}
    for name, value in (losses or {}).items():
      if name in by_name:
        by_name[name].update_state(value)
    weights = labels['masked_lm_weights']
    mask = tf.cast(labels['input_mask'], tf.float32)
    by_name['mlm_accuracy'].update_state(
        labels['masked_lm_ids'], model_outputs['mlm_logits'], weights)
    rtd_labels = tf.cast(model_outputs['rtd_labels'], tf.float32)
    by_name['rtd_accuracy'].update_state(rtd_labels,
                                         model_outputs['rtd_logits'], mask)
    by_name['rtd_auc'].update_state(rtd_labels, model_outputs['rtd_logits'],
                                    mask)
    if 'mws_accuracy' in by_name:
      by_name['mws_accuracy'].update_state(
          model_outputs['mws_labels'], model_outputs['mws_logits'], weights)

  def train_step(self, inputs, model, optimizer, metrics=None):
    inputs = dict(inputs, sampler_seeds=sampler_seeds(
        inputs, self.sampler_seed, optimizer.iterations))
    def compute_loss():
      outputs = model(inputs, training=True)
      losses = self.build_losses(inputs, outputs, model.losses)
      return losses['total_loss'], (outputs, losses)

    _, (outputs, losses) = gradient_step.minimize(
        optimizer, model.trainable_variables, compute_loss)
    if metrics:
      self.process_metrics(metrics, inputs, outputs, losses)
    return {self.loss: losses['total_loss'], **losses}

  def validation_step(self, inputs, model, metrics=None):
    inputs = dict(inputs, sampler_seeds=sampler_seeds(
        inputs, self.sampler_seed, -1))
    outputs = model(inputs, training=False)
    losses = self.build_losses(inputs, outputs, model.losses)
    if metrics:
      self.process_metrics(metrics, inputs, outputs, losses)
    return {self.loss: losses['total_loss'], **losses}
