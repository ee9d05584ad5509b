"""Losses of generator/discriminator pretraining (MLM, RTD, MWS).

Each loss is a weighted mean, as in Model Garden's ELECTRA and TEAMS tasks:
  MLM: softmax CE over the vocab, averaged over real masked positions.
  RTD: sigmoid CE per token, averaged over real (input_mask) tokens.
  MWS: softmax CE over the K + 1 candidates, averaged over masked positions.
The means are over the global batch, also under a multi-replica strategy
(see `weighted_mean`).
"""

import tensorflow as tf


def weighted_mean(values, weights):
  """sum(values * weights) / sum(weights) in float32; 0 if the weights sum
  to 0.

  Under a strategy with R > 1 replicas each replica returns
  `R * local_numerator / global_denominator`, so the mean over replicas (how
  logs are reduced) is the global batch's weighted mean and the summed
  gradients of `loss / R` are its gradient: MirroredStrategy equals one
  device even when replicas hold different numbers of real tokens.
  """
  values = tf.cast(values, tf.float32)
  weights = tf.cast(weights, tf.float32)
  numerator = tf.reduce_sum(values * weights)
  denominator = tf.reduce_sum(weights)
  replicas = tf.distribute.get_strategy().num_replicas_in_sync
  context = tf.distribute.get_replica_context()
  if context is not None and replicas > 1:
    denominator = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                     denominator) / replicas
  return tf.math.divide_no_nan(numerator, denominator)


def mlm_loss(labels, logits, weights):
  """Masked-LM loss; labels/weights `[batch, P]`, logits `[batch, P, V]`."""
  per_position = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32))
  return weighted_mean(per_position, weights)


def rtd_loss(labels, logits, input_mask):
  """RTD loss; all `[batch, seq_len]`."""
  per_token = tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.cast(labels, tf.float32), logits=tf.cast(logits, tf.float32))
  return weighted_mean(per_token, input_mask)


def mws_loss(labels, logits, weights):
  """MWS loss; labels/weights `[batch, P]`, logits `[batch, P, K + 1]`."""
  return mlm_loss(labels, logits, weights)


def pretrain_losses(inputs, outputs, mlm_weight=1.0, rtd_weight=50.0,
                    mws_weight=0.0):
  """Each loss and the weighted total.

  Args:
    inputs: the batch (needs `masked_lm_ids`, `masked_lm_weights`,
      `input_mask`).
    outputs: `GeneratorDiscriminatorPretrainer` outputs.
    mlm_weight, rtd_weight, mws_weight: loss weights (ELECTRA 1/50/0,
      TEAMS 1/5/2).

  Returns:
    dict with `mlm_loss`, `rtd_loss`, optionally `mws_loss`, and
    `total_loss`.
  """
  losses = {
      'mlm_loss': mlm_loss(inputs['masked_lm_ids'], outputs['mlm_logits'],
                           inputs['masked_lm_weights']),
      'rtd_loss': rtd_loss(outputs['rtd_labels'], outputs['rtd_logits'],
                           inputs['input_mask']),
  }
  total = mlm_weight * losses['mlm_loss'] + rtd_weight * losses['rtd_loss']
  if 'mws_logits' in outputs:
    losses['mws_loss'] = mws_loss(outputs['mws_labels'],
                                  outputs['mws_logits'],
                                  inputs['masked_lm_weights'])
    total += mws_weight * losses['mws_loss']
  losses['total_loss'] = total
  return losses
