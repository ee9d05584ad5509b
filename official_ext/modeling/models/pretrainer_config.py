"""Configuration and builder of `GeneratorDiscriminatorPretrainer`.

`teams_config(size, vocab_size)` and `electra_config(size, vocab_size)` give
the paper settings; every field can be overridden (gin binds these builders).
`num_negatives` is the paper's K (Model Garden's `candidate_size` = K + 1).
"""

import dataclasses
from typing import Optional

import tf_keras

from official.modeling import tf_utils
from official.nlp.configs import encoders

from official_ext.modeling.layers import rtd_head
from official_ext.modeling.models import generator_discriminator_pretrainer
from official_ext.modeling.models import size_presets
from official_ext.modeling.networks import generator_discriminator


@dataclasses.dataclass
class PretrainerConfig:
  """Everything that shapes a generator/discriminator pretrainer."""
  generator: encoders.BertEncoderConfig
  discriminator: encoders.BertEncoderConfig
  layer_sharing: str = 'none'          # none | bottom | full
  num_shared_layers: int = 0           # for layer_sharing == 'bottom'
  tie_embeddings: bool = True
  rtd_input_layer: Optional[int] = None  # 1-based; None = last layer
  rtd_task_layers: int = 0             # TEAMS: 1
  rtd_head_type: str = 'attention'     # attention | ffn
  use_mws: bool = False
  num_negatives: int = 5               # K (paper); candidates = K + 1
  candidate_strategy: str = 'sampled'  # sampled | hardest
  disallow_correct: bool = False
  mlm_loss_weight: float = 1.0
  rtd_loss_weight: float = 50.0
  mws_loss_weight: float = 0.0
  # Last layers read only at masked positions computed there only (same
  # math, less work; see GeneratorDiscriminatorPretrainer). False: full.
  masked_top_layers: bool = True

  @property
  def trunk_config(self) -> encoders.BertEncoderConfig:
    """The fine-tuning trunk's encoder config (the discriminator)."""
    return self.discriminator


def teams_config(size='small', vocab_size=30522, **overrides):
  """TEAMS: lambda1 = 5 (RTD), lambda2 = 2 (MWS), K = 5, one RTD layer."""
  disc = size_presets.discriminator_config(size, vocab_size)
  config = PretrainerConfig(
      generator=size_presets.teams_generator_config(size, vocab_size),
      discriminator=disc, layer_sharing='bottom',
      num_shared_layers=size_presets.teams_shared_layers(size),
      tie_embeddings=True, rtd_input_layer=disc.num_layers - 1,
      rtd_task_layers=1, use_mws=True, num_negatives=5,
      rtd_loss_weight=5.0, mws_loss_weight=2.0)
  return dataclasses.replace(config, **overrides)


def electra_config(size='small', vocab_size=30522, **overrides):
  """ELECTRA: lambda = 50, narrow generator, tied embeddings."""
  config = PretrainerConfig(
      generator=size_presets.electra_generator_config(size, vocab_size),
      discriminator=size_presets.discriminator_config(size, vocab_size),
      tie_embeddings=True, rtd_loss_weight=50.0)
  return dataclasses.replace(config, **overrides)


def _initializer(encoder_cfg):
  return tf_keras.initializers.TruncatedNormal(
      stddev=encoder_cfg.initializer_range)


def build_pretrainer(config: PretrainerConfig, discriminator_embedding=None,
                     trunk_outputs=False):
  """Builds the model described by `config`.

  Args:
    config: the PretrainerConfig.
    discriminator_embedding: optional embedding network for the
      discriminator (see `build_encoder_pair`).
    trunk_outputs: the model always returns the discriminator's full
      `sequence_output` / `pooled_output` (for auxiliary heads).
  """
  pair = generator_discriminator.build_encoder_pair(
      config.generator, config.discriminator,
      layer_sharing=config.layer_sharing,
      num_shared_layers=config.num_shared_layers,
      tie_embeddings=config.tie_embeddings,
      discriminator_embedding=discriminator_embedding)
  disc = config.discriminator
  head = rtd_head.ReplacedTokenDetectionHead(
      hidden_size=disc.hidden_size, num_task_layers=config.rtd_task_layers,
      head_type=config.rtd_head_type,
      num_attention_heads=disc.num_attention_heads,
      intermediate_size=disc.intermediate_size,
      activation=tf_utils.get_activation(disc.hidden_activation),
      dropout_rate=disc.dropout_rate,
      attention_dropout_rate=disc.attention_dropout_rate,
      initializer=_initializer(disc), name='discriminator_rtd')
  return generator_discriminator_pretrainer.GeneratorDiscriminatorPretrainer(
      generator_network=pair.generator,
      discriminator_network=pair.discriminator,
      vocab_size=config.generator.vocab_size, rtd_head=head,
      rtd_input_layer=config.rtd_input_layer, use_mws=config.use_mws,
      num_negatives=config.num_negatives,
      candidate_strategy=config.candidate_strategy,
      disallow_correct=config.disallow_correct,
      mlm_activation=tf_utils.get_activation(
          config.generator.hidden_activation),
      mlm_initializer=_initializer(config.generator),
      mws_activation=tf_utils.get_activation(disc.hidden_activation),
      mws_initializer=_initializer(disc),
      masked_top_layers=config.masked_top_layers, trunk_outputs=trunk_outputs)
