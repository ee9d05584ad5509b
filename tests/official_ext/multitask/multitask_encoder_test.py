"""The multi-task encoder: fresh or restored, length checks, export."""

import dataclasses
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from official.nlp.configs import encoders
from official_ext.finetuning import encoder_init
from official_ext.multitask import multitask_encoder
from official_ext.multitask import task_spec
from tests.official_ext.multitask import multitask_fixtures as mfx


class _Model:
  """What export_best reads: `.encoder` and `.heads`."""

  def __init__(self, encoder):
    self.encoder = encoder
    self.heads = {'sst2': tf.keras.layers.Dense(2)}
    self.heads['sst2'](tf.zeros((1, 4)))


def _weights(encoder):
  return [v.numpy() for v in encoder.trainable_variables]


def test_fresh_encoder_has_the_preset_shape():
  encoder, source = multitask_encoder.build_encoder('', 'tiny', 123, 48, 0.0)
  assert source.checkpoint == ''
  assert (source.fields['num_layers'], source.fields['hidden_size'],
          source.fields['vocab_size'],
          source.fields['max_position_embeddings']) == (2, 64, 123, 48)
  outputs = encoder([tf.ones((2, 5), tf.int32)] * 3)
  assert outputs['sequence_output'].shape == (2, 5, 64)


def test_vocab_size_counts_non_empty_lines(tmp_path):
  path = tmp_path / 'vocab.txt'
  path.write_text('[PAD]\n[UNK]\n\nthe\n')
  assert multitask_encoder.vocab_size(str(path)) == 3


def test_export_then_restore_round_trips(tmp_path):
  encoder, source = multitask_encoder.build_encoder('', 'tiny', 7027, 32, 0.0)
  encoder([tf.zeros((1, 2), tf.int32)] * 3)
  export = str(tmp_path / 'export')
  paths = multitask_encoder.export_best(_Model(encoder), source, export)
  assert os.path.exists(os.path.join(export, 'encoder_config.json'))
  assert tf.train.latest_checkpoint(os.path.dirname(paths['heads']))
  restored, restored_source = multitask_encoder.build_encoder(
      export, 'ignored', 0, 0, 0.1)
  multitask_encoder.restore_encoder(restored, restored_source, mfx.VOCAB_FILE)
  for a, b in zip(_weights(encoder), _weights(restored)):
    np.testing.assert_array_equal(a, b)
  # The run's dropout replaces the export's.
  assert restored_source.encoder_config.get().dropout_rate == 0.0
  assert restored.get_config()['embedding_cfg']['dropout_rate'] == 0.1


def test_bert_encoders_export_with_their_own_config(tmp_path):
  fields = dataclasses.asdict(encoders.BertEncoderConfig(
      vocab_size=50, hidden_size=32, num_layers=1, num_attention_heads=2,
      intermediate_size=64, max_position_embeddings=16))
  config = encoders.EncoderConfig(type='bert',
                                  bert=encoders.BertEncoderConfig(**fields))
  encoder = encoders.build_encoder(config)
  encoder([tf.zeros((1, 2), tf.int32)] * 3)
  source = encoder_init.EncoderSource('', config, '', fields)
  export = str(tmp_path / 'export')
  paths = multitask_encoder.export_best(_Model(encoder), source, export)
  with open(paths['config']) as f:
    assert json.load(f)['hidden_size'] == 32
  resolved = encoder_init.resolve(os.path.join(export, 'encoder'),
                                  paths['config'], 'bert')
  assert resolved.encoder_config.type == 'bert'


def test_a_task_longer_than_the_positions_is_named():
  _, source = multitask_encoder.build_encoder('', 'tiny', 100, 32, 0.0)
  spec = dataclasses.replace(mfx.sst2_spec(), max_seq_length=64)
  with pytest.raises(task_spec.TaskSpecError,
                     match="task 'sst2': max_seq_length=64 exceeds the "
                           "encoder's 32 position embeddings"):
    multitask_encoder.check_lengths([spec], source)
