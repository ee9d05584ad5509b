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

import dataclasses
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
from official_ext.tasks import gradient_step

SEQUENCE_LEVEL_TASKS = head_registry.SENTENCE_TASKS + head_registry.PAIR_TASKS
MAIN_STREAM = 'main'


def check_data(model_config: moc.MultiObjectiveConfig, data, tasks=None):
  """Fails at start when the records lack what a task reads.

  Args:
    model_config: the MultiObjectiveConfig.
    data: an AuxPretrainDataConfig (None: nothing to check).
    tasks: the auxiliary tasks reading `data` (default: all).

  Raises:
    ValueError naming the task and the missing feature (or layout).
  """
  if data is None:
    return
  keys = pretrain_reader.batch_keys(data)
  for name in model_config.aux_tasks if tasks is None else tasks:
    head_cls = head_registry.get(name)
    if name in head_registry.PAIR_TASKS and not (data.paired and
                                                 data.pair_halves):
      raise ValueError(
          f'Auxiliary task {name!r} needs consecutive-pair records read as '
          f'batch halves (build with --pair_mode=consecutive; reader paired='
          f'True, pair_halves=True); {data.input_path!r} is not paired.')
    if (name in pretrain_reader.LABELLED_PAIR_MODES and data.pair_mode and
        data.pair_mode != name):
      raise ValueError(
          f'Auxiliary task {name!r} reads next_sentence_labels of records '
          f'built with --pair_mode={name}; {data.input_path!r} was built '
          f'with --pair_mode={data.pair_mode}. Give it its own stream '
          '(task_streams) of such records.')
    head_registry.check_features(head_cls, keys)


