"""Configuration and builder of `MultiObjectivePretrainer`.

`base` chooses the trunk the auxiliary heads attach to:
  * "mlm": a BERT encoder with a masked-LM head (olfmlm's setting), sized by
    `encoder`;
  * "electra" / "teams": a `GeneratorDiscriminatorPretrainer` from
    `pretrainer`; the heads read the discriminator's trunk.
`aux_tasks` are head names from `official_ext.modeling.heads.registry`;
`head_options` maps a task name to extra constructor arguments.
With `task_embedding`, the encoder adds a learned task-id embedding
(`TaskConditionedEmbedding`), one row per task (base objective first).
"""

import dataclasses
import inspect
from typing import Any, Dict, Optional, Tuple

import tf_keras

from official.modeling import tf_utils
from official.nlp.configs import encoders
from official.projects.teams import teams

from official_ext.modeling.heads import registry as head_registry
from official_ext.modeling.models import bert_mlm_pretrainer
from official_ext.modeling.models import multi_objective_pretrainer
from official_ext.modeling.models import pretrainer_config
from official_ext.modeling.networks import flat_projection
from official_ext.modeling.networks import task_conditioned_embedding
from official_ext.modeling.networks import tied_embedding

BASES = ('mlm', 'electra', 'teams')


@dataclasses.dataclass
class MultiObjectiveConfig:
  """Base objective, its size, and the auxiliary tasks on its trunk."""
  base: str = 'mlm'
  encoder: Optional[encoders.BertEncoderConfig] = None        # base 'mlm'
  pretrainer: Optional[pretrainer_config.PretrainerConfig] = None  # else
  aux_tasks: Tuple[str, ...] = ()
  head_options: Dict[str, Dict[str, Any]] = dataclasses.field(
      default_factory=dict)
  task_embedding: bool = False

  @property
  def task_names(self):
    """Base objective first, then the auxiliary tasks."""
    return (self.base,) + tuple(self.aux_tasks)

  @property
  def trunk_config(self) -> encoders.BertEncoderConfig:
    return self.encoder if self.base == 'mlm' else (
        self.pretrainer.discriminator)

  def validate(self):
    if self.base not in BASES:
      raise ValueError(f'base {self.base!r} is not one of {BASES}')
    if self.base == 'mlm' and self.encoder is None:
      raise ValueError('base "mlm" needs `encoder` (a BertEncoderConfig)')
    if self.base != 'mlm' and self.pretrainer is None:
      raise ValueError(f'base {self.base!r} needs `pretrainer` '
                       '(a PretrainerConfig)')
    for name in self.aux_tasks:
      head_registry.get(name)  # raises naming the unknown task
    unknown = sorted(set(self.head_options) - set(self.aux_tasks))
    if unknown:
      raise ValueError(f'head_options for tasks not in aux_tasks: {unknown}')


def _initializer(cfg):
  return tf_keras.initializers.TruncatedNormal(stddev=cfg.initializer_range)


def build_multi_objective(config: MultiObjectiveConfig):
  """Builds the MultiObjectivePretrainer described by `config`."""
  config.validate()
  trunk_cfg = config.trunk_config
  embedding = None
  if config.task_embedding:
    embedding = task_conditioned_embedding.build(trunk_cfg,
                                                 len(config.task_names))
  if config.base == 'mlm':
    encoder = teams.get_encoder(trunk_cfg, embedding_network=embedding)
    flat_projection.flatten_projections(encoder.embedding_network)
    base = bert_mlm_pretrainer.BertMlmPretrainer(
        encoder, mlm_activation=tf_utils.get_activation(
            trunk_cfg.hidden_activation),
        mlm_initializer=_initializer(trunk_cfg))
  else:
    base = pretrainer_config.build_pretrainer(
        config.pretrainer, discriminator_embedding=embedding,
        trunk_outputs=bool(config.aux_tasks))
  trunk = base.discriminator_network
  shared = dict(hidden_size=trunk_cfg.hidden_size,
                activation=tf_utils.get_activation(
                    trunk_cfg.hidden_activation),
                initializer=_initializer(trunk_cfg),
                embedding_table=tied_embedding.embedding_table_of(trunk))
  heads = [head_registry.build(name, **_head_kwargs(name, shared, config))
           for name in config.aux_tasks]
  return multi_objective_pretrainer.MultiObjectivePretrainer(
      base, heads,
      task_embedding=embedding.task_embedding if embedding else None)


def _head_kwargs(name, shared, config):
  """The shared arguments a head's constructor accepts, plus its options."""
  accepted = inspect.signature(head_registry.get(name).__init__).parameters
  kwargs = {k: v for k, v in shared.items() if k in accepted}
  kwargs.update(config.head_options.get(name, {}))
  return kwargs
