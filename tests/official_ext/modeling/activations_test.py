"""The exact GELU: its values, its registration (Model Garden's
`get_activation`, Keras serialisation) and a config naming it."""

import dataclasses
import json
import math

import numpy as np
import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official.nlp.configs import encoders
from official.projects.teams import teams

from official_ext.modeling import activations

_X = np.linspace(-6.0, 6.0, 1201).astype(np.float32)


def test_exact_gelu_is_x_times_the_normal_cdf():
  want = np.array([0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))
                   for x in _X.astype(np.float64)])
  got = activations.gelu_exact(tf.constant(_X)).numpy()
  assert np.abs(got - want).max() < 1e-6
  # Model Garden's 'gelu' is the tanh form: up to ~4.7e-4 away.
  tanh = tf_utils.get_activation(activations.GELU_TANH)(tf.constant(_X))
  assert 4e-4 < np.abs(tanh.numpy() - want).max() < 5e-4


def test_model_garden_and_keras_resolve_the_name():
  assert tf_utils.get_activation(
      activations.GELU_EXACT) is activations.gelu_exact
  assert tf_utils.get_activation(
      activations.GELU_EXACT.upper()) is activations.gelu_exact
  dense = tf_keras.layers.Dense(3, activation=activations.GELU_EXACT)
  config = dense.get_config()
  assert activations.GELU_EXACT in json.dumps(config['activation'])
  assert tf_keras.layers.Dense.from_config(
      config).activation is activations.gelu_exact


def test_a_config_naming_it_stays_a_plain_model_garden_config():
  fields = dataclasses.asdict(encoders.BertEncoderConfig(
      vocab_size=30, hidden_size=16, num_layers=1, num_attention_heads=2,
      intermediate_size=32, hidden_activation=activations.GELU_EXACT))
  fields = json.loads(json.dumps(fields))  # encoder_config.json
  config = encoders.EncoderConfig(
      type='any', any=teams.TeamsEncoderConfig(**fields))
  encoder = teams.get_encoder(config.any)
  ids = tf.constant([[3, 4, 5]])
  encoder([ids, tf.ones_like(ids), tf.zeros_like(ids)])
  layer_config = encoder.hidden_layers[0].get_config()
  assert layer_config['intermediate_activation'] is activations.gelu_exact
