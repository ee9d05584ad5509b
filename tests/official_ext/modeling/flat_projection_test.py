"""Flattened `...x,xy->...y` projections: same values and gradients, no einsum."""

import numpy as np
import tensorflow as tf
import tf_keras

from official.nlp.modeling import networks

from official_ext.modeling.models import pretrainer_config
from official_ext.modeling.networks import flat_projection
from tests.official_ext.modeling import modeling_fixtures as fx


def _embedding():
  net = networks.PackedSequenceEmbedding(
      vocab_size=fx.VOCAB, type_vocab_size=2, embedding_width=8,
      hidden_size=16, max_seq_length=fx.SEQ, initializer='glorot_uniform',
      dropout_rate=0.0)
  batch = fx.tiny_batch()
  inputs = [batch['input_word_ids'], batch['input_mask'],
            batch['input_type_ids']]
  net(inputs)
  return net, inputs


def _grads(net, inputs):
  weights = tf.constant(np.random.default_rng(0).normal(
      size=(fx.BATCH, fx.SEQ, 16)), tf.float32)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(weights * net(inputs)[0])
  return [tf.convert_to_tensor(g) for g in
          tape.gradient(loss, net.trainable_variables)]


def _gradient_ops(layer):
  @tf.function
  def grad(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      y = layer(x)
    return tape.gradient(y, [x, layer.kernel])
  graph = grad.get_concrete_function(
      tf.TensorSpec([2, 3, 8], tf.float32)).graph
  return [op.type for op in graph.get_operations()]


def test_same_outputs_gradients_config_and_variables():
  net, inputs = _embedding()
  before = net(inputs)[0].numpy()
  grads_before = _grads(net, inputs)
  config = net.get_layer('embedding_projection').get_config()
  names = [w.name for w in net.weights]
  assert flat_projection.flatten_projections(net) == ['embedding_projection']
  assert flat_projection.flatten_projections(net) == []  # idempotent
  np.testing.assert_allclose(net(inputs)[0], before, atol=1e-6)
  for got, want in zip(_grads(net, inputs), grads_before):
    np.testing.assert_allclose(got, want, atol=1e-5)
  assert net.get_layer('embedding_projection').get_config() == config
  assert [w.name for w in net.weights] == names


def test_gradient_has_no_broadcast_einsum():
  layer = tf_keras.layers.EinsumDense('...x,xy->...y', output_shape=4)
  layer(tf.zeros([2, 3, 8]))
  assert 'Einsum' in _gradient_ops(layer)
  flat_projection.flatten_projections(layer)
  ops = _gradient_ops(layer)
  assert 'Einsum' not in ops and 'MatMul' in ops


def test_bias_and_activation_kept_other_equations_untouched():
  layer = tf_keras.layers.EinsumDense('...x,xy->...y', output_shape=4,
                                      bias_axes='y', activation='relu')
  x = tf.constant(np.random.default_rng(1).normal(size=(2, 3, 8)),
                  tf.float32)
  layer(x)
  layer.bias.assign([0.5, -0.5, 1.0, -1.0])
  want = layer(x).numpy()
  assert flat_projection.flatten_projections(layer) == [layer.name]
  np.testing.assert_allclose(layer(x), want, atol=1e-6)
  other = tf_keras.layers.EinsumDense('abc,cd->abd', output_shape=(None, 4))
  other(x)
  assert flat_projection.flatten_projections(other) == []


def test_pretrainer_encoders_use_flat_projections():
  model = pretrainer_config.build_pretrainer(fx.tiny_teams_config())
  projections = [
      layer for encoder in (model.generator_network,
                            model.discriminator_network)
      for layer in encoder.embedding_network.submodules
      if flat_projection.is_broadcast_projection(layer)]
  assert projections  # tiny: embedding width 32, hidden 64
  assert all(flat_projection.flatten_projections(layer) == []
             for layer in projections)
