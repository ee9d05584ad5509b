"""Pretraining with a base objective plus auxiliary tasks under a schedule.

The base objective is BERT's MLM or ELECTRA/TEAMS (`MultiObjectiveConfig`);
the auxiliary heads attach to its trunk. Each step the combination schedule
(`official_ext.schedules`: sum, inc, alt, alt+, cmtl, cmtl+) gives a weight per
task, base first; the step's loss is the weighted sum of the task losses and,
with a task-id embedding, the active tasks condition the encoder's input.
The schedule lives on the model (`model.schedule`), so the trainer's checkpoint
saves its state and a resumed run continues the same plan.

Logged per step: `total_loss`, `<task>_loss` for every task, `<task>_weight`,
and each head's metrics (`mlm_accuracy`, `qt_accuracy`, `tf_idf_mse`, ...).
"""

from typing import Any, Dict, Optional

import tensorflow as tf
import tf_keras

from official.core import base_task
from official.core import config_definitions as cfg

from official_ext.data import pretrain_reader
from official_ext.modeling.heads import registry as head_registry
from official_ext.modeling.losses import pretrain_losses
from official_ext.modeling.models import multi_objective_config as moc
from official_ext.schedules import registry as schedule_registry
from official_ext.tasks import generator_discriminator_task as gdt

SEQUENCE_LEVEL_TASKS = head_registry.SENTENCE_TASKS + head_registry.PAIR_TASKS


def check_data(model_config: moc.MultiObjectiveConfig, data):
  """Fails at start when the records lack what a task reads.

  Raises:
    ValueError naming the task and the missing feature (or layout).
  """
  if data is None:
    return
  keys = pretrain_reader.batch_keys(data)
  for name in model_config.aux_tasks:
    head_cls = head_registry.get(name)
    if name in head_registry.PAIR_TASKS and not (data.paired and
                                                 data.pair_halves):
      raise ValueError(
          f'Auxiliary task {name!r} needs consecutive-pair records read as '
          f'batch halves (build with --pair_mode=consecutive; reader paired='
          f'True, pair_halves=True); {data.input_path!r} is not paired.')
    head_registry.check_features(head_cls, keys)


