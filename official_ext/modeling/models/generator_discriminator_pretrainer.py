"""ELECTRA and TEAMS pretraining model: generator, sampler, discriminator heads.

One model serves both papers; the configuration decides the objective:
  * ELECTRA: RTD head on the discriminator's last layer, no task layers,
    no MWS (`use_mws=False`).
  * TEAMS: MWS head on the last layer; RTD head with one task-specific
    transformer layer fed by layer `rtd_input_layer` (= L-1) of the trunk.

Inputs (dict): `input_word_ids`, `input_mask`, `input_type_ids` `[batch,
seq_len]`; `masked_lm_positions`, `masked_lm_ids`, `masked_lm_weights`
`[batch, num_predictions]`. Randomness, in order of precedence:
`replacement_uniform` / `candidate_uniform` `[batch, num_predictions, vocab]`
(injected draws, parity tests); `sampler_seeds` `[batch, 2]` int64, one
stateless seed per row (reproducible, resumable, independent of how the batch
is split over replicas); else the global RNG.

Outputs (dict):
  mlm_logits     [batch, num_predictions, vocab]  generator logits
  sampled_ids    [batch, num_predictions]         replacement tokens
  corrupted_ids  [batch, seq_len]                 discriminator input
  rtd_logits     [batch, seq_len]
  rtd_labels     [batch, seq_len]  1 where corrupted != original (a sample
                                   equal to the original is NOT replaced)
  mws_logits     [batch, num_predictions, K + 1]  (TEAMS) original first
  mws_labels     [batch, num_predictions]         zeros (original at 0)
  candidate_ids  [batch, num_predictions, K + 1]
  sequence_output [batch, seq_len, hidden]  discriminator trunk (last layer),
  pooled_output   [batch, hidden]           where auxiliary heads attach;
                                            only when the full last layer is
                                            computed (see below)

`masked_top_layers` (default on) computes a last layer that only the masked
positions' heads read at those positions only (`masked_top_encoder`): always
the generator's (MLM), and the discriminator's when it feeds only the MWS
head (TEAMS, RTD on a lower layer) and `trunk_outputs` is off. Same weights
and the same math as the full layer gathered at the positions; at 20 of 128
positions such a layer costs about a sixth of a full one.
`masked_top_layers=False` keeps the full computation (ablation, tests).
"""

import tensorflow as tf
import tf_keras

from official.nlp.modeling import layers as mg_layers

from official_ext.modeling.layers import candidate_sampler
from official_ext.modeling.layers import mws_head
from official_ext.modeling.networks import masked_top_encoder
from official_ext.modeling.networks import tied_embedding


