"""Gin-facing builders of model configs and tasks (registered in
`configurables`). Each takes plain values; the experiment passes the data
configs and the vocab size (from the data manifest).

Task builders share one signature:
  `task(train_data, validation_data, vocab_size) -> official.core Task`.
"""

import dataclasses
from typing import Callable, Optional

from official_ext.data import pretrain_reader
from official_ext.modeling.models import pretrainer_config
from official_ext.modeling.models import size_presets
from official_ext.tasks import generator_discriminator_task as gd_task

_FIELDS = {f.name for f in
           dataclasses.fields(pretrainer_config.PretrainerConfig)}


def _encoder(encoder_cfg, dropout_rate, max_positions):
  return dataclasses.replace(encoder_cfg, dropout_rate=dropout_rate,
                             attention_dropout_rate=dropout_rate,
                             max_position_embeddings=max_positions)


def _model_config(builder, name, data_vocab_size, vocab_size, size,
                  dropout_rate, max_seq_length, overrides):
  if vocab_size is not None and vocab_size != data_vocab_size:
    raise ValueError(f'{name}.vocab_size={vocab_size} but the data vocab has '
                     f'{data_vocab_size} tokens; drop the binding (the size '
                     'comes from the data manifest) or use matching data')
  vocab_size = data_vocab_size
  unknown = sorted(set(overrides) - _FIELDS)
  if unknown:
    raise ValueError(f'{name} has no setting {unknown}; PretrainerConfig '
                     f'fields are {sorted(_FIELDS)}')
  config = builder(size, vocab_size, **overrides)
  positions = size_presets.position_table(size, max_seq_length)
  return dataclasses.replace(
      config,
      generator=_encoder(config.generator, dropout_rate, positions),
      discriminator=_encoder(config.discriminator, dropout_rate, positions))


def teams_model(data_vocab_size: int, size: str = 'small',
                dropout_rate: float = 0.1, max_seq_length: int = 512,
                vocab_size: Optional[int] = None,
                **overrides) -> pretrainer_config.PretrainerConfig:
  """`teams_config(size, vocab_size, **overrides)` with the dropout and
  position-table length set on both encoders. `data_vocab_size` comes from
  the data; a `vocab_size` binding must equal it."""
  return _model_config(pretrainer_config.teams_config, 'teams_model',
                       data_vocab_size, vocab_size, size, dropout_rate,
                       max_seq_length, overrides)


def electra_model(data_vocab_size: int, size: str = 'small',
                  dropout_rate: float = 0.1, max_seq_length: int = 512,
                  vocab_size: Optional[int] = None,
                  **overrides) -> pretrainer_config.PretrainerConfig:
  """`electra_config(size, vocab_size, **overrides)`, as `teams_model`."""
  return _model_config(pretrainer_config.electra_config, 'electra_model',
                       data_vocab_size, vocab_size, size, dropout_rate,
                       max_seq_length, overrides)


def check_model_fits_data(config: pretrainer_config.PretrainerConfig,
                          vocab_size: int, seq_length: int) -> None:
  """Vocab and position tables must match the records; else ValueError."""
  for role in ('generator', 'discriminator'):
    encoder = getattr(config, role)
    if encoder.vocab_size != vocab_size:
      raise ValueError(f'the {role} has vocab_size {encoder.vocab_size} but '
                       f'the data vocab has {vocab_size} tokens')
    if encoder.max_position_embeddings < seq_length:
      raise ValueError(f'the records hold {seq_length} tokens but the '
                       f'{role} has {encoder.max_position_embeddings} '
                       'positions (max_seq_length)')


def generator_discriminator_task(
    train_data: Optional[pretrain_reader.AuxPretrainDataConfig],
    validation_data: Optional[pretrain_reader.AuxPretrainDataConfig],
    vocab_size: int,
    model: Callable[..., pretrainer_config.PretrainerConfig] = teams_model,
    sampler_seed: int = 0,
) -> gd_task.GeneratorDiscriminatorTask:
  """ELECTRA/TEAMS task; `model(data_vocab_size=...)` gives its config."""
  config = model(data_vocab_size=vocab_size)
  seq_length = max(d.seq_length for d in (train_data, validation_data) if d)
  check_model_fits_data(config, vocab_size, seq_length)
  return gd_task.GeneratorDiscriminatorTask(
      config, train_data=train_data, validation_data=validation_data,
      sampler_seed=sampler_seed)
