"""Pretraining losses on hand-computed cases."""

import math

import numpy as np
import tensorflow as tf

from official_ext.modeling.losses import pretrain_losses as pl


def test_weighted_mean_ignores_zero_weights_and_empty_is_zero():
  np.testing.assert_allclose(
      pl.weighted_mean(tf.constant([2.0, 4.0, 100.0]),
                       tf.constant([1.0, 1.0, 0.0])), 3.0)
  assert float(pl.weighted_mean(tf.constant([1.0]), tf.constant([0.0]))) == 0


def test_mlm_loss_hand_case():
  # Two real positions with logits [0, ln 3] (p(label 1) = 3/4) and
  # [0, 0] (p = 1/2); a third, padded position is ignored.
  logits = tf.constant([[[0.0, math.log(3.0)], [0.0, 0.0], [9.0, -9.0]]])
  labels = tf.constant([[1, 0, 1]])
  weights = tf.constant([[1.0, 1.0, 0.0]])
  expected = (-math.log(0.75) - math.log(0.5)) / 2
  np.testing.assert_allclose(pl.mlm_loss(labels, logits, weights), expected,
                             rtol=1e-6)


def test_rtd_loss_hand_case_masks_padding():
  # logit 0 -> loss ln 2 whatever the label; logit ln 3 with label 1 ->
  # -ln(3/4); the padded token is ignored.
  logits = tf.constant([[0.0, math.log(3.0), 50.0]])
  labels = tf.constant([[0, 1, 0]])
  mask = tf.constant([[1, 1, 0]])
  expected = (math.log(2.0) - math.log(0.75)) / 2
  np.testing.assert_allclose(pl.rtd_loss(labels, logits, mask), expected,
                             rtol=1e-6)


def test_total_is_the_weighted_sum():
  inputs = {'masked_lm_ids': tf.constant([[1]]),
            'masked_lm_weights': tf.constant([[1.0]]),
            'input_mask': tf.constant([[1, 1]])}
  outputs = {'mlm_logits': tf.constant([[[0.0, 0.0]]]),       # ln 2
             'rtd_logits': tf.constant([[0.0, 0.0]]),         # ln 2
             'rtd_labels': tf.constant([[0, 1]]),
             'mws_logits': tf.constant([[[0.0, 0.0, 0.0, 0.0]]]),  # ln 4
             'mws_labels': tf.constant([[0]])}
  losses = pl.pretrain_losses(inputs, outputs, 1.0, 5.0, 2.0)
  ln2 = math.log(2.0)
  np.testing.assert_allclose(losses['mws_loss'], 2 * ln2, rtol=1e-6)
  np.testing.assert_allclose(losses['total_loss'], ln2 + 5 * ln2 + 4 * ln2,
                             rtol=1e-6)
  electra = pl.pretrain_losses(inputs, {k: v for k, v in outputs.items()
                                        if not k.startswith('mws')})
  np.testing.assert_allclose(electra['total_loss'], 51 * ln2, rtol=1e-6)
