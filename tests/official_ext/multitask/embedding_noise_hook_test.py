"""Embedding-noise hook on TEAMS EncoderScaffold and BertEncoderV2."""

import threading

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.nlp.modeling import layers as nlp_layers
from official_ext.multitask import embedding_noise_hook as enh
from tests.official_ext.multitask import tiny_encoders

KINDS = sorted(tiny_encoders.ENCODERS)
INPUTS = tiny_encoders.inputs()


@pytest.fixture(scope='module', params=KINDS)
def encoder(request):
  enc = tiny_encoders.ENCODERS[request.param]()
  enc(INPUTS)
  return enc


def _seq(enc, **kwargs):
  return enc(INPUTS, **kwargs)['sequence_output']


def _normal(eps, seed=7):
  return lambda shape, dtype: tf.random.stateless_normal(
      shape, [seed, 0], stddev=eps, dtype=dtype)


def test_finds_the_word_embedding_layer(encoder):
  layer = enh.find_word_embedding_layer(encoder)
  assert isinstance(layer, nlp_layers.OnDeviceEmbedding)
  assert layer.name == 'word_embeddings'
  width = (tiny_encoders.EMBEDDING if type(encoder).__name__ ==
           'EncoderScaffold' else tiny_encoders.HIDDEN)
  assert layer.embeddings.shape == (tiny_encoders.VOCAB, width)
  assert enh.EmbeddingNoiseHook(layer).layer is layer


def test_noise_is_added_to_the_lookup_only_inside_the_block(encoder):
  hook = enh.EmbeddingNoiseHook(encoder)
  layer, ids = hook.layer, INPUTS['input_word_ids']
  table = tf.gather(layer.embeddings, ids)
  seen = []

  def half(shape, dtype):
    seen.append((tuple(shape.numpy()), dtype))
    return tf.fill(shape, tf.constant(0.5, dtype))

  with hook.noise(half):
    assert hook.is_active
    np.testing.assert_allclose(layer(ids), table + 0.5, rtol=1e-6)
  assert not hook.is_active
  assert seen == [(tuple(ids.shape) + (layer.embeddings.shape[-1],),
                   tf.float32)]
  np.testing.assert_array_equal(layer(ids), table)
  assert 'call' not in vars(layer)          # the wrapper is gone


def test_noisy_pass_differs_and_clean_pass_is_unchanged(encoder):
  before = _seq(encoder)
  with enh.embedding_noise(encoder, _normal(0.1)):
    noisy = _seq(encoder)
  after = _seq(encoder)
  assert np.abs(noisy - before).max() > 1e-3
  np.testing.assert_array_equal(after, before)
  # R3F's eps = 1e-5 is small but not lost.
  with enh.embedding_noise(encoder, enh.r3f_noise_fn(eps=1e-5, seed=3)):
    tiny = _seq(encoder)
  assert 0 < np.abs(tiny - before).max() < 1e-2


def test_gradient_flows_through_the_noisy_pass(encoder):
  with tf.GradientTape() as tape:
    with enh.embedding_noise(encoder, _normal(0.1)):
      loss = tf.reduce_sum(tf.square(encoder(INPUTS)['pooled_output']))
  grads = tape.gradient(loss, encoder.trainable_variables)
  assert all(g is not None for g in grads)
  table = enh.find_word_embedding_layer(encoder).embeddings
  table_grad = grads[[v.ref() for v in encoder.trainable_variables].index(
      table.ref())]
  assert float(tf.reduce_sum(tf.abs(tf.convert_to_tensor(table_grad)))) > 0


def test_clean_and_noisy_pass_in_one_trace(encoder):
  hook = enh.EmbeddingNoiseHook(encoder)
  noise_fn = _normal(0.1)

  @tf.function
  def both(inputs):
    clean = encoder(inputs, training=True)['sequence_output']
    with hook.noise(noise_fn):
      noisy = encoder(inputs, training=True)['sequence_output']
    return clean, noisy, encoder(inputs)['sequence_output']

  eager_clean = _seq(encoder)
  with hook.noise(noise_fn):
    eager_noisy = _seq(encoder)
  clean, noisy, clean_again = both(INPUTS)
  np.testing.assert_allclose(clean, eager_clean, atol=1e-5)
  np.testing.assert_allclose(clean_again, eager_clean, atol=1e-5)
  np.testing.assert_allclose(noisy, eager_noisy, atol=1e-5)
  assert np.abs(noisy - clean).max() > 1e-3
  # Traced once: a clean function traced outside any block stays clean.
  clean_fn = tf.function(lambda x: encoder(x)['sequence_output'])
  traced = clean_fn(INPUTS)
  with hook.noise(noise_fn):
    np.testing.assert_allclose(clean_fn(INPUTS), traced)


def test_nested_blocks_use_the_innermost_noise(encoder):
  hook = enh.EmbeddingNoiseHook(encoder)
  layer, ids = hook.layer, INPUTS['input_word_ids']
  table = tf.gather(layer.embeddings, ids)
  ones = lambda shape, dtype: tf.ones(shape, dtype)
  twos = lambda shape, dtype: 2.0 * tf.ones(shape, dtype)
  with hook.noise(ones):
    with enh.EmbeddingNoiseHook(encoder).noise(twos):
      np.testing.assert_allclose(layer(ids), table + 2.0, rtol=1e-6)
    np.testing.assert_allclose(layer(ids), table + 1.0, rtol=1e-6)
  np.testing.assert_array_equal(layer(ids), table)


def test_exception_inside_the_block_restores_the_layer(encoder):
  hook = enh.EmbeddingNoiseHook(encoder)
  with pytest.raises(RuntimeError, match='boom'):
    with hook.noise(_normal(0.1)):
      raise RuntimeError('boom')
  assert 'call' not in vars(hook.layer) and not hook.is_active


def test_noise_is_per_thread(encoder):
  hook = enh.EmbeddingNoiseHook(encoder)
  ids = INPUTS['input_word_ids']
  table = tf.gather(hook.layer.embeddings, ids)
  entered, release = threading.Event(), threading.Event()

  def other_thread():
    with hook.noise(lambda shape, dtype: tf.ones(shape, dtype)):
      entered.set()
      release.wait(30)

  thread = threading.Thread(target=other_thread)
  thread.start()
  try:
    assert entered.wait(30)
    np.testing.assert_array_equal(hook.layer(ids), table)   # clean here
  finally:
    release.set()
    thread.join()
  assert 'call' not in vars(hook.layer)


def test_errors():
  plain = tf_keras.Sequential([tf_keras.layers.Dense(2)])
  with pytest.raises(ValueError, match='cannot find the word-embedding'):
    enh.EmbeddingNoiseHook(plain)
  hook = enh.EmbeddingNoiseHook(tf_keras.layers.Embedding(5, 2))
  with pytest.raises(TypeError, match='callable'):
    hook.noise(0.1)
  with pytest.raises(ValueError, match='noise kind'):
    enh.r3f_noise_fn('laplace')
  with pytest.raises(ValueError, match='eps'):
    enh.r3f_noise_fn(eps=0.0)


def test_r3f_noise_fn_range():
  noise = enh.r3f_noise_fn('uniform', eps=1e-3, seed=1)(
      tf.constant([4, 5, 6]), tf.float32)
  assert noise.shape == (4, 5, 6)
  assert 0 < float(tf.reduce_max(tf.abs(noise))) <= 1e-3