def restore_and_replace(input_ids, positions, weights, originals, new_ids):
  """Original sequence and the sequence with `new_ids` at masked positions.

  Args:
    input_ids: `[batch, seq_len]` masked input.
    positions: `[batch, num_predictions]` masked positions.
    weights: `[batch, num_predictions]` 1.0 for real predictions, 0 padding.
    originals: `[batch, num_predictions]` original ids at the positions.
    new_ids: `[batch, num_predictions]` ids to write at the positions.

  Returns:
    `(original_ids, replaced_ids)`, both `[batch, seq_len]` int32. Padding
    prediction slots (weight 0) change nothing.
  """
  positions = tf.cast(positions, tf.int32)
  batch = tf.shape(positions)[0]
  batch_index = tf.broadcast_to(tf.range(batch)[:, None], tf.shape(positions))
  indices = tf.stack([batch_index, positions], axis=-1)
  real = weights > 0
  current = tf.gather(input_ids, positions, batch_dims=1)
  original_ids = tf.tensor_scatter_nd_update(
      input_ids, indices, tf.where(real, tf.cast(originals, tf.int32),
                                   current))
  kept = tf.gather(original_ids, positions, batch_dims=1)
  replaced_ids = tf.tensor_scatter_nd_update(
      original_ids, indices, tf.where(real, tf.cast(new_ids, tf.int32), kept))
  return original_ids, replaced_ids


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class GeneratorDiscriminatorPretrainer(tf_keras.Model):
  """Generator (MLM) + discriminator (RTD, optional MWS) pretraining model.

  Args:
    generator_network: EncoderScaffold with dict outputs.
    discriminator_network: EncoderScaffold with dict outputs; its last layer
      is the fine-tuning trunk.
    vocab_size: vocabulary size.
    rtd_head: a `ReplacedTokenDetectionHead`.
    rtd_input_layer: 1-based trunk layer whose output feeds the RTD head
      (the number of task-agnostic layers); defaults to the last layer.
    use_mws: add the TEAMS multi-word selection head.
    num_negatives: K negatives per masked position (MWS candidates = K + 1).
    candidate_strategy: "sampled" or "hardest".
    disallow_correct: never sample the original token as replacement.
    mlm_activation, mlm_initializer: of the generator's MaskedLM transform.
    mws_activation, mws_initializer: of the MWS transform.
    masked_top_layers: compute last layers read only at the masked positions
      at those positions only (see the module docstring).
    trunk_outputs: always return the discriminator's full `sequence_output`
      and `pooled_output` (auxiliary heads read them).
  """

  def __init__(self, generator_network, discriminator_network, vocab_size,
               rtd_head, rtd_input_layer=None, use_mws=False, num_negatives=5,
               candidate_strategy='sampled', disallow_correct=False,
               mlm_activation=None, mlm_initializer='glorot_uniform',
               mws_activation=None, mws_initializer='glorot_uniform',
               masked_top_layers=True, trunk_outputs=False, **kwargs):
    super().__init__(**kwargs)
    num_layers = len(discriminator_network.hidden_layers)
    rtd_input_layer = rtd_input_layer or num_layers
    if not 1 <= rtd_input_layer <= num_layers:
      raise ValueError(f'rtd_input_layer={rtd_input_layer} must be in [1, '
                       f'{num_layers}] (discriminator layers)')
    if candidate_strategy not in candidate_sampler.CANDIDATE_STRATEGIES:
      raise ValueError(f'candidate_strategy {candidate_strategy!r} is not one'
                       f' of {candidate_sampler.CANDIDATE_STRATEGIES}')
    if use_mws and not 1 <= num_negatives < vocab_size:
      raise ValueError(f'num_negatives={num_negatives} must be in [1, '
                       f'vocab_size - 1 = {vocab_size - 1}]')
    self._config = dict(
        generator_network=generator_network,
        discriminator_network=discriminator_network, vocab_size=vocab_size,
        rtd_head=rtd_head, rtd_input_layer=rtd_input_layer, use_mws=use_mws,
        num_negatives=num_negatives, candidate_strategy=candidate_strategy,
        disallow_correct=disallow_correct, mlm_activation=mlm_activation,
        mlm_initializer=mlm_initializer, mws_activation=mws_activation,
        mws_initializer=mws_initializer, masked_top_layers=masked_top_layers,
        trunk_outputs=trunk_outputs)
    if masked_top_layers:
      masked_top_encoder.check_supported(generator_network)
      masked_top_encoder.check_supported(discriminator_network)
    self.masked_top_layers = masked_top_layers
    self.trunk_outputs = trunk_outputs
    self.generator_network = generator_network
    self.discriminator_network = discriminator_network
    self.vocab_size = vocab_size
    self.rtd_input_layer = rtd_input_layer
    self.use_mws = use_mws
    self.num_negatives = num_negatives
    self.candidate_strategy = candidate_strategy
    self.disallow_correct = disallow_correct
    self.masked_lm = mg_layers.MaskedLM(
        embedding_table=tied_embedding.embedding_table_of(generator_network),
        activation=mlm_activation, initializer=mlm_initializer,
        output='logits', name='generator_masked_lm')
    self.rtd_head = rtd_head
    self.mws_head = None
    if use_mws:
      self.mws_head = mws_head.MultiWordSelectionHead(
          embedding_table=tied_embedding.embedding_table_of(
              discriminator_network),
          activation=mws_activation, initializer=mws_initializer,
          name='discriminator_mws')

  def _uniform_draws(self, inputs, shape):
    """(replacement, candidate) uniform draws, injected or generated."""
    injected = (inputs.get('replacement_uniform'),
                inputs.get('candidate_uniform'))
    if injected[0] is not None:
      return injected
    seeds = inputs.get('sampler_seeds')
    if seeds is None:
      return (candidate_sampler.draw_uniform(shape),
              candidate_sampler.draw_uniform(shape) if self.use_mws else None)
    draws = candidate_sampler.draw_uniform_per_row(
        seeds, tf.concat([[2 if self.use_mws else 1], shape[1:]], axis=0))
    return draws[:, 0], (draws[:, 1] if self.use_mws else None)

  def _generate(self, inputs, positions, training):
    """Generator MLM logits `[batch, num_predictions, vocab]`."""
    if not self.masked_top_layers:
      generated = self.generator_network(inputs, training=training)
      return self.masked_lm(generated['sequence_output'], positions)
    at_positions = masked_top_encoder.encode(
        self.generator_network, inputs, training=training,
        top_positions=positions)[-1]
    return self.masked_lm(at_positions,
                          masked_top_encoder.identity_positions(positions))

  @property
  def masks_discriminator_top(self):
    """Whether the discriminator's last layer runs at masked positions only.

    True when only the MWS head reads that layer: masked top layers on, MWS
    on, the RTD head fed by a lower layer, no trunk outputs requested.
    """
    return (self.masked_top_layers and self.use_mws and not self.trunk_outputs
            and self.rtd_input_layer <
            len(self.discriminator_network.hidden_layers))

  def _discriminate(self, inputs, positions, training):
    """(trunk layer outputs, MWS positions into the last one, extra outputs)."""
    network = self.discriminator_network
    if not self.masked_top_layers:
      discriminated = network(inputs, training=training)
      return discriminated['encoder_outputs'], positions, {
          'sequence_output': discriminated['sequence_output'],
          'pooled_output': discriminated['pooled_output']}
    if self.masks_discriminator_top:
      trunk = masked_top_encoder.encode(network, inputs, training=training,
                                        top_positions=positions)
      return trunk, masked_top_encoder.identity_positions(positions), {}
    trunk = masked_top_encoder.encode(network, inputs, training=training)
    return trunk, positions, {
        'sequence_output': trunk[-1],
        'pooled_output': masked_top_encoder.pooled_output(network, trunk[-1])}

  def call(self, inputs, training=None):  # pytype: disable=signature-mismatch
    word_ids = inputs['input_word_ids']
    mask = inputs['input_mask']
    type_ids = inputs['input_type_ids']
    positions = inputs['masked_lm_positions']
    lm_ids = tf.cast(inputs['masked_lm_ids'], tf.int32)
    weights = inputs['masked_lm_weights']

    mlm_logits = self._generate([word_ids, mask, type_ids], positions,
                                training)
    draw_logits = tf.stop_gradient(tf.cast(mlm_logits, tf.float32))
    replacement_uniform, candidate_uniform = self._uniform_draws(
        inputs, tf.shape(draw_logits))
    sampled_ids = candidate_sampler.sample_replacements(
        draw_logits, replacement_uniform,
        disallow_ids=lm_ids if self.disallow_correct else None)
    original_ids, corrupted_ids = restore_and_replace(
        word_ids, positions, weights, lm_ids, sampled_ids)
    rtd_labels = tf.cast(tf.not_equal(corrupted_ids, original_ids), tf.int32)

    trunk, mws_positions, outputs = self._discriminate(
        [corrupted_ids, mask, type_ids], positions, training)
    outputs.update({
        'mlm_logits': mlm_logits,
        'sampled_ids': sampled_ids,
        'corrupted_ids': corrupted_ids,
        'rtd_logits': self.rtd_head(trunk[self.rtd_input_layer - 1], mask,
                                    training=training),
        'rtd_labels': rtd_labels,
    })
    if self.use_mws:
      negatives = candidate_sampler.sample_candidates(
          draw_logits, lm_ids, self.num_negatives, self.candidate_strategy,
          candidate_uniform)
      candidate_ids = tf.concat([lm_ids[..., None], negatives], axis=-1)
      outputs['candidate_ids'] = candidate_ids
      outputs['mws_logits'] = self.mws_head(trunk[-1], mws_positions,
                                            candidate_ids)
      outputs['mws_labels'] = tf.zeros_like(lm_ids)
    return outputs

  @property
  def checkpoint_items(self):
    """The fine-tuning trunk, under the name Model Garden tasks restore."""
    return dict(encoder=self.discriminator_network)

  def get_config(self):
    return dict(self._config)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
