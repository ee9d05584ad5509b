"""Parity with Model Garden's TeamsPretrainer / ElectraPretrainer.

Same config, weights copied across, same batch, same uniform draws (the peer's
`tf.random.uniform` calls are fed the draws we inject into ours): logits and
losses agree within 1e-5. Where we differ on purpose, a test pins both.
"""

from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.nlp.modeling import layers as mg_layers
from official.nlp.tasks import electra_task
from official.nlp.configs import electra as electra_configs
from official.nlp.configs import encoders
from official.projects.teams import teams
from official.projects.teams import teams_pretrainer
from official.projects.teams import teams_task

from official_ext.modeling.losses import pretrain_losses
from official_ext.modeling.models import pretrainer_config
from tests.official_ext.modeling import modeling_fixtures as fx

TOL = 1e-5


def _peer_teams(config):
  peer_config = teams.TeamsPretrainerConfig(
      candidate_size=config.num_negatives + 1,
      generator_loss_weight=config.mlm_loss_weight,
      discriminator_rtd_loss_weight=config.rtd_loss_weight,
      discriminator_mws_loss_weight=config.mws_loss_weight,
      tie_embeddings=config.tie_embeddings,
      num_shared_generator_hidden_layers=config.num_shared_layers,
      num_discriminator_task_agnostic_layers=config.rtd_input_layer,
      generator=config.generator, discriminator=config.discriminator)
  task = teams_task.TeamsPretrainTask(
      teams_task.TeamsPretrainTaskConfig(model=peer_config))
  return task, task.build_model()


def _run_with_draws(model, inputs, draws):
  queued = fx.QueuedUniform(draws)
  with mock.patch.object(tf.random, 'uniform', queued):
    outputs = model(inputs)
  assert queued.calls == len(draws)
  return outputs


@pytest.fixture(scope='module')
def teams_pair():
  config = fx.tiny_teams_config()
  ours = pretrainer_config.build_pretrainer(config)
  task, peer = _peer_teams(config)
  batch = fx.tiny_batch()
  ours(batch)
  peer(batch)
  fx.copy_weights([
      (peer.discriminator_mws_network, ours.discriminator_network),
      (peer.generator_network, ours.generator_network),
      (peer.masked_lm, ours.masked_lm),
      (peer.discriminator_rtd_head.hidden_layers[0],
       ours.rtd_head.task_layers[0]),
      (peer.discriminator_rtd_head.dense, ours.rtd_head.dense),
      (peer.discriminator_rtd_head.rtd_head, ours.rtd_head.classifier),
      (peer.discriminator_mws_head, ours.mws_head),
  ])
  return config, ours, task, peer


def test_teams_logits_and_losses_match_peer(teams_pair):
  config, ours, task, peer = teams_pair
  batch = fx.tiny_batch(seed=1)
  draws = [fx.uniform_draws(10), fx.uniform_draws(11)]
  peer_out = _run_with_draws(peer, batch, draws)
  our_out = ours(dict(batch, replacement_uniform=draws[0],
                      candidate_uniform=draws[1]))

  np.testing.assert_allclose(our_out['mlm_logits'], peer_out['lm_outputs'],
                             atol=TOL)
  np.testing.assert_array_equal(our_out['rtd_labels'],
                                peer_out['disc_rtd_label'])
  np.testing.assert_allclose(our_out['rtd_logits'],
                             peer_out['disc_rtd_logits'], atol=TOL)
  # The peer's candidate_size 6 is our K = 5 negatives plus the original.
  assert our_out['mws_logits'].shape[-1] == config.num_negatives + 1 == 6
  np.testing.assert_allclose(our_out['mws_logits'],
                             peer_out['disc_mws_logits'], atol=TOL)
  np.testing.assert_array_equal(our_out['mws_labels'],
                                peer_out['disc_mws_label'])

  peer_total = task.build_losses(batch, peer_out, task.build_metrics())
  ours_losses = pretrain_losses.pretrain_losses(
      batch, our_out, config.mlm_loss_weight, config.rtd_loss_weight,
      config.mws_loss_weight)
  np.testing.assert_allclose(ours_losses['total_loss'], peer_total,
                             rtol=TOL, atol=TOL)
  assert float(ours_losses['mws_loss']) > 0.0


def test_teams_replacements_follow_the_draws(teams_pair):
  """Different draws give different corruptions; same draws the same."""
  _, ours, _, _ = teams_pair
  batch = fx.tiny_batch(seed=1)
  first = ours(dict(batch, replacement_uniform=fx.uniform_draws(1),
                    candidate_uniform=fx.uniform_draws(2)))
  again = ours(dict(batch, replacement_uniform=fx.uniform_draws(1),
                    candidate_uniform=fx.uniform_draws(2)))
  other = ours(dict(batch, replacement_uniform=fx.uniform_draws(3),
                    candidate_uniform=fx.uniform_draws(4)))
  np.testing.assert_array_equal(first['candidate_ids'],
                                again['candidate_ids'])
  assert not np.array_equal(first['candidate_ids'], other['candidate_ids'])


def _encoder_weights(network, skip=()):
  """Weights in creation order, without the pooler and `skip` names."""
  return [w for w in network.weights
          if 'pooler' not in w.name and 'cls_transform' not in w.name and
          not any(s in w.name for s in skip)]


def _assign_all(sources, targets):
  assert len(sources) == len(targets), (len(sources), len(targets))
  for source, target in zip(sources, targets):
    assert source.shape == target.shape, (source.name, target.name)
    target.assign(source)


