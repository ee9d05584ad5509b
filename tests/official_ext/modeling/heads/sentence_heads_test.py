"""Sentence heads (NSP, ASP, SO, SDP, SCP): hand-computed CE on the pooled."""

import numpy as np
import pytest
import tensorflow as tf

from official_ext.modeling.heads import registry


def _head_with_identity_classifier(name, num_classes):
  head = registry.build(name)
  pooled = tf.zeros([1, num_classes])
  head(tf.zeros([1, 2, num_classes]), pooled, {})
  head.classifier.kernel.assign(np.eye(num_classes, dtype=np.float32))
  head.classifier.bias.assign(np.zeros(num_classes, np.float32))
  return head


@pytest.mark.parametrize('name,label_key', [
    ('nsp', 'next_sentence_labels'), ('so', 'next_sentence_labels'),
    ('scp', 'scp_labels')])
def test_binary_heads(name, label_key):
  head = _head_with_identity_classifier(name, 2)
  pooled = tf.constant([[1.0, 0.0], [0.0, 0.0]])
  out = head(tf.zeros([2, 3, 2]), pooled, {})
  assert out[f'{name}_logits'].shape == (2, 2)
  batch = {label_key: tf.constant([[0], [1]])}
  # logits = pooled: row 0 [1, 0], label 0 -> ln(1 + e^-1) = 0.3132617;
  # row 1 [0, 0] -> ln 2 = 0.6931472; mean 0.5032044
  assert float(head.loss(batch, out)) == pytest.approx(0.5032044, rel=1e-5)
  metrics = head.build_metrics()
  assert [m.name for m in metrics] == [f'{name}_accuracy']
  head.update_metrics(metrics, batch, out)
  # row 1 is a tie [0, 0] -> argmax 0, wrong; row 0 right.
  assert float(metrics[0].result()) == pytest.approx(0.5)


@pytest.mark.parametrize('name', ['asp', 'sdp'])
def test_three_way_heads(name):
  head = _head_with_identity_classifier(name, 3)
  pooled = tf.constant([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
  out = head(tf.zeros([2, 3, 3]), pooled, {})
  assert out[f'{name}_logits'].shape == (2, 3)
  batch = {'next_sentence_labels': tf.constant([[0], [2]])}
  # row 0: ln(e^2 + 2) - 2 = 2.2395448 - 2 = 0.2395448; row 1: ln 3 =
  # 1.0986123; mean 0.6690785
  assert float(head.loss(batch, out)) == pytest.approx(0.6690785, rel=1e-5)


def test_pair_layout_uses_the_first_half_rows_only():
  head = _head_with_identity_classifier('so', 2)
  # 2B = 4 rows, next_sentence_labels [B=2, 1]: rows 2, 3 (continuations)
  # carry no label and must not count.
  pooled = tf.constant([[1.0, 0.0], [0.0, 0.0], [-50.0, 50.0], [9.0, 0.0]])
  out = head(tf.zeros([4, 3, 2]), pooled, {})
  batch = {'next_sentence_labels': tf.constant([[0], [1]])}
  assert float(head.loss(batch, out)) == pytest.approx(0.5032044, rel=1e-5)


def test_missing_label_raises_with_task_and_key():
  head = registry.build('scp')
  out = head(tf.zeros([1, 2, 2]), tf.zeros([1, 2]), {})
  with pytest.raises(ValueError, match=r"'scp'.*'scp_labels'"):
    head.loss({'next_sentence_labels': tf.constant([[0]])}, out)


def test_gradients_flow_to_classifier():
  head = registry.build('asp')
  pooled = tf.Variable(tf.random.normal([4, 5], seed=4))
  with tf.GradientTape() as tape:
    loss = head.loss({'next_sentence_labels': tf.constant([[0], [1], [2], [1]])},
                     head(tf.zeros([4, 2, 5]), pooled, {}))
  grads = tape.gradient(loss, [pooled] + head.trainable_variables)
  assert all(g is not None for g in grads)
