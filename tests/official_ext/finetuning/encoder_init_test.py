"""Encoder resolution (our export, MG BERT checkpoints) and the fit check."""

import json
import os
import re

import pytest
import tensorflow as tf

from official.nlp.configs import encoders

from official_ext.finetuning import encoder_init
from official_ext.interchange import encoder_export
from tests.official_ext.finetuning import finetuning_fixtures as ffx


def _encoder(source):
  return encoders.build_encoder(source.encoder_config)


def test_resolves_our_export_in_three_spellings(tiny_export):
  by_dir = encoder_init.resolve(tiny_export)
  assert by_dir.checkpoint.endswith(os.path.join('encoder', 'ckpt-1'))
  assert by_dir.encoder_config.type == 'any'
  assert by_dir.fields['hidden_size'] == 64 and by_dir.size == 'small'
  assert by_dir.config_file == os.path.join(tiny_export, 'encoder_config.json')
  sub = encoder_init.resolve(os.path.join(tiny_export, 'encoder'))
  prefix = encoder_init.resolve(by_dir.checkpoint)
  assert sub.checkpoint == prefix.checkpoint == by_dir.checkpoint
  encoder = _encoder(by_dir)
  assert encoder_init.check_checkpoint_fits(by_dir.checkpoint, encoder,
                                            by_dir) == len(encoder.variables)


def test_other_size_names_variable_and_both_shapes(tiny_export):
  source = encoder_init.resolve(tiny_export)
  narrow = dict(source.fields, hidden_size=32, intermediate_size=64)
  other = encoder_init.EncoderSource(
      source.checkpoint, encoder_export.finetune_encoder_config(narrow),
      'narrow.json', narrow)
  with pytest.raises(encoder_init.EncoderInitError) as error:
    encoder_init.check_checkpoint_fits(source.checkpoint, _encoder(other),
                                       other)
  message = str(error.value)
  assert message.startswith(f'--init_checkpoint={source.checkpoint} does not '
                            f'fit the encoder built from narrow.json (')
  assert 'hidden_size=32' in message and 'variables differ in shape' in message
  # Keras numbers layer names per process: transformer, transformer_1, ...
  assert re.search(
      r'transformer(_\d+)?/self_attention/key/kernel:0 \(checkpoint key '
      r'encoder/layer_with_weights-1/_attention_layer/_key_dense/kernel/'
      r'\.ATTRIBUTES/VARIABLE_VALUE\): checkpoint shape \[64, 2, 32\], model '
      r'shape \[32, 2, 16\]', message)


@pytest.mark.parametrize('layers, message', [
    (3, 'model variables are not in the checkpoint'),
    (1, 'the checkpoint has objects the model lacks'),
])
def test_other_depth_is_caught(tiny_export, layers, message):
  source = encoder_init.resolve(tiny_export)
  fields = dict(source.fields, num_layers=layers)
  other = encoder_init.EncoderSource(
      source.checkpoint, encoder_export.finetune_encoder_config(fields),
      'deep.json', fields)
  with pytest.raises(encoder_init.EncoderInitError,
                     match=f'num_layers={layers}.*{message}'):
    encoder_init.check_checkpoint_fits(source.checkpoint, _encoder(other),
                                       other)


def test_model_garden_bert_checkpoint_with_legacy_config(tmp_path):
  bert = encoders.BertEncoderConfig(
      vocab_size=ffx.VOCAB_SIZE, hidden_size=32, num_layers=1,
      num_attention_heads=2, intermediate_size=64)
  encoder = encoders.build_encoder(encoders.EncoderConfig(type='bert',
                                                          bert=bert))
  prefix = tf.train.Checkpoint(encoder=encoder).save(
      str(tmp_path / 'bert_model.ckpt'))
  config_file = tmp_path / 'bert_config.json'
  config_file.write_text(json.dumps({
      'vocab_size': ffx.VOCAB_SIZE, 'hidden_size': 32,
      'num_hidden_layers': 1, 'num_attention_heads': 2,
      'intermediate_size': 64, 'hidden_act': 'gelu',
      'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1,
      'max_position_embeddings': 512, 'type_vocab_size': 2,
      'initializer_range': 0.02}))
  (tmp_path / 'vocab.txt').write_text('[PAD]\n[UNK]\n')
  source = encoder_init.resolve(str(tmp_path), str(config_file))
  assert source.checkpoint == prefix
  assert source.encoder_config.type == 'bert'
  assert source.vocab_file == str(tmp_path / 'vocab.txt')
  assert encoder_init.check_checkpoint_fits(prefix, _encoder(source), source)
  assert encoder_init.check_vocab(source.vocab_file, source) == 2


