"""QT and FS heads: hand-computed cosine-based losses on the 2B layout.

With hidden = 4 and the transform Dense(I) -> GELU -> LayerNorm(1, 0):
  c e_k (c > 0)     -> GELU [.., g, ..] -> LN: sqrt(3) at k, -1/sqrt(3) elsewhere
  [c, c, 0, 0]      -> [1, 1, -1, -1]
  [0, c, c, c]      -> -LN(c e_0): the exact opposite of LN(c e_0)
  zeros             -> zeros
(LN removes the mean g/4 and divides by the std g sqrt(3)/4). Hence, with
u_k = LN(3 e_k) (|u_k|^2 = 3 + 3 * 1/3 = 4) and v = [1, 1, -1, -1] (|v| = 2):
  cos(u_i, u_i) = 1
  cos(u_i, u_j) = (2 * sqrt(3) * (-1/sqrt(3)) + 2 * 1/3) / 4 = -1/3  (i != j)
  cos(v, u_0) = (sqrt(3) - 1/sqrt(3) + 1/sqrt(3) + 1/sqrt(3)) / 4 = 1/sqrt(3)
"""

import numpy as np
import pytest
import tensorflow as tf

from official_ext.modeling.heads import contrastive_heads
from official_ext.modeling.heads import registry

E = 3.0 * np.eye(4, dtype=np.float32)  # rows 3 e_k
V = np.array([3.0, 3.0, 0.0, 0.0], np.float32)


def _identity(transform):
  transform.dense.kernel.assign(np.eye(4, dtype=np.float32))
  transform.dense.bias.assign(np.zeros(4, np.float32))


def _qt(**kwargs):
  head = registry.build('qt', hidden_size=4, **kwargs)
  head(tf.zeros([2, 1, 4]), tf.zeros([2, 4]), {})
  _identity(head.transform)
  return head


def test_qt_matched_pairs():
  head = _qt()
  pooled = tf.constant(np.stack([E[0], E[1], E[0], E[1]]))  # B = 2
  out = head(tf.zeros([4, 1, 4]), pooled, {})
  np.testing.assert_allclose(out['qt_cosine'].numpy(),
                             [[1, -1 / 3], [-1 / 3, 1]], atol=1e-5)
  # each row: ln(e^1 + e^(-1/3)) - 1 = ln(1 + e^(-4/3)) = 0.2339625
  assert float(head.loss({}, out)) == pytest.approx(0.2339625, rel=1e-5)
  metrics = head.build_metrics()
  assert [m.name for m in metrics] == ['qt_accuracy']
  head.update_metrics(metrics, {}, out)
  assert float(metrics[0].result()) == 1.0


def test_qt_swapped_pairs():
  head = _qt()
  pooled = tf.constant(np.stack([E[0], E[1], E[1], E[0]]))
  out = head(tf.zeros([4, 1, 4]), pooled, {})
  # S = [[-1/3, 1], [1, -1/3]], targets on the diagonal:
  # ln(1 + e^(4/3)) = ln(4.7936679) = 1.5672959
  assert float(head.loss({}, out)) == pytest.approx(1.5672959, rel=1e-5)
  metrics = head.build_metrics()
  head.update_metrics(metrics, {}, out)
  assert float(metrics[0].result()) == 0.0


def test_qt_loss_on_parallel_and_orthogonal_cosines_and_temperature():
  out = {'qt_cosine': tf.eye(2)}  # partners parallel, others orthogonal
  # ln(e + 1) - 1 = 0.3132617
  assert float(_qt().loss({}, out)) == pytest.approx(0.3132617, rel=1e-5)
  # temperature 0.5 -> logits 2 I: ln(e^2 + 1) - 2 = 0.1269280
  assert float(_qt(temperature=0.5).loss({}, out)) == pytest.approx(
      0.126928, rel=1e-5)


def test_qt_gradients_flow_to_both_halves():
  head = registry.build('qt', hidden_size=4)
  pooled = tf.Variable(tf.random.normal([6, 4], seed=5))
  with tf.GradientTape() as tape:
    loss = head.loss({}, head(tf.zeros([6, 1, 4]), pooled, {}))
  grads = tape.gradient(loss, [pooled] + head.trainable_variables)
  assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
  assert np.abs(grads[0].numpy()[:3]).sum() > 0
  assert np.abs(grads[0].numpy()[3:]).sum() > 0


def _fs(**kwargs):
  head = registry.build('fs', hidden_size=4, **kwargs)
  head(tf.zeros([2, 3, 4]), tf.zeros([2, 4]), {})
  _identity(head.sentence_transform)
  _identity(head.token_transform)
  return head


