"""The SavedModel export follows TF Hub's conventions (hub.KerasLayer loads it,
same outputs); TF Hub SavedModels (ours, Model Garden BertEncoderV2's) import
back to the same encoder, ours with its (exact GELU) activation."""

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from official.modeling import tf_utils
from official.nlp.modeling import networks

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import formats
from official_ext.interchange import model_garden_names
from official_ext.modeling import activations
from tests.official_ext.interchange import interchange_fixtures as fx

_NAMES = ('input_word_ids', 'input_mask', 'input_type_ids')


def test_export_loads_with_hub_keras_layer_and_imports_back(tmp_path):
  encoder_fields = dict(fx.fields(embedding_size=32),
                        hidden_activation=activations.GELU_EXACT)
  weights = fx.random_weights(encoder_fields)
  encoder = fx.encoder_with(weights, encoder_fields)
  vocab = fx.write_vocab(str(tmp_path / 'v.txt'))
  paths = export_layout.write(
      ew.EncoderWeights(encoder_fields, weights, 'random', vocab_file=vocab,
                        do_lower_case=True),
      str(tmp_path / 'export'), saved_model=True)
  layer = hub.KerasLayer(paths['saved_model'], trainable=False)
  inputs = dict(zip(_NAMES, fx.inputs()))
  served = layer(inputs)
  want = encoder(fx.inputs(), training=False)
  assert set(served) >= {'sequence_output', 'pooled_output', 'default',
                         'encoder_outputs'}
  for key in ('sequence_output', 'pooled_output'):
    assert np.abs(served[key] - want[key]).max() < 1e-5
  np.testing.assert_array_equal(served['default'], served['pooled_output'])
  # A Keras model built on the hub layer (the TF Hub way of fine-tuning).
  keras_inputs = {n: tf_keras.Input((None,), dtype=tf.int32, name=n)
                  for n in _NAMES}
  model = tf_keras.Model(keras_inputs,
                         layer(keras_inputs)['pooled_output'])
  assert np.abs(model(inputs) - want['pooled_output']).max() < 1e-5
  loaded = tf.saved_model.load(paths['saved_model'])
  assert bool(loaded.do_lower_case.numpy())
  assert loaded.hidden_activation.numpy().decode() == activations.GELU_EXACT
  assert loaded.vocab_file.asset_path.numpy().decode().endswith('vocab.txt')

  imported = formats.read(paths['saved_model'])  # auto: tfhub
  assert imported.fields['num_attention_heads'] == 2
  assert imported.fields['hidden_activation'] == activations.GELU_EXACT
  assert imported.do_lower_case is True
  rebuilt = fx.encoder_with(imported.weights, imported.fields)
  assert np.abs(fx.sequence_output(rebuilt) -
                fx.sequence_output(encoder)).max() < 1e-6


def test_model_garden_bert_encoder_saved_model_imports(tmp_path):
  encoder_fields = fx.fields(heads=4)
  mg_encoder = networks.BertEncoderV2(
      vocab_size=fx.VOCAB, hidden_size=64, num_layers=2,
      num_attention_heads=4, inner_dim=96,
      inner_activation=tf_utils.get_activation('gelu'),
      max_sequence_length=encoder_fields['max_position_embeddings'],
      type_vocab_size=2, output_dropout=0.0, attention_dropout=0.0)
  inputs = dict(zip(_NAMES, fx.inputs()))
  mg_encoder(inputs, training=False)
  # Trained magnitudes (Model Garden's 0.02 init hides a wrong GELU: 1e-6).
  rng = np.random.default_rng(3)
  for variable in mg_encoder.weights:
    value = rng.normal(0.0, 0.2, variable.shape)
    if 'gamma' in variable.name:
      value += 1.0
    variable.assign(value.astype(np.float32))
  want = mg_encoder(inputs, training=False)
  tf.saved_model.save(mg_encoder, str(tmp_path / 'hub'))
  imported = formats.read(str(tmp_path / 'hub'), 'tfhub')
  assert imported.fields['num_attention_heads'] == 4
  assert imported.fields['hidden_activation'] == activations.GELU_TANH
  assert imported.has_pooler
  assert set(imported.source_names.values()) >= {
      model_garden_names.strip_suffix(v.name) for v in mg_encoder.weights}
  rebuilt = fx.encoder_with(imported.weights, imported.fields)
  got = rebuilt(fx.inputs(), training=False)
  for key in ('sequence_output', 'pooled_output'):
    assert np.abs(got[key] - want[key]).max() < 1e-5
  # The check can fail: the exact GELU or 2 heads would miss by far more.
  for wrong in (dict(hidden_activation=activations.GELU_EXACT),
                dict(num_attention_heads=2)):
    other = fx.encoder_with(imported.weights, dict(imported.fields, **wrong))
    assert np.abs(other(fx.inputs(), training=False)['sequence_output'] -
                  want['sequence_output']).max() > 1e-4, wrong