class MultiObjectiveTask(base_task.Task):
  """Base objective + auxiliary tasks combined by a schedule.

  Tasks whose inputs cannot share a batch (e.g. SO needs swapped adjacent
  segments, QT consecutive pairs, NSP random ones) read separate record
  streams: `streams` names extra data configs and `task_streams` assigns a
  task to one; the rest (and the base objective) read the main stream. A
  stream is only run through the model on steps where one of its tasks is
  active.

  Args:
    model_config: the MultiObjectiveConfig.
    combination: schedule name ('sum', 'inc', 'alt', 'alt+', 'cmtl',
      'cmtl+').
    schedule_options: extra schedule arguments (unit, epoch_budget,
      total_budget, seed, after_last_stage).
    train_data, validation_data: main-stream AuxPretrainDataConfigs.
    streams: extra stream name -> AuxPretrainDataConfig (its batch size and
      is_training follow the main stream's).
    task_streams: auxiliary task -> stream name (default: main).
    sampler_seed: base seed of the ELECTRA/TEAMS sampler.
  """

  def __init__(self, model_config: moc.MultiObjectiveConfig,
               combination: str = 'sum',
               schedule_options: Optional[Dict[str, Any]] = None,
               train_data=None, validation_data=None,
               streams: Optional[Dict[str, Any]] = None,
               task_streams: Optional[Dict[str, str]] = None,
               sampler_seed: int = 0, name: str = 'multi_objective'):
    super().__init__(params=cfg.TaskConfig(train_data=train_data,
                                           validation_data=validation_data),
                     name=name)
    model_config.validate()
    schedule_registry.get_schedule_cls(combination)  # unknown: raises
    self.model_config = model_config
    self.combination = combination
    self.schedule_options = dict(schedule_options or {})
    self.sampler_seed = sampler_seed
    self.streams = dict(streams or {})
    self.task_streams = _assign_streams(model_config, self.streams,
                                        task_streams or {})
    for data in (train_data, validation_data):
      check_data(model_config, data, self.tasks_of(MAIN_STREAM))
    for stream, data in self.streams.items():
      check_data(model_config, data, self.tasks_of(stream))
    self._base_task = None
    if model_config.base != 'mlm':
      self._base_task = gdt.GeneratorDiscriminatorTask(
          model_config.pretrainer, sampler_seed=sampler_seed)

  def tasks_of(self, stream):
    """Auxiliary task names read from `stream`."""
    return [t for t in self.model_config.aux_tasks
            if self.task_streams[t] == stream]

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
    """The main stream's batches, or a dict of every stream's batches."""
    main = pretrain_reader.AuxPretrainDataLoader(params).load(input_context)
    if not self.streams:
      return main
    datasets = {MAIN_STREAM: main}
    for stream, data in self.streams.items():
      data = dataclasses.replace(
          data, is_training=params.is_training,
          global_batch_size=params.global_batch_size,
          drop_remainder=params.drop_remainder)
      datasets[stream] = pretrain_reader.AuxPretrainDataLoader(data).load(
          input_context)
    return tf.data.Dataset.zip(datasets)

  def _base_loss(self, inputs, outputs):
    if self._base_task is None:
      return pretrain_losses.mlm_loss(inputs['masked_lm_ids'],
                                      outputs['mlm_logits'],
                                      inputs['masked_lm_weights']), {}
    parts = self._base_task.build_losses(inputs, outputs)
    return parts.pop('total_loss'), parts

  def _base_part_names(self):
    return [] if self._base_task is None else self._base_task.loss_names()

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

  def _stream_pass(self, model, stream, batch, step, training, metrics):
    """Losses of `stream`'s tasks on its batch (and their metrics).

    Returns:
      (`[len(tasks)]` losses, base part losses dict) — the base objective
      first when `stream` is the main one.
    """
    batch = dict(batch)
    if self._base_task is not None:
      batch['sampler_seeds'] = gdt.sampler_seeds(batch, self.sampler_seed,
                                                 step)
    outputs = model(batch, training=training)
    values, parts = [], {}
    if stream == MAIN_STREAM:
      base, parts = self._base_loss(batch, outputs)
      values.append(base)
    heads = {h.task_name: h for h in model.aux_heads}
    by_name = {m.name: m for m in metrics or []}
    for name in self.tasks_of(stream):
      head_out = model.head_outputs(outputs, name)
      values.append(heads[name].loss(batch, head_out))
      if metrics:
        heads[name].update_metrics(by_name, batch, head_out)
    if metrics and stream == MAIN_STREAM:
      for key, value in parts.items():
        by_name[key].update_state(value)
      if self._base_task is None:
        by_name['mlm_accuracy'].update_state(
            batch['masked_lm_ids'], outputs['mlm_logits'],
            batch['masked_lm_weights'])
      else:
        self._base_task.process_metrics(metrics, batch, outputs)
    return tf.stack(values), parts

  def _all_streams(self, model, inputs, weights, step, training, metrics):
    """Every task's loss (`[num_tasks]`) and the base parts; streams whose
    tasks all have weight 0 are skipped (their losses read 0)."""
    batches = inputs if self.streams else {MAIN_STREAM: inputs}
    names = self.model_config.task_names
    per_task = [None] * len(names)
    parts = {}
    for stream in [MAIN_STREAM] + list(self.streams):
      tasks = self.tasks_of(stream)
      indices = [names.index(t) for t in tasks]
      part_names = []
      if stream == MAIN_STREAM:
        indices = [0] + indices
        part_names = self._base_part_names()
      run = lambda s=stream: self._stream_pass(model, s, batches[s], step,
                                               training, metrics)
      skip = lambda n=len(indices), p=part_names: (
          tf.zeros([n]), {k: tf.constant(0.0) for k in p})
      values, stream_parts = tf.cond(
          tf.reduce_any(tf.gather(weights, indices) > 0), run, skip)
      parts.update(stream_parts)
      for position, index in enumerate(indices):
        per_task[index] = values[position]
    return tf.stack(per_task), parts

  def _logs(self, losses, parts, weights, aux_losses, metrics):
    names = self.model_config.task_names
    total = tf.reduce_sum(losses * weights)
    if aux_losses:
      total += tf.add_n(aux_losses)
    logs = {'total_loss': total, **parts}
    by_name = {m.name: m for m in metrics or []}
    for index, name in enumerate(names):
      logs[f'{name}_loss'] = losses[index]
      logs[f'{name}_weight'] = weights[index]
      if f'{name}_loss' in by_name:  # an inactive task's 0 is not averaged
        by_name[f'{name}_loss'].update_state(
            losses[index], sample_weight=tf.cast(weights[index] > 0,
                                                 tf.float32))
    if 'total_loss' in by_name:
      by_name['total_loss'].update_state(total)
    logs[self.loss] = total
    return logs

  def train_step(self, inputs, model, optimizer, metrics=None):
    step = optimizer.iterations
    main = inputs[MAIN_STREAM] if self.streams else inputs
    tokens = None
    if model.schedule.unit == 'tokens':  # a collective only when counted
      tokens = tf.reduce_sum(tf.cast(main['input_mask'], tf.int64))
      context = tf.distribute.get_replica_context()
      if context is not None:
        tokens = context.all_reduce(tf.distribute.ReduceOp.SUM, tokens)
    weights = model.schedule.weights(step, tokens)
    if model.task_embedding is not None:
      model.task_embedding.set_active(weights)
    def compute_loss():
      losses, parts = self._all_streams(model, inputs, weights, step, True,
                                        metrics)
      total = tf.reduce_sum(losses * weights)
      if model.losses:
        total += tf.add_n(model.losses)
      return total, (losses, parts)

    # In graph mode a skipped stream's heads get zero gradients through the
    # tf.cond (Adam's moments still move them); eagerly they get none.
    _, (losses, parts) = gradient_step.minimize(
        optimizer, model.trainable_variables, compute_loss)
    return self._logs(losses, parts, weights, model.losses, metrics)

  def validation_step(self, inputs, model, metrics=None):
    weights = tf.ones([len(self.model_config.task_names)])
    if model.task_embedding is not None:
      model.task_embedding.set_active(weights)
    losses, parts = self._all_streams(model, inputs, weights, -1, False,
                                      metrics)
    return self._logs(losses, parts, weights, model.losses, metrics)


def _assign_streams(model_config, streams, task_streams):
  """Task -> stream name, validated."""
  if MAIN_STREAM in streams:
    raise ValueError(f'stream name {MAIN_STREAM!r} is reserved for the main '
                     'data')
  unknown_tasks = sorted(set(task_streams) - set(model_config.aux_tasks))
  if unknown_tasks:
    raise ValueError(f'task_streams names tasks not in aux_tasks: '
                     f'{unknown_tasks}')
  assigned = {t: task_streams.get(t, MAIN_STREAM)
              for t in model_config.aux_tasks}
  for task, stream in assigned.items():
    if stream != MAIN_STREAM and stream not in streams:
      raise ValueError(f'task {task!r} reads stream {stream!r}, which is not '
                       f'in streams {sorted(streams)}')
  idle = sorted(set(streams) - set(assigned.values()))
  if idle:
    raise ValueError(f'streams {idle} feed no task; assign one in '
                     'task_streams or drop them')
  return assigned
