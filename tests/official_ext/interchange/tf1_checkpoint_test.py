"""A TF1 BERT checkpoint imported equals Model Garden's converter result; TF1
ELECTRA discriminator (narrow embedding, projection bias) and generator."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.legacy.bert import configs
from official.modeling import tf_utils
from official.nlp.modeling import networks
from official.nlp.tools import tf2_bert_encoder_checkpoint_converter as mg

from official_ext import import_checkpoint
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import model_garden_names
from official_ext.interchange import tf1_checkpoint
from tests.official_ext.interchange import interchange_fixtures as fx


def _bert_config(encoder_fields):
  return {'vocab_size': encoder_fields['vocab_size'],
          'hidden_size': encoder_fields['hidden_size'],
          'num_hidden_layers': encoder_fields['num_layers'],
          'num_attention_heads': encoder_fields['num_attention_heads'],
          'intermediate_size': encoder_fields['intermediate_size'],
          'hidden_act': 'gelu', 'hidden_dropout_prob': 0.0,
          'attention_probs_dropout_prob': 0.0,
          'max_position_embeddings':
              encoder_fields['max_position_embeddings'],
          'type_vocab_size': 2, 'initializer_range': 0.02}


def test_tf1_bert_import_equals_model_garden_converter(tmp_path):
  encoder_fields = fx.fields(heads=4)
  weights = fx.random_weights(encoder_fields)
  names = fx.tf1_names('bert', 2)
  named = {names[k]: v for k, v in weights.items()}
  rng = np.random.default_rng(3)  # Optimizer slots and the MLM head.
  named['bert/encoder/layer_0/output/dense/kernel/adam_m'] = rng.normal(
      size=(96, 64)).astype(np.float32)
  named['cls/predictions/output_bias'] = np.zeros(fx.VOCAB, np.float32)
  named['global_step'] = np.int64(1000)
  src = str(tmp_path / 'bert' / 'bert_model.ckpt')
  fx.write_tf1_checkpoint(src, named)
  with open(tmp_path / 'bert' / 'bert_config.json', 'w') as f:
    json.dump(_bert_config(encoder_fields), f)
  fx.write_vocab(str(tmp_path / 'bert' / 'vocab.txt'))

  results = import_checkpoint.import_checkpoint(
      str(tmp_path / 'bert'), str(tmp_path / 'ours'))
  imported, paths = results['discriminator']
  assert imported.fields['num_attention_heads'] == 4
  assert paths['initialised'] == []
  ours = export_layout.read(str(tmp_path / 'ours'))
  assert os.path.exists(tmp_path / 'ours' / 'vocab.txt')

  # Model Garden's own converter: TF1 -> BertEncoder checkpoint.
  bert_config = configs.BertConfig.from_dict(_bert_config(encoder_fields))
  mg.convert_checkpoint(bert_config, str(tmp_path / 'mg' / 'ckpt'), src,
                        checkpoint_model_name='encoder')
  theirs = mg._create_bert_model(  # pylint: disable=protected-access
      bert_config)
  theirs(fx.inputs())
  tf.train.Checkpoint(encoder=theirs).read(tf.train.latest_checkpoint(
      str(tmp_path / 'mg'))).assert_existing_objects_matched()
  encoder = fx.encoder_with(ours.weights, ours.fields)
  want_sequence, want_pooled = theirs(fx.inputs(), training=False)[:2]
  got = encoder(fx.inputs(), training=False)
  assert np.abs(got['sequence_output'] - want_sequence).max() < 1e-5
  assert np.abs(got['pooled_output'] - want_pooled).max() < 1e-5


def _electra_checkpoint(tmp_path):
  disc_fields = fx.fields(embedding_size=32)
  gen_fields = fx.fields(embedding_size=32, hidden_size=16, heads=1,
                         intermediate_size=24, num_layers=2)
  disc = fx.random_weights(disc_fields, pooler=False, projection_bias=True)
  gen = fx.random_weights(gen_fields, pooler=False, projection_bias=True,
                          seed=1)
  named = {n: disc[k] for k, n in fx.tf1_names(
      'electra', 2, pooler=False, projection=True).items()}
  named.update({n: gen[k] for k, n in fx.tf1_names(
      'generator', 2, pooler=False, projection=True).items()
                if not k.startswith('embeddings/') or 'projection' in k})
  named['discriminator_predictions/dense/kernel'] = np.zeros((64, 64),
                                                             np.float32)
  named['generator_predictions/output_bias'] = np.zeros(fx.VOCAB, np.float32)
  fx.write_tf1_checkpoint(str(tmp_path / 'electra' / 'model.ckpt-100'),
                          named)
  with open(tmp_path / 'electra' / 'checkpoint', 'w') as f:
    f.write('model_checkpoint_path: "model.ckpt-100"\n')
  return disc_fields, disc, gen_fields, gen


def _reference_electra(fields, weights, tied_embeddings=None):
  """Model Garden's BertEncoder (its projection has a bias) with the
  ELECTRA weights: what the TF1 ELECTRA graph computes."""
  encoder = networks.BertEncoderV2(
      vocab_size=fields['vocab_size'], hidden_size=fields['hidden_size'],
      num_layers=fields['num_layers'],
      num_attention_heads=fields['num_attention_heads'],
      inner_dim=fields['intermediate_size'],
      inner_activation=tf_utils.get_activation('gelu'),
      output_dropout=0.0, attention_dropout=0.0,
      max_sequence_length=fields['max_position_embeddings'],
      type_vocab_size=fields['type_vocab_size'],
      embedding_width=fields['embedding_size'],
      initializer=tf_keras.initializers.TruncatedNormal(stddev=0.02))
  encoder(_as_dict(fx.inputs()))
  weights = dict(weights, **(tied_embeddings or {}))
  for variable in encoder.weights:
    key = model_garden_names.bert_encoder_v2_key(variable.name)
    if key in weights:
      variable.assign(np.reshape(weights[key], variable.shape))
  return encoder


def _as_dict(inputs):
  return dict(zip(('input_word_ids', 'input_mask', 'input_type_ids'),
                  inputs))


def test_tf1_electra_discriminator_and_generator(tmp_path):
  disc_fields, disc, gen_fields, gen = _electra_checkpoint(tmp_path)
  results = import_checkpoint.import_checkpoint(
      str(tmp_path / 'electra'), str(tmp_path / 'ours'), generator=True)
  assert results['discriminator'][0].fields['num_attention_heads'] == 1
  assert results['discriminator'][1]['initialised'] == [
      'cls_transform/bias:0', 'cls_transform/kernel:0']  # no pooler
  assert results['generator'][0].fields['hidden_size'] == 16
  for role, fields, weights, tied in (
      ('ours', disc_fields, disc, None),
      ('ours/generator', gen_fields, gen,
       {k: v for k, v in disc.items() if k.startswith('embeddings/') and
        'projection' not in k})):
    imported = export_layout.read(str(tmp_path / role))
    encoder = fx.encoder_with(imported.weights, imported.fields)
    fields = dict(fields, num_attention_heads=imported.fields[
        'num_attention_heads'])
    reference = _reference_electra(fields, weights, tied)
    want = reference(_as_dict(fx.inputs()), training=False)
    diff = np.abs(fx.sequence_output(encoder) -
                  want['sequence_output'].numpy()).max()
    assert diff < 1e-5, role


def test_generator_of_a_bert_checkpoint_is_refused(tmp_path):
  encoder_fields = fx.fields()
  weights = fx.random_weights(encoder_fields)
  names = fx.tf1_names('bert', 2)
  fx.write_tf1_checkpoint(str(tmp_path / 'b' / 'model.ckpt'),
                          {names[k]: v for k, v in weights.items()})
  assert tf1_checkpoint.detect(str(tmp_path / 'b')) == 'tf1_bert'
  with pytest.raises(ew.InterchangeError, match='--generator: format '
                     'tf1_bert holds no ELECTRA generator'):
    import_checkpoint.import_checkpoint(str(tmp_path / 'b'),
                                        str(tmp_path / 'o'), generator=True)
