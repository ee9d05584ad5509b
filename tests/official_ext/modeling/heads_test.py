"""MWS and RTD heads: hand-computed logits, shapes, configs."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.modeling.layers import mws_head
from official_ext.modeling.layers import rtd_head


def test_mws_logits_are_dot_products_with_candidate_embeddings():
  table = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2))
  head = mws_head.MultiWordSelectionHead(table)
  sequence = tf.constant(np.random.default_rng(0).normal(size=(1, 3, 4)),
                         tf.float32)
  positions = tf.constant([[2]])
  candidates = tf.constant([[[5, 0, 3]]])
  logits = head(sequence, positions, candidates).numpy()
  query = head.layer_norm(head.dense(sequence[:, 2:3])).numpy()[0, 0]
  expected = [query @ table.numpy()[c] for c in (5, 0, 3)]
  np.testing.assert_allclose(logits[0, 0], expected, rtol=1e-5)
  assert logits.shape == (1, 1, 3)


def test_rtd_head_without_task_layers_is_dense_then_classifier():
  head = rtd_head.ReplacedTokenDetectionHead(hidden_size=4)
  data = tf.constant(np.random.default_rng(1).normal(size=(2, 5, 4)),
                     tf.float32)
  logits = head(data, tf.ones((2, 5), tf.int32))
  np.testing.assert_allclose(
      logits, head.classifier(head.dense(data))[..., 0], rtol=1e-6)
  assert logits.shape == (2, 5)


def test_ffn_block_is_residual_plus_layernorm():
  block = rtd_head.FeedForwardBlock(8, activation='relu')
  x = tf.constant(np.random.default_rng(2).normal(size=(1, 3, 4)), tf.float32)
  y = block(x)
  manual = block.layer_norm(x + block.outer(block.inner(x)))
  np.testing.assert_allclose(y, manual, rtol=1e-6)


@pytest.mark.parametrize('head_type', ['attention', 'ffn'])
def test_rtd_head_config_round_trips(head_type):
  head = rtd_head.ReplacedTokenDetectionHead(
      hidden_size=8, num_task_layers=2, head_type=head_type,
      num_attention_heads=2, intermediate_size=16, activation='gelu')
  config = head.get_config()
  clone = rtd_head.ReplacedTokenDetectionHead.from_config(config)
  assert clone.get_config() == config
  assert config['num_task_layers'] == 2 and config['head_type'] == head_type
  data = tf.zeros((1, 3, 8))
  assert clone(data, tf.ones((1, 3), tf.int32)).shape == (1, 3)


def test_ffn_block_config_round_trips():
  block = rtd_head.FeedForwardBlock(16, activation='gelu', dropout_rate=0.1)
  config = block.get_config()
  assert rtd_head.FeedForwardBlock.from_config(config).get_config() == config


def test_mws_head_config_names_its_settings():
  table = tf.Variable(tf.zeros((4, 2)))
  config = mws_head.MultiWordSelectionHead(
      table, activation='gelu', layer_norm_epsilon=1e-6).get_config()
  assert config['layer_norm_epsilon'] == 1e-6
  assert config['activation'] == tf_keras.activations.serialize(
      tf_keras.activations.get('gelu'))


def test_rtd_head_rejects_bad_settings():
  with pytest.raises(ValueError, match="'conv'"):
    rtd_head.ReplacedTokenDetectionHead(4, head_type='conv')
  with pytest.raises(ValueError, match='num_task_layers=-1'):
    rtd_head.ReplacedTokenDetectionHead(4, num_task_layers=-1)
