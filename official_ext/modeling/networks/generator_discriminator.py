"""Builds a generator and a discriminator encoder with ELECTRA/TEAMS tying.

Both encoders are Model Garden `EncoderScaffold`s built by
`official.projects.teams.teams.get_encoder` from `BertEncoderConfig`s, so the
discriminator is exactly the network Model Garden's TEAMS fine-tuning path
(`EncoderConfig(type='any', any=TeamsEncoderConfig(...))`) rebuilds.

Layer sharing (`layer_sharing`):
  * "none": the generator owns all its layers.
  * "bottom": its bottom `num_shared_layers` layers ARE the discriminator's
    bottom layers (TEAMS: generator = half the layers, shares the bottom ones).
  * "full": every generator layer is the discriminator's layer of that index.
Sharing needs equal widths. Embedding tying reuses the discriminator's
embedding network when widths agree, else only its tables
(`TiedEmbeddingNetwork`). The embedding projections compute their gradient
as matmuls (`flat_projection`; same variables and config).
"""

import dataclasses

import tf_keras

from official.nlp.configs import encoders
from official.nlp.modeling import layers
from official.projects.teams import teams

from official_ext.modeling.networks import flat_projection
from official_ext.modeling.networks import tied_embedding

LAYER_SHARING = ('none', 'bottom', 'full')


@dataclasses.dataclass(frozen=True)
class EncoderPair:
  generator: object
  discriminator: object


def _width_fields(cfg):
  return (cfg.hidden_size, cfg.intermediate_size, cfg.num_attention_heads)


def shared_layer_count(generator_cfg, layer_sharing, num_shared_layers):
  """How many bottom generator layers come from the discriminator."""
  if layer_sharing not in LAYER_SHARING:
    raise ValueError(f'layer_sharing {layer_sharing!r} is not one of '
                     f'{LAYER_SHARING}')
  if layer_sharing == 'none':
    return 0
  if layer_sharing == 'full':
    return generator_cfg.num_layers
  if not 0 < num_shared_layers <= generator_cfg.num_layers:
    raise ValueError(
        f'num_shared_layers={num_shared_layers} must be in [1, generator '
        f'num_layers={generator_cfg.num_layers}] for layer_sharing="bottom"')
  return num_shared_layers


def build_encoder_pair(generator_cfg: encoders.BertEncoderConfig,
                       discriminator_cfg: encoders.BertEncoderConfig,
                       layer_sharing='none', num_shared_layers=0,
                       tie_embeddings=True,
                       discriminator_embedding=None) -> EncoderPair:
  """Builds both encoders with the requested tying.

  Args:
    generator_cfg: generator size.
    discriminator_cfg: discriminator size.
    layer_sharing: "none", "bottom" or "full".
    num_shared_layers: bottom layers shared for "bottom".
    tie_embeddings: share embedding tables (and LayerNorm).
    discriminator_embedding: optional embedding network for the
      discriminator (e.g. a TaskConditionedEmbedding); default Model Garden's
      PackedSequenceEmbedding.

  Returns:
    EncoderPair of two EncoderScaffolds (dict outputs with `encoder_outputs`).

  Raises:
    ValueError: inconsistent sizes or sharing settings, naming the field.
  """
  if generator_cfg.vocab_size != discriminator_cfg.vocab_size:
    raise ValueError(
        f'generator vocab_size={generator_cfg.vocab_size} != discriminator '
        f'vocab_size={discriminator_cfg.vocab_size}')
  shared = shared_layer_count(generator_cfg, layer_sharing, num_shared_layers)
  if shared:
    if _width_fields(generator_cfg) != _width_fields(discriminator_cfg):
      raise ValueError(
          'layer sharing needs equal (hidden_size, intermediate_size, '
          f'num_attention_heads): generator {_width_fields(generator_cfg)} vs '
          f'discriminator {_width_fields(discriminator_cfg)}')
    if shared > discriminator_cfg.num_layers:
      raise ValueError(f'cannot share {shared} layers: discriminator has '
                       f'{discriminator_cfg.num_layers}')
  discriminator = teams.get_encoder(
      discriminator_cfg, embedding_network=discriminator_embedding)
  hidden_layers = list(discriminator.hidden_layers[:shared]) + [
      layers.Transformer] * (generator_cfg.num_layers - shared)
  embedding_network = None
  if tie_embeddings:
    source = discriminator.embedding_network
    same_width = (generator_cfg.hidden_size == discriminator_cfg.hidden_size
                  and generator_cfg.embedding_size ==
                  discriminator_cfg.embedding_size)
    embedding_network = source if same_width else (
        tied_embedding.TiedEmbeddingNetwork(
            source, generator_cfg.hidden_size,
            dropout_rate=generator_cfg.dropout_rate,
            initializer=_initializer(generator_cfg)))
  generator = teams.get_encoder(
      generator_cfg, embedding_network=embedding_network,
      hidden_layers=hidden_layers)
  for encoder in (discriminator, generator):
    flat_projection.flatten_projections(encoder.embedding_network)
  return EncoderPair(generator=generator, discriminator=discriminator)


def _initializer(cfg):
  return tf_keras.initializers.TruncatedNormal(stddev=cfg.initializer_range)
