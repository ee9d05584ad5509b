"""A tiny TEAMS overfits one fixed batch: gradients reach every part."""

import numpy as np
import tensorflow as tf

from official_ext.modeling.losses import pretrain_losses
from official_ext.modeling.models import pretrainer_config
from tests.official_ext.modeling import modeling_fixtures as fx

STEPS = 400


def test_tiny_teams_overfits_one_batch():
  tf.keras.utils.set_random_seed(0)
  config = fx.tiny_teams_config()
  model = pretrainer_config.build_pretrainer(config)
  batch = dict(fx.tiny_batch(seed=4), sampler_seeds=tf.constant([[5, 6]] * fx.BATCH, tf.int64))
  model(batch)
  optimizer = tf.keras.optimizers.Adam(3e-3)
  variables = model.trainable_variables

  @tf.function
  def step():
    with tf.GradientTape() as tape:
      losses = pretrain_losses.pretrain_losses(
          batch, model(batch, training=True), config.mlm_loss_weight,
          config.rtd_loss_weight, config.mws_loss_weight)
    grads = tape.gradient(losses['total_loss'], variables)
    optimizer.apply_gradients(zip(grads, variables))
    return losses, grads

  first, grads = step()
  # Only the encoders' poolers (`cls_transform`, used by fine-tuning) take
  # no part in pretraining, in the peer as in ours.
  missing = {v.name for v, g in zip(variables, grads) if g is None}
  assert missing == {'cls_transform/kernel:0', 'cls_transform/bias:0'}, (
      missing)
  first = {k: float(v) for k, v in first.items()}
  for _ in range(STEPS):
    last, _ = step()
  last = {k: float(v) for k, v in last.items()}
  for name in ('mlm_loss', 'rtd_loss', 'mws_loss', 'total_loss'):
    assert last[name] <= 0.1 * first[name], (name, first[name], last[name])
  assert np.isfinite(list(last.values())).all()
