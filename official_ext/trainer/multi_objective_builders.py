"""Gin-facing builders for multi-objective pretraining (olfmlm grid, ours).

`multi_objective_task` has the trainer's task signature
`(train_data, validation_data, vocab_size) -> Task`; gin binds the rest:
the base objective and its size, the auxiliary tasks, the combination
schedule, and extra record streams (`PretrainData` from `pretrain_data`,
scoped, e.g. `so/pretrain_data()`) for tasks that cannot share the main
stream's batches.
"""

import dataclasses
from typing import Any, Callable, Dict, Optional, Sequence

from official_ext.modeling.models import multi_objective_config as moc
from official_ext.modeling.models import size_presets
from official_ext.tasks import multi_objective_task as mot
from official_ext.trainer import task_builders


def bert_encoder(data_vocab_size: int, size: str = 'base',
                 dropout_rate: float = 0.1, max_seq_length: int = 512):
  """BERT encoder config of a named size (base = BERT-base); size
  `init_checkpoint` keeps the checkpoint's positions."""
  config = size_presets.discriminator_config(size, data_vocab_size)
  return dataclasses.replace(
      config, dropout_rate=dropout_rate, attention_dropout_rate=dropout_rate,
      max_position_embeddings=size_presets.position_table(size,
                                                          max_seq_length))


def multi_objective_task(
    train_data, validation_data, vocab_size: int, base: str = 'mlm',
    encoder: Callable[..., Any] = bert_encoder,
    pretrainer: Optional[Callable[..., Any]] = None,
    aux_tasks: Sequence[str] = (),
    head_options: Optional[Dict[str, Dict[str, Any]]] = None,
    task_embedding: bool = False, combination: str = 'sum',
    schedule_options: Optional[Dict[str, Any]] = None,
    streams: Optional[Dict[str, Any]] = None,
    task_streams: Optional[Dict[str, str]] = None,
    sampler_seed: int = 0) -> mot.MultiObjectiveTask:
  """The MultiObjectiveTask gin describes.

  Args:
    train_data, validation_data: main-stream reader configs (from the
      trainer).
    vocab_size: the data's vocab size.
    base: 'mlm' (with `encoder`) or 'electra'/'teams' (with `pretrainer`,
      e.g. `@teams_model`).
    encoder: `encoder(data_vocab_size=...) -> BertEncoderConfig`.
    pretrainer: `pretrainer(data_vocab_size=...) -> PretrainerConfig`.
    aux_tasks, head_options, task_embedding: see MultiObjectiveConfig.
    combination, schedule_options: the schedule.
    streams: stream name -> PretrainData (extra record streams).
    task_streams: auxiliary task -> stream name.
    sampler_seed: ELECTRA/TEAMS sampler seed.
  """
  streams = dict(streams or {})
  for name, data in streams.items():
    if data.vocab_size != vocab_size:
      raise ValueError(f'stream {name!r} ({data.source}) has a vocab of '
                       f'{data.vocab_size} tokens, the main data {vocab_size}')
  if base == 'mlm':
    config = moc.MultiObjectiveConfig(
        base=base, encoder=encoder(data_vocab_size=vocab_size))
  else:
    if pretrainer is None:
      raise ValueError(f'multi_objective_task.base={base!r} needs '
                       'multi_objective_task.pretrainer (e.g. @teams_model)')
    pretrainer_cfg = pretrainer(data_vocab_size=vocab_size)
    seq_length = max(d.seq_length for d in (train_data, validation_data)
                     if d)
    task_builders.check_model_fits_data(pretrainer_cfg, vocab_size,
                                        seq_length)
    config = moc.MultiObjectiveConfig(base=base, pretrainer=pretrainer_cfg)
  config = dataclasses.replace(
      config, aux_tasks=tuple(aux_tasks), head_options=dict(
          head_options or {}), task_embedding=task_embedding)
  task = mot.MultiObjectiveTask(
      config, combination=combination, schedule_options=schedule_options,
      train_data=train_data, validation_data=validation_data,
      streams={n: d.config for n, d in streams.items()},
      task_streams=task_streams, sampler_seed=sampler_seed)
  task.stream_data = streams  # the trainer positions these like the main one
  return task