def test_unusable_inputs(tmp_path, tiny_export):
  with pytest.raises(encoder_init.EncoderInitError,
                     match='no encoder_config.json found there; pass'):
    encoder_init.resolve(str(tmp_path))
  bad = tmp_path / 'config.json'
  bad.write_text(json.dumps({'hidden_size': 8, 'num_heads': 2}))
  with pytest.raises(encoder_init.EncoderInitError,
                     match=r"unknown BertEncoderConfig fields \['num_heads'\]"):
    encoder_init.resolve('', str(bad))
  good = tmp_path / 'good.json'
  good.write_text(json.dumps({'hidden_size': 8, 'num_layers': 1}))
  with pytest.raises(encoder_init.EncoderInitError, match='no checkpoint in '
                     'this directory'):
    encoder_init.resolve(str(tmp_path), str(good))
  # A checkpoint without an `encoder` object.
  prefix = tf.train.Checkpoint(model=tf.Variable(1.0)).save(
      str(tmp_path / 'other' / 'ckpt'))
  source = encoder_init.resolve(tiny_export)
  with pytest.raises(encoder_init.EncoderInitError,
                     match=r"no `encoder` object .*"
                     r"\['model', 'save_counter'\]"):
    encoder_init.check_checkpoint_fits(prefix, _encoder(source), source)
  big_vocab = tmp_path / 'vocab.txt'
  big_vocab.write_text('\n'.join(f't{i}' for i in range(7100)))
  with pytest.raises(encoder_init.EncoderInitError,
                     match='has 7100 tokens but the encoder .* has '
                     'vocab_size=7027'):
    encoder_init.check_vocab(str(big_vocab), source)
  with pytest.raises(encoder_init.EncoderInitError, match='does not exist'):
    encoder_init.check_vocab(str(tmp_path / 'none.txt'), source)


def test_with_dropout_changes_only_the_dropout(tiny_export):
  source = encoder_init.resolve(tiny_export)
  changed = encoder_init.with_dropout(source, 0.25)
  assert changed.encoder_config.get().dropout_rate == 0.25
  assert changed.encoder_config.get().attention_dropout_rate == 0.25
  assert changed.describe()['dropout_rate'] == 0.25
  assert changed.checkpoint == source.checkpoint
  # The original is untouched and the restored shapes still fit.
  assert source.encoder_config.get().dropout_rate != 0.25
  encoder = _encoder(changed)
  assert encoder.get_config()['embedding_cfg']['dropout_rate'] == 0.25
  assert encoder_init.check_checkpoint_fits(changed.checkpoint, encoder,
                                            changed) == len(encoder.variables)
  with pytest.raises(encoder_init.EncoderInitError,
                     match=r'--dropout_rate must lie in \[0, 1\), got 1.5'):
    encoder_init.with_dropout(source, 1.5)


def test_sequence_fit_names_the_flag_and_both_numbers(tiny_export):
  source = encoder_init.resolve(tiny_export)
  assert encoder_init.max_positions(source) == 512
  assert encoder_init.check_sequence_fits(source, 512) == 512
  with pytest.raises(encoder_init.EncoderInitError, match=re.escape(
      "--max_seq_length=513 exceeds the encoder's 512 position embeddings "
      f'(max_position_embeddings in {source.config_file}); use '
      '--max_seq_length=512 or less')):
    encoder_init.check_sequence_fits(source, 513)
  # SQuAD windows: 64 - 60 - 3 = 1 context token at least; any stride >= 1
  # (a stride beyond the window gives windows that do not overlap).
  assert encoder_init.check_sequence_fits(source, 64, max_query_length=60,
                                          doc_stride=128) == 512
  with pytest.raises(encoder_init.EncoderInitError,
                     match=re.escape('--doc_stride=0 must be >= 1')):
    encoder_init.check_sequence_fits(source, 64, max_query_length=16,
                                     doc_stride=0)
  with pytest.raises(encoder_init.EncoderInitError,
                     match='--max_query_length=61 leaves no context tokens'):
    encoder_init.check_sequence_fits(source, 64, max_query_length=61)
  # A BERT config without the field: BertEncoderConfig's default, 512.
  bert = encoder_init.EncoderSource(
      '', encoders.EncoderConfig(type='bert'), 'bert.json', {})
  assert encoder_init.max_positions(bert) == 512


@pytest.mark.parametrize('encoder_type,pooler', [('bert', 'pooler_transform'),
                                                 ('any', 'cls_transform')])
def test_unused_pooler_is_not_trained(tiny_export, encoder_type, pooler):
  from official.nlp.modeling import models  # pylint: disable=g-import-not-at-top
  if encoder_type == 'bert':
    config = encoders.EncoderConfig(
        type='bert', bert=encoders.BertEncoderConfig(
            vocab_size=30, hidden_size=16, num_layers=1,
            num_attention_heads=2, intermediate_size=32))
  else:
    config = encoder_init.resolve(tiny_export).encoder_config
  expected = [f'{pooler}/kernel:0', f'{pooler}/bias:0']

  def trainable(model):
    return {v.name for v in model.trainable_variables}

  for build in (lambda e: models.BertClassifier(e, 2,
                                                use_encoder_pooler=False),
                lambda e: models.BertSpanLabeler(e)):
    model = build(encoders.build_encoder(config))
    variables = {v.name for v in model.variables}
    assert set(expected) <= trainable(model)
    assert encoder_init.freeze_unused_pooler(model) == expected
    assert not set(expected) & trainable(model)
    assert {v.name for v in model.variables} == variables  # still restored
  # A classifier that reads the pooled output keeps training its pooler.
  model = models.BertClassifier(encoders.build_encoder(config), 2,
                                use_encoder_pooler=True)
  assert encoder_init.freeze_unused_pooler(model) == []
  assert set(expected) <= trainable(model)
