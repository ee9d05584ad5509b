"""The pretraining model: RTD labels, layer sharing, seeds, bad settings."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from official_ext.modeling.losses import pretrain_losses
from official_ext.modeling.models import generator_discriminator_pretrainer as gdp
from official_ext.modeling.models import pretrainer_config
from official_ext.modeling.networks.tied_embedding import embedding_table_of
from tests.official_ext.modeling import modeling_fixtures as fx


def test_restore_and_replace_hand_case():
  ids = tf.constant([[2, 4, 7, 4, 0]])
  positions = tf.constant([[1, 3, 0]])
  weights = tf.constant([[1.0, 1.0, 0.0]])
  originals = tf.constant([[9, 8, 0]])
  new = tf.constant([[9, 5, 33]])  # first equals the original
  original, replaced = gdp.restore_and_replace(ids, positions, weights,
                                               originals, new)
  np.testing.assert_array_equal(original, [[2, 9, 7, 8, 0]])
  np.testing.assert_array_equal(replaced, [[2, 9, 7, 5, 0]])


def test_rtd_label_is_zero_where_the_sample_equals_the_original():
  model = pretrainer_config.build_pretrainer(fx.tiny_electra_config())
  batch = fx.tiny_batch()
  model(batch)
  # A draw of exp(-1) everywhere is zero Gumbel noise except where we put
  # u ~ 1: that token wins. Put it on the original id for prediction 0 and
  # on another id for prediction 1.
  u = np.full([fx.BATCH, fx.PREDICTIONS, fx.VOCAB], np.exp(-1.0), np.float32)
  lm_ids = batch['masked_lm_ids'].numpy()
  positions = batch['masked_lm_positions'].numpy()
  for row in range(fx.BATCH):
    u[row, 0, :] = 1e-30
    u[row, 0, lm_ids[row, 0]] = 1.0 - 1e-7
    u[row, 1, :] = 1e-30
    u[row, 1, (lm_ids[row, 1] + 1) % fx.VOCAB] = 1.0 - 1e-7
  out = model(dict(batch, replacement_uniform=tf.constant(u)))
  labels = out['rtd_labels'].numpy()
  for row in range(fx.BATCH):
    assert labels[row, positions[row, 0]] == 0
    assert labels[row, positions[row, 1]] == 1
  # Only masked positions can be replaced.
  unmasked = np.ones_like(labels, bool)
  for row in range(fx.BATCH):
    unmasked[row, positions[row][batch['masked_lm_weights'].numpy()[row] > 0]] = False
  assert labels[unmasked].sum() == 0


def test_bottom_layer_sharing_shares_variables():
  model = pretrainer_config.build_pretrainer(
      fx.tiny_teams_config(layer_sharing='bottom', num_shared_layers=1))
  model(fx.tiny_batch())
  shared = model.generator_network.hidden_layers[0]
  assert shared is model.discriminator_network.hidden_layers[0]
  # One update through the generator's loss changes the discriminator too.
  before = [v.numpy().copy() for v in shared.trainable_variables]
  disc_ids = {id(v) for v in model.discriminator_network.trainable_variables}
  with tf.GradientTape() as tape:
    out = model(fx.tiny_batch())
    loss = pretrain_losses.mlm_loss(fx.tiny_batch()['masked_lm_ids'],
                                    out['mlm_logits'],
                                    fx.tiny_batch()['masked_lm_weights'])
  grads = tape.gradient(loss, shared.trainable_variables)
  tf.keras.optimizers.SGD(1.0).apply_gradients(
      zip(grads, shared.trainable_variables))
  assert all(id(v) in disc_ids for v in shared.trainable_variables)
  assert any(not np.allclose(b, v.numpy())
             for b, v in zip(before, shared.trainable_variables))


@pytest.mark.parametrize('sharing,expected', [('none', 0), ('full', 1)])
def test_sharing_modes_count_shared_layers(sharing, expected):
  model = pretrainer_config.build_pretrainer(
      fx.tiny_teams_config(layer_sharing=sharing))
  gen = model.generator_network.hidden_layers
  disc = model.discriminator_network.hidden_layers
  assert sum(any(g is d for d in disc) for g in gen) == expected


def test_embeddings_tied_even_when_the_generator_is_narrower():
  model = pretrainer_config.build_pretrainer(fx.tiny_electra_config())
  model(fx.tiny_batch())
  assert (embedding_table_of(model.generator_network) is
          embedding_table_of(model.discriminator_network))
  untied = pretrainer_config.build_pretrainer(
      fx.tiny_electra_config(tie_embeddings=False))
  untied(fx.tiny_batch())
  assert (embedding_table_of(untied.generator_network) is not
          embedding_table_of(untied.discriminator_network))


def test_sampler_seed_makes_outputs_repeatable():
  model = pretrainer_config.build_pretrainer(fx.tiny_teams_config())
  batch = fx.tiny_batch()
  a = model(dict(batch, sampler_seeds=tf.constant([[1, 2]] * fx.BATCH, tf.int64)))
  b = model(dict(batch, sampler_seeds=tf.constant([[1, 2]] * fx.BATCH, tf.int64)))
  c = model(dict(batch, sampler_seeds=tf.constant([[1, 3]] * fx.BATCH, tf.int64)))
  np.testing.assert_array_equal(a['candidate_ids'], b['candidate_ids'])
  np.testing.assert_array_equal(a['corrupted_ids'], b['corrupted_ids'])
  assert not np.array_equal(a['candidate_ids'], c['candidate_ids'])


def test_output_shapes_teams():
  config = fx.tiny_teams_config(num_negatives=3)
  out = pretrainer_config.build_pretrainer(config)(fx.tiny_batch())
  b, s, p, v = fx.BATCH, fx.SEQ, fx.PREDICTIONS, fx.VOCAB
  assert out['mlm_logits'].shape == (b, p, v)
  assert out['rtd_logits'].shape == (b, s)
  assert out['mws_logits'].shape == (b, p, 4)
  assert out['candidate_ids'].shape == (b, p, 4)
  np.testing.assert_array_equal(out['candidate_ids'][..., 0],
                                fx.tiny_batch()['masked_lm_ids'])


@pytest.mark.parametrize('overrides,match', [
    ({'rtd_input_layer': 5}, 'rtd_input_layer=5'),
    ({'num_negatives': fx.VOCAB}, f'num_negatives={fx.VOCAB}'),
    ({'candidate_strategy': 'best'}, "'best'"),
    ({'layer_sharing': 'half'}, "'half'"),
    ({'num_shared_layers': 4}, 'num_shared_layers=4'),
    ({'rtd_head_type': 'conv'}, "'conv'"),
])
def test_bad_settings_raise_naming_the_field(overrides, match):
  with pytest.raises(ValueError, match=match):
    pretrainer_config.build_pretrainer(fx.tiny_teams_config(**overrides))


def test_sharing_needs_equal_widths():
  config = fx.tiny_electra_config(layer_sharing='full')
  with pytest.raises(ValueError, match='equal'):
    pretrainer_config.build_pretrainer(config)


def test_ffn_head_option_builds_ffn_blocks():
  config = fx.tiny_teams_config(rtd_head_type='ffn')
  model = pretrainer_config.build_pretrainer(config)
  out = model(fx.tiny_batch())
  assert out['rtd_logits'].shape == (fx.BATCH, fx.SEQ)
  assert type(model.rtd_head.task_layers[0]).__name__ == 'FeedForwardBlock'


def test_presets_match_the_paper_tables():
  small = pretrainer_config.teams_config('small', 30522)
  assert (small.discriminator.num_layers, small.discriminator.hidden_size,
          small.discriminator.embedding_size,
          small.discriminator.num_attention_heads,
          small.discriminator.intermediate_size) == (12, 256, 128, 4, 1024)
  assert small.generator.num_layers == 6
  assert small.generator.hidden_size == 256
  assert (small.rtd_loss_weight, small.mws_loss_weight) == (5.0, 2.0)
  assert small.num_negatives == 5 and small.rtd_input_layer == 11
  large = pretrainer_config.teams_config('large', 30522)
  assert (large.discriminator.num_layers,
          large.discriminator.hidden_size) == (24, 1024)
  electra = pretrainer_config.electra_config('base', 30522)
  assert electra.rtd_loss_weight == 50.0
  assert electra.generator.hidden_size == 256
  assert electra.generator.num_layers == 12
  with pytest.raises(ValueError, match="unknown size 'huge'"):
    pretrainer_config.teams_config('huge')


def _masked_and_full(config, **kwargs):
  """The same model with masked top layers (default) and without."""
  masked = pretrainer_config.build_pretrainer(config, **kwargs)
  full = pretrainer_config.build_pretrainer(
      dataclasses.replace(config, masked_top_layers=False), **kwargs)
  batch = fx.tiny_batch()
  masked(batch)
  full(batch)
  full.set_weights(masked.get_weights())
  return masked, full


@pytest.mark.parametrize('make_config', [fx.tiny_teams_config,
                                         fx.tiny_electra_config])
def test_masked_top_layers_keep_outputs_losses_and_gradients(make_config):
  config = make_config()
  masked, full = _masked_and_full(config)
  batch = dict(fx.tiny_batch(seed=4), replacement_uniform=fx.uniform_draws(5),
               candidate_uniform=fx.uniform_draws(6))

  def run(model):
    with tf.GradientTape() as tape:
      out = model(batch, training=True)  # dropout is 0 in the tiny configs
      losses = pretrain_losses.pretrain_losses(
          batch, out, config.mlm_loss_weight, config.rtd_loss_weight,
          config.mws_loss_weight)
    return out, losses, tape.gradient(losses['total_loss'],
                                      model.trainable_variables)

  (out_m, loss_m, grad_m), (out_f, loss_f, grad_f) = run(masked), run(full)
  for key in ('mlm_logits', 'rtd_logits', 'mws_logits'):
    if key in out_f:
      np.testing.assert_allclose(out_m[key], out_f[key], atol=1e-5,
                                 err_msg=key)
  for key in ('sampled_ids', 'corrupted_ids', 'rtd_labels', 'candidate_ids'):
    if key in out_f:
      np.testing.assert_array_equal(out_m[key], out_f[key], err_msg=key)
  for key, value in loss_f.items():
    np.testing.assert_allclose(loss_m[key], value, rtol=1e-5, err_msg=key)
  for variable, g, w in zip(masked.trainable_variables, grad_m, grad_f):
    assert (g is None) == (w is None), variable.name
    if w is not None:
      w = tf.convert_to_tensor(w)
      scale = max(1.0, float(tf.reduce_max(tf.abs(w))))
      np.testing.assert_allclose(tf.convert_to_tensor(g), w,
                                 atol=1e-6 * scale, err_msg=variable.name)


def test_which_top_layers_are_masked():
  teams, _ = _masked_and_full(fx.tiny_teams_config())
  assert teams.masks_discriminator_top
  out = teams(fx.tiny_batch())
  assert 'sequence_output' not in out and 'pooled_output' not in out
  # RTD on the last layer (ELECTRA) or trunk outputs for auxiliary heads:
  # the discriminator's last layer is computed in full.
  electra, _ = _masked_and_full(fx.tiny_electra_config())
  with_trunk, full = _masked_and_full(fx.tiny_teams_config(),
                                      trunk_outputs=True)
  for model in (electra, with_trunk):
    assert not model.masks_discriminator_top
  batch = dict(fx.tiny_batch(), replacement_uniform=fx.uniform_draws(5),
               candidate_uniform=fx.uniform_draws(6))
  got, want = with_trunk(batch), full(batch)
  assert got['sequence_output'].shape == (fx.BATCH, fx.SEQ, 64)
  for key in ('sequence_output', 'pooled_output', 'mws_logits'):
    np.testing.assert_allclose(got[key], want[key], atol=1e-5, err_msg=key)