# B = 1: row 0 and its continuation row 1. Pooled: p_0 = 3 e_0, p_1 = 3 e_1.
# Row 0 tokens are scored against p_1: 3 e_1 -> 1, v -> cos(v, u_1) = 1/sqrt(3)
#   (as for u_0: v has +1 at 0 and 1), padding zeros -> 0 (masked).
# Row 1 tokens against p_0: 3 e_0 -> 1, 3 e_2 -> -1/3, masked 3 e_1 -> -1/3.
FS_POOLED = np.stack([E[0], E[1]])
FS_SEQUENCE = np.stack([[E[1], V, np.zeros(4, np.float32)],
                        [E[0], E[2], E[1]]])
FS_BATCH = {'input_mask': tf.constant([[1, 1, 0], [1, 1, 0]])}


def test_fs_cosines_and_default_bce_loss():
  head = _fs()
  out = head(tf.constant(FS_SEQUENCE), tf.constant(FS_POOLED), FS_BATCH)
  r3 = 1 / np.sqrt(3)
  np.testing.assert_allclose(out['fs_cosine'].numpy(),
                             [[1, r3, 0], [1, -1 / 3, -1 / 3]], atol=1e-5)
  # -ln((cos + 1) / 2) over the 4 real tokens:
  # 0 + (-ln(0.7886751) = 0.2374008) + 0 + (-ln(1/3) = 1.0986123)
  # = 1.3360131 / 4 = 0.3340033
  assert float(head.loss(FS_BATCH, out)) == pytest.approx(0.3340033, rel=1e-5)
  metrics = head.build_metrics()
  assert [m.name for m in metrics] == ['fs_cosine']
  head.update_metrics(metrics, FS_BATCH, out)
  # (1 + 0.5773503 + 1 - 0.3333333) / 4 = 0.5610042
  assert float(metrics[0].result()) == pytest.approx(0.5610042, rel=1e-5)


def test_fs_mse_option():
  head = _fs(loss='mse')
  out = head(tf.constant(FS_SEQUENCE), tf.constant(FS_POOLED), FS_BATCH)
  # (1/sqrt(3) - 1)^2 = 0.1786328, (-1/3 - 1)^2 = 1.7777778:
  # (0 + 0.1786328 + 0 + 1.7777778) / 4 = 0.4891027
  assert float(head.loss(FS_BATCH, out)) == pytest.approx(0.4891027, rel=1e-5)


def test_fs_antiparallel_token_is_finite():
  head = _fs()
  seq = tf.constant([[[0.0, 3.0, 3.0, 3.0]], [[3.0, 0.0, 0.0, 0.0]]])
  pooled = tf.Variable(np.stack([E[0], E[0]]))
  batch = {'input_mask': tf.constant([[1], [1]])}
  with tf.GradientTape() as tape:
    out = head(seq, pooled, batch)
    loss = head.loss(batch, out)
  # row 0: cos(-u_0, u_0) = -1 -> -ln(max(0, 1e-7)) = 16.1180957; row 1: 0
  np.testing.assert_allclose(out['fs_cosine'].numpy(), [[-1], [1]], atol=1e-5)
  assert float(loss) == pytest.approx(16.1180957 / 2, rel=1e-4)
  grads = tape.gradient(loss, [pooled] + head.trainable_variables)
  assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)


def test_fs_empty_mask_is_zero():
  head = registry.build('fs', hidden_size=4)
  out = head(tf.random.normal([2, 3, 4]), tf.random.normal([2, 4]), {})
  assert float(head.loss({'input_mask': tf.zeros([2, 3])}, out)) == 0.0


@pytest.mark.parametrize('name', ['qt', 'fs'])
def test_odd_rows_rejected(name):
  head = registry.build(name, hidden_size=4)
  with pytest.raises(ValueError, match=rf'{name}: .*even number of rows'):
    head(tf.zeros([3, 2, 4]), tf.zeros([3, 4]), {})


def test_odd_rows_rejected_with_dynamic_batch():
  head = registry.build('qt', hidden_size=4)

  @tf.function(input_signature=[tf.TensorSpec([None, 4])])
  def scores(pooled):
    return head(tf.zeros([1, 1, 4]), pooled, {})['qt_cosine']

  assert scores(tf.zeros([4, 4])).shape == (2, 2)
  with pytest.raises(tf.errors.InvalidArgumentError, match='even number'):
    scores(tf.zeros([3, 4]))


def test_bad_options_rejected():
  with pytest.raises(ValueError, match='loss'):
    contrastive_heads.FastSentHead(hidden_size=4, loss='ce')
  with pytest.raises(ValueError, match='temperature'):
    contrastive_heads.QuickThoughtsHead(hidden_size=4, temperature=0.0)