def _electra_pair(config):
  """The peer built by Model Garden's own ELECTRA task path, and ours with
  the same weights.

  Deliberate difference: the peer ties only the word embeddings between
  generator and discriminator; ours ties position/type embeddings and their
  LayerNorm too, as ELECTRA's reference code does. For parity the peer
  generator's separate copies are set to the discriminator's values.
  The peer's BertEncoderV2 has a bias on the embedding projection; ours
  (Model Garden's PackedSequenceEmbedding) has none, so it is set to zero.
  """
  peer = electra_task._build_pretrainer(electra_configs.ElectraPretrainerConfig(
      num_masked_tokens=fx.PREDICTIONS, sequence_length=fx.SEQ,
      discriminator_loss_weight=config.rtd_loss_weight,
      generator_encoder=encoders.EncoderConfig(type='bert',
                                               bert=config.generator),
      discriminator_encoder=encoders.EncoderConfig(
          type='bert', bert=config.discriminator)))
  ours = pretrainer_config.build_pretrainer(config)
  batch = fx.tiny_batch(seed=2)
  peer(batch)
  ours(batch)
  peer_disc = peer.discriminator_network
  for weight in peer_disc.weights:
    if 'embedding_projection/bias' in weight.name:
      weight.assign(tf.zeros_like(weight))
  _assign_all(_encoder_weights(peer_disc, skip=('embedding_projection/bias',)),
              _encoder_weights(ours.discriminator_network))
  by_name = {w.name: w for w in peer_disc.weights}
  peer_gen = peer.generator_network
  for weight in peer_gen.weights:
    if weight.name.startswith(('position_embedding', 'type_embeddings',
                               'embeddings/layer_norm')):
      weight.assign(by_name[weight.name])
  _assign_all([w for w in _encoder_weights(peer_gen)
               if w.name.startswith('transformer')],
              [w for w in _encoder_weights(ours.generator_network)
               if w.name.startswith('transformer')])
  fx.copy_weights([
      (peer.masked_lm, ours.masked_lm),
      (peer.discriminator_projection, ours.rtd_head.dense),
      (peer.discriminator_head, ours.rtd_head.classifier),
  ])
  return peer, ours


def test_electra_logits_and_losses_match_peer():
  config = fx.tiny_electra_config()
  peer, ours = _electra_pair(config)
  batch = fx.tiny_batch(seed=3)
  draw = fx.uniform_draws(20)
  peer_out = _run_with_draws(peer, batch, [draw])
  our_out = ours(dict(batch, replacement_uniform=draw))
  np.testing.assert_allclose(our_out['mlm_logits'], peer_out['lm_outputs'],
                             atol=TOL)
  np.testing.assert_array_equal(our_out['rtd_labels'], peer_out['disc_label'])
  np.testing.assert_allclose(our_out['rtd_logits'], peer_out['disc_logits'],
                             atol=TOL)

  task = electra_task.ElectraPretrainTask(electra_task.ElectraPretrainConfig(
      model=electra_configs.ElectraPretrainerConfig(
          discriminator_loss_weight=config.rtd_loss_weight)))
  metrics = [tf_keras.metrics.Mean(name=n) for n in (
      'lm_example_loss', 'discriminator_loss', 'total_loss')]
  peer_total = task.build_losses(batch, peer_out, metrics)
  ours_losses = pretrain_losses.pretrain_losses(
      batch, our_out, config.mlm_loss_weight, config.rtd_loss_weight)
  np.testing.assert_allclose(ours_losses['total_loss'], peer_total,
                             rtol=TOL, atol=TOL)
  assert float(ours_losses['rtd_loss']) > 0.0
  assert 'mws_loss' not in ours_losses


def test_rtd_task_layers_chain_where_peer_reuses_the_input(teams_pair):
  """Deliberate difference: with 2 task layers ours chains them; the peer
  feeds each layer the head input, so only its last layer matters."""
  _, _, _, peer_model = teams_pair
  encoder_cfg = peer_model.discriminator_mws_network.get_config()
  num_layers = encoder_cfg['num_hidden_instances']
  peer_head = teams_pretrainer.ReplacedTokenDetectionHead(
      encoder_cfg=encoder_cfg, num_task_agnostic_layers=num_layers - 2)
  ours_cfg = fx.tiny_teams_config(rtd_task_layers=2)
  ours = pretrainer_config.build_pretrainer(ours_cfg).rtd_head
  rng = np.random.default_rng(5)
  data = tf.constant(rng.normal(size=(2, 8, 64)), tf.float32)
  mask = tf.ones((2, 8), tf.int32)
  peer_head(data, mask)
  ours(data, mask)
  fx.copy_weights([(p, o) for p, o in zip(peer_head.hidden_layers,
                                          ours.task_layers)] +
                  [(peer_head.dense, ours.dense),
                   (peer_head.rtd_head, ours.classifier)])
  peer_logits = peer_head(data, mask).numpy()
  ours_logits = ours(data, mask).numpy()
  att_mask = mg_layers.SelfAttentionMask()(data, mask)
  last_only = ours.classifier(ours.dense(
      ours.task_layers[1]([data, att_mask])))[..., 0]
  chained = ours.classifier(ours.dense(ours.task_layers[1](
      [ours.task_layers[0]([data, att_mask]), att_mask])))[..., 0]
  np.testing.assert_allclose(peer_logits, last_only, atol=TOL)
  np.testing.assert_allclose(ours_logits, chained, atol=TOL)
  assert np.abs(peer_logits - ours_logits).max() > 10 * TOL
