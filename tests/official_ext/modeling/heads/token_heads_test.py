"""Token heads (TF, TF-IDF, TLP, Cap, TCP, TGS, SBO): hand-computed losses.

Trick used throughout: with hidden = 2, the transform Dense(I) -> GELU ->
LayerNorm(gamma 1, beta 0) maps [2, 0] -> [1, -1], [0, 2] -> [-1, 1] and
[0, 0] -> [0, 0] (GELU(0) = 0, GELU(2) > 0; a 2-vector [g, 0] has mean g/2 and
std g/2), whatever the exact GELU value.
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.modeling.heads import registry
from official_ext.modeling.heads import token_heads

LN7 = 1.9459101091  # ln 7


def _identity_transform(head, width=2):
  head.transform.dense.kernel.assign(np.eye(width, dtype=np.float32))
  head.transform.dense.bias.assign(np.zeros(width, np.float32))


def _const(values, dtype=tf.float32):
  return tf.constant(values, dtype)


# ----------------------------------------------------------------- TF / TF-IDF


def test_tf_head_full_path_dense_gelu_layernorm_linear():
  head = registry.build('tf', hidden_size=2)
  seq = _const([[[0, 0], [2, 0], [0, 2], [2, 0]]])  # CLS, tok, tok, SEP
  head(seq, seq[:, 0], {})  # builds the variables
  _identity_transform(head)
  head.output_layer.kernel.assign([[3.0], [1.0]])
  head.output_layer.bias.assign([0.5])
  out = head(seq, seq[:, 0], {})
  # [0,0] -> 0.5; [2,0] -> [1,-1] -> 3 - 1 + 0.5 = 2.5; [0,2] -> -3 + 1 + 0.5.
  np.testing.assert_allclose(out['tf_predictions'].numpy(),
                             [[0.5, 2.5, -1.5, 2.5]], atol=1e-5)
  batch = {'tf_labels': _const([[0.0, 9.99, 4.5, 0.0]]),  # 0-10 rescaled
           'aux_token_weights': _const([[0, 1, 1, 0]])}
  # ((2.5 - 9.99)^2 + (-1.5 - 4.5)^2) / 2 = (56.1001 + 36) / 2 = 46.05005
  assert float(head.loss(batch, out)) == pytest.approx(46.05005, rel=1e-5)


def test_tf_integer_labels_truncate_like_olfmlm():
  head = registry.build('tf', hidden_size=2, integer_labels=True)
  out = {'tf_predictions': _const([[0.5, 2.5, -1.5, 2.5]])}
  batch = {'tf_labels': _const([[0.0, 9.99, 4.5, 0.0]]),
           'aux_token_weights': _const([[0, 1, 1, 0]])}
  # targets 9 and 4: ((2.5 - 9)^2 + (-1.5 - 4)^2) / 2 = (42.25 + 30.25) / 2
  assert float(head.loss(batch, out)) == pytest.approx(36.25, rel=1e-6)


def test_tf_l1_option():
  head = registry.build('tf', hidden_size=2, regression_loss='l1')
  out = {'tf_predictions': _const([[0.5, 2.5, -1.5, 2.5]])}
  batch = {'tf_labels': _const([[0.0, 9.99, 4.5, 0.0]]),
           'aux_token_weights': _const([[0, 1, 1, 0]])}
  # (7.49 + 6) / 2 = 6.745
  assert float(head.loss(batch, out)) == pytest.approx(6.745, rel=1e-6)


def test_tf_idf_loss_masks_cls_sep_and_padding():
  head = registry.build('tf_idf', hidden_size=2)
  # Row 0: [CLS] a b [SEP] pad; row 1: all padding. Labels at CLS/SEP/pad
  # are huge so that any leak would show.
  out = {'tf_idf_predictions': _const([[1.0, 2.0, 3.0, 7.0, 0.0],
                                       [5.0, 5.0, 5.0, 5.0, 5.0]])}
  batch = {'tf_idf_labels': _const([[100.0, 10.0, 2.5, 100.0, 100.0],
                                    [100.0] * 5]),
           'aux_token_weights': _const([[0, 1, 1, 0, 0], [0] * 5])}
  # ((2 - 10)^2 + (3 - 2.5)^2) / 2 = (64 + 0.25) / 2 = 32.125
  assert float(head.loss(batch, out)) == pytest.approx(32.125, rel=1e-6)
  metrics = head.build_metrics()
  assert [m.name for m in metrics] == ['tf_idf_mse']
  head.update_metrics(metrics, batch, out)
  assert float(metrics[0].result()) == pytest.approx(32.125, rel=1e-6)


def test_tlp_loss():
  head = registry.build('tlp', hidden_size=2)
  out = {'tlp_predictions': _const([[0.0, 3.0, 5.0, 0.0]])}
  batch = {'token_length_labels': _const([[0.0, 3.0, 3.0, 0.0]]),
           'aux_token_weights': _const([[0, 1, 1, 0]])}
  # ((3 - 3)^2 + (5 - 3)^2) / 2 = 2
  assert float(head.loss(batch, out)) == pytest.approx(2.0)


def test_regression_empty_mask_gives_zero_loss_and_zero_gradient():
  head = registry.build('tf', hidden_size=2)
  seq = tf.Variable(tf.random.normal([2, 3, 2], seed=1))
  batch = {'tf_labels': tf.ones([2, 3]), 'aux_token_weights': tf.zeros([2, 3])}
  with tf.GradientTape() as tape:
    loss = head.loss(batch, head(seq, seq[:, 0], batch))
  grads = tape.gradient(loss, [seq] + head.trainable_variables)
  assert float(loss) == 0.0
  for g in grads:
    assert g is not None and np.all(np.isfinite(g.numpy()))


# ------------------------------------------------------------------ Cap / TCP


def test_cap_full_path_constant_logits():
  head = registry.build('cap', hidden_size=2)
  seq = tf.random.normal([1, 6, 2], seed=2)
  head(seq, seq[:, 0], {})
  head.output_layer.kernel.assign(np.zeros([2, 2], np.float32))
  head.output_layer.bias.assign([0.0, np.log(3.0)])  # p(cap) = 3/4
  out = head(seq, seq[:, 0], {})
  assert out['cap_logits'].shape == (1, 6, 2)
  batch = {'cap_labels': _const([[1, 1, 0, 1, 1, 1]], tf.int32),
           'aux_token_weights': _const([[0, 1, 1, 1, 0, 0]])}  # CLS..SEP pad
  # -ln(3/4) = 0.2876821, -ln(1/4) = 1.3862944:
  # (0.2876821 + 1.3862944 + 0.2876821) / 3 = 0.6538862
  assert float(head.loss(batch, out)) == pytest.approx(0.6538862, rel=1e-5)


def test_tcp_loss_and_accuracy_on_given_logits():
  head = registry.build('tcp', hidden_size=2)
  out = {'tcp_logits': _const([[[0, 0], [2, 0], [0, 2], [0, 0]]])}
  batch = {'tcp_labels': _const([[1, 1, 1, 1]], tf.int32),
           'aux_token_weights': _const([[0, 1, 1, 0]])}
  # [2,0], label 1: ln(e^2 + 1) = 2.1269280; [0,2], label 1:
  # ln(1 + e^2) - 2 = 0.1269280; mean 1.1269280
  assert float(head.loss(batch, out)) == pytest.approx(1.126928, rel=1e-5)
  metrics = head.build_metrics()
  assert [m.name for m in metrics] == ['tcp_accuracy']
  head.update_metrics(metrics, batch, out)
  assert float(metrics[0].result()) == pytest.approx(0.5)


# ------------------------------------------------------------------------ TGS


def test_tgs_context_is_three_previous_vectors_clamped_at_zero():
  head = registry.build('tgs', hidden_size=1)
  seq = tf.reshape(tf.range(4, dtype=tf.float32), [1, 4, 1])  # h_t = [t]
  ctx = head.head_inputs(seq).numpy()[0]
  np.testing.assert_array_equal(ctx, [[0, 0, 0], [0, 0, 1], [0, 1, 2],
                                      [1, 2, 3]])


def test_tgs_loss_only_at_chosen_trigram_ends():
  head = registry.build('tgs', hidden_size=2)
  seq = tf.random.normal([1, 5, 2], seed=3)
  head(seq, seq[:, 0], {})
  head.output_layer.kernel.assign(np.zeros([2, 6], np.float32))
  head.output_layer.bias.assign([np.log(2.0), 0, 0, 0, 0, 0])
  out = head(seq, seq[:, 0], {})
  assert out['tgs_logits'].shape == (1, 5, 6)
  batch = {'tgs_labels': _const([[5, 5, 3, 5, 0]], tf.int32),
           'tgs_weights': _const([[0, 0, 1, 0, 1]])}
  # softmax denominators 2 + 5 = 7: label 3 -> ln 7 = 1.9459101,
  # label 0 -> ln(7/2) = 1.2527630; mean 1.5993366 (all 5 would be
  # (4 ln 7 + ln 3.5) / 5 = 1.8072807).
  assert float(head.loss(batch, out)) == pytest.approx(1.5993366, rel=1e-5)
  assert float(head.loss(batch, out)) == pytest.approx(
      (LN7 + LN7 - np.log(2.0)) / 2, rel=1e-6)


# ------------------------------------------------------------------------ SBO


def _sbo(context='boundary'):
  table = tf.Variable([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # vocab 3
  return registry.build('sbo', embedding_table=table, context=context), table


def test_sbo_boundary_context_clamps_at_sequence_ends():
  head, _ = _sbo()
  seq = tf.reshape(tf.range(5, dtype=tf.float32), [1, 5, 1])  # h_t = [t]
  ctx = head.context_vectors(seq, tf.constant([[0, 2, 4]])).numpy()[0]
  # i=0 -> (h_0, h_1); i=2 -> (h_1, h_3); i=4 -> (h_3, h_4)
  np.testing.assert_array_equal(ctx, [[0, 1], [1, 3], [3, 4]])


def test_sbo_olfmlm_context_is_i_minus_2_to_i():
  head, _ = _sbo('olfmlm')
  seq = tf.reshape(tf.range(5, dtype=tf.float32), [1, 5, 1])
  ctx = head.context_vectors(seq, tf.constant([[0, 1, 4]])).numpy()[0]
  np.testing.assert_array_equal(ctx, [[0, 0, 0], [0, 0, 1], [2, 3, 4]])


def test_sbo_loss_tied_to_embeddings_with_clamped_right_neighbour():
  head, table = _sbo()
  seq = _const([[[0, 0], [1, 1], [2, 0], [0, 2]]])
  batch = {'masked_lm_positions': _const([[1, 3, 0]], tf.int32),
           'masked_lm_ids': _const([[0, 2, 1]], tf.int32),
           'masked_lm_weights': _const([[1, 1, 0]])}
  head(seq, seq[:, 0], batch)
  # The dense layer reads only the right neighbour: kernel [0; I] on [l; r].
  head.transform.dense.kernel.assign([[0, 0], [0, 0], [1, 0], [0, 1]])
  out = head(seq, seq[:, 0], batch)
  logits = out['sbo_logits'].numpy()
  assert logits.shape == (1, 3, 3)
  # i=1: right h_2 = [2,0] -> [1,-1] -> E u = [1, -1, 0].
  # i=3: right clamped to h_3 = [0,2] -> [-1,1] -> [-1, 1, 0].
  np.testing.assert_allclose(logits[0, :2], [[1, -1, 0], [-1, 1, 0]],
                             atol=1e-5)
  # Z = e + 1/e + 1 = 4.0861613, ln Z = 1.4076060.
  # i=1, id 0: 1.4076060 - 1 = 0.4076060; i=3, id 2: 1.4076060 - 0.
  # Third slot has weight 0. Mean = 0.9076060.
  assert float(head.loss(batch, out)) == pytest.approx(0.907606, rel=1e-5)
  with tf.GradientTape() as tape:
    loss = head.loss(batch, head(seq, seq[:, 0], batch))
  assert tape.gradient(loss, table) is not None  # tied decoder


def test_sbo_call_without_positions_names_task_and_key():
  head, _ = _sbo()
  seq = tf.zeros([1, 4, 2])
  with pytest.raises(ValueError, match=r"'sbo'.*masked_lm_positions"):
    head(seq, seq[:, 0], {})


def test_missing_label_names_task_feature_and_builder_switch():
  head = registry.build('tf_idf', hidden_size=2)
  out = {'tf_idf_predictions': tf.zeros([1, 3])}
  with pytest.raises(ValueError) as err:
    head.loss({'aux_token_weights': tf.ones([1, 3])}, out)
  message = str(err.value)
  assert "'tf_idf'" in message and "'tf_idf_labels'" in message
  assert '--aux_labels=tf_idf' in message


def test_bad_options_rejected():
  with pytest.raises(ValueError, match='regression_loss'):
    registry.build('tf', hidden_size=2, regression_loss='huber')
  with pytest.raises(ValueError, match='context'):
    token_heads.SpanBoundaryHead(tf.Variable(tf.zeros([3, 2])), context='x')


def test_mixed_precision_losses_are_float32():
  policy = tf_keras.mixed_precision.global_policy()
  tf_keras.mixed_precision.set_global_policy('mixed_float16')
  try:
    head = registry.build('tf', hidden_size=2)
    sbo, _ = _sbo()
    seq = tf.random.normal([1, 4, 2])
    batch = {'tf_labels': tf.ones([1, 4]), 'aux_token_weights': tf.ones([1, 4]),
             'masked_lm_positions': _const([[1]], tf.int32),
             'masked_lm_ids': _const([[2]], tf.int32),
             'masked_lm_weights': _const([[1.0]])}
    out = head(seq, seq[:, 0], batch)
    assert out['tf_predictions'].dtype == tf.float16
    assert head.loss(batch, out).dtype == tf.float32
    assert sbo.loss(batch, sbo(seq, seq[:, 0], batch)).dtype == tf.float32
  finally:
    tf_keras.mixed_precision.set_global_policy(policy.name)