class MultiObjectiveTask(base_task.Task):
  """Base objective + auxiliary tasks combined by a schedule.

  Args:
    model_config: the MultiObjectiveConfig.
    combination: schedule name ('sum', 'inc', 'alt', 'alt+', 'cmtl',
      'cmtl+').
    schedule_options: extra schedule arguments (unit, epoch_budget,
      total_budget, seed, after_last_stage).
    train_data, validation_data: AuxPretrainDataConfigs (or None).
    sampler_seed: base seed of the ELECTRA/TEAMS sampler.
  """

  def __init__(self, model_config: moc.MultiObjectiveConfig,
               combination: str = 'sum',
               schedule_options: Optional[Dict[str, Any]] = None,
               train_data=None, validation_data=None, sampler_seed: int = 0,
               name: str = 'multi_objective'):
    super().__init__(params=cfg.TaskConfig(train_data=train_data,
                                           validation_data=validation_data),
                     name=name)
    model_config.validate()
    schedule_registry.get_schedule_cls(combination)  # unknown: raises
    check_data(model_config, train_data)
    check_data(model_config, validation_data)
    self.model_config = model_config
    self.combination = combination
    self.schedule_options = dict(schedule_options or {})
    self.sampler_seed = sampler_seed
    self._base_task = None
    if model_config.base != 'mlm':
      self._base_task = gdt.GeneratorDiscriminatorTask(
          model_config.pretrainer, sampler_seed=sampler_seed)

  def build_schedule(self):
    return schedule_registry.build_schedule(
        self.combination, tasks=list(self.model_config.task_names),
        base_task=self.model_config.base,
        sentence_tasks=SEQUENCE_LEVEL_TASKS, **self.schedule_options)

  def build_model(self):
    model = moc.build_multi_objective(self.model_config)
    model.schedule = self.build_schedule()
    return model

  def build_inputs(self, params, input_context=None):
    return pretrain_reader.AuxPretrainDataLoader(params).load(input_context)

  def _base_loss(self, inputs, outputs):
    if self._base_task is None:
      return pretrain_losses.mlm_loss(inputs['masked_lm_ids'],
                                      outputs['mlm_logits'],
                                      inputs['masked_lm_weights']), {}
    parts = self._base_task.build_losses(inputs, outputs)
    return parts.pop('total_loss'), parts

  def build_losses(self, labels, model_outputs, aux_losses=None,
                   model=None, weights=None):
    """Per-task losses and their weighted sum.

    Args:
      labels: the batch.
      model_outputs: MultiObjectivePretrainer outputs.
      aux_losses: regularisation losses added to the total.
      model: the model (for its heads); required.
      weights: `[num_tasks]` schedule weights; all ones if None.

    Returns:
      dict: `<task>_loss` per task, the base objective's parts, and
      `total_loss`.
    """
    names = self.model_config.task_names
    base_loss, losses = self._base_loss(labels, model_outputs)
    per_task = [base_loss]
    losses[f'{names[0]}_loss'] = base_loss
    for head in model.aux_heads:
      value = head.loss(labels, model.head_outputs(model_outputs,
                                                   head.task_name))
      losses[f'{head.task_name}_loss'] = value
      per_task.append(value)
    if weights is None:
      weights = tf.ones([len(names)], tf.float32)
    total = tf.reduce_sum(tf.stack(per_task) * weights)
    if aux_losses:
      total += tf.add_n(aux_losses)
    losses['total_loss'] = total
    return losses

  def build_metrics(self, training=None):
    del training
    names = [f'{n}_loss' for n in self.model_config.task_names]
    metrics = [tf_keras.metrics.Mean(n) for n in names + ['total_loss']]
    if self._base_task is None:
      metrics.append(tf_keras.metrics.SparseCategoricalAccuracy(
          'mlm_accuracy'))
    else:
      metrics += [m for m in self._base_task.build_metrics()
                  if m.name not in names + ['total_loss']]
    for name in self.model_config.aux_tasks:
      metrics += head_registry.get(name).build_metrics()
    return metrics

  def process_metrics(self, metrics, labels, model_outputs, model=None,
                      losses=None):
    by_name = {m.name: m for m in metrics}
    for key, value in (losses or {}).items():
      if key in by_name:
        by_name[key].update_state(value)
    if self._base_task is None:
      by_name['mlm_accuracy'].update_state(
          labels['masked_lm_ids'], model_outputs['mlm_logits'],
          labels['masked_lm_weights'])
    else:
      self._base_task.process_metrics(metrics, labels, model_outputs)
    for head in model.aux_heads:
      head.update_metrics(by_name, labels,
                          model.head_outputs(model_outputs, head.task_name))

  def _prepare(self, inputs, model, step):
    inputs = dict(inputs)
    if self._base_task is not None:
      inputs['sampler_seeds'] = gdt.sampler_seeds(inputs, self.sampler_seed,
                                                  step)
    return inputs

  def train_step(self, inputs, model, optimizer, metrics=None):
    step = optimizer.iterations
    inputs = self._prepare(inputs, model, step)
    tokens = tf.reduce_sum(tf.cast(inputs['input_mask'], tf.int64))
    context = tf.distribute.get_replica_context()
    if context is not None:
      tokens = context.all_reduce(tf.distribute.ReduceOp.SUM, tokens)
    weights = model.schedule.weights(step, tokens)
    if model.task_embedding is not None:
      model.task_embedding.set_active(weights)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    scaled = isinstance(optimizer,
                        tf_keras.mixed_precision.LossScaleOptimizer)
    with tf.GradientTape() as tape:
      outputs = model(inputs, training=True)
      losses = self.build_losses(inputs, outputs, model.losses, model=model,
                                 weights=weights)
      loss = losses['total_loss'] / replicas
      if scaled:
        loss = optimizer.get_scaled_loss(loss)
    variables = model.trainable_variables
    grads = tape.gradient(loss, variables)
    if scaled:
      grads = optimizer.get_unscaled_gradients(grads)
    # Inactive tasks' heads get no gradient this step.
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    optimizer.apply_gradients(pairs)
    if metrics:
      self.process_metrics(metrics, inputs, outputs, model, losses)
    logs = {self.loss: losses['total_loss'], **losses}
    for index, name in enumerate(self.model_config.task_names):
      logs[f'{name}_weight'] = weights[index]
    return logs

  def validation_step(self, inputs, model, metrics=None):
    inputs = self._prepare(inputs, model, -1)
    if model.task_embedding is not None:
      model.task_embedding.set_active(
          tf.ones([len(self.model_config.task_names)]))
    outputs = model(inputs, training=False)
    losses = self.build_losses(inputs, outputs, model.losses, model=model)
    if metrics:
      self.process_metrics(metrics, inputs, outputs, model, losses)
    return {self.loss: losses['total_loss'], **losses}

