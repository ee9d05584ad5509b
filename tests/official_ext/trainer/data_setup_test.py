"""Data resolution: manifest, shards, vocab; each error names its culprit."""
import os
import re
import shutil

import pytest
import tensorflow as tf

from official_ext.trainer import data_setup
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from tests.official_ext.trainer import trainer_fixtures as fx

pretrain_data = data_setup.pretrain_data


def test_manifest_gives_files_shapes_and_vocab(tiny_manifest):
  data = pretrain_data(manifest=tiny_manifest, global_batch_size=8)
  assert [os.path.basename(f) for f in data.files] == [
      f'pretrain-0000{i}-of-00003.tfrecord' for i in range(3)]
  assert data.vocab_size == 7027 and data.vocab_file == fx.VOCAB
  assert (data.config.seq_length, data.config.max_predictions_per_seq) == (
      64, 10)
  assert data.config.input_path == ','.join(data.files)


def test_missing_manifest(tmp_path):
  path = str(tmp_path / 'manifest.json')
  with pytest.raises(data_setup.DataError, match=f'{path!r} does not exist'):
    pretrain_data(manifest=path)


def test_missing_shard_is_named(tiny_manifest, tmp_path):
  copy = fx.manifest_copy(tiny_manifest, str(tmp_path / 'd'))
  os.remove(os.path.join(os.path.dirname(copy),
                         'pretrain-00001-of-00003.tfrecord'))
  with pytest.raises(data_setup.DataError,
                     match=r"pretrain-00001-of-00003.tfrecord' listed in"):
    pretrain_data(manifest=copy)


def test_missing_vocab_is_named(tiny_manifest, tmp_path):
  copy = fx.manifest_copy(tiny_manifest, str(tmp_path / 'd'),
                          vocab__path='gone/vocab.txt')
  with pytest.raises(data_setup.DataError,
                     match=r"vocab file 'gone/vocab.txt' named by .* does not"
                     r' exist'):
    pretrain_data(manifest=copy)


def test_relative_vocab_is_found_beside_the_data(tiny_manifest, tmp_path):
  out = tmp_path / 'build'
  copy = fx.manifest_copy(tiny_manifest, str(out / 'data'),
                          vocab__path='elsewhere/vocab.txt')
  shutil.copy(fx.VOCAB, out / 'vocab.txt')
  assert pretrain_data(manifest=copy).vocab_file == str(out / 'vocab.txt')


def test_other_vocab_than_the_records_were_built_with(tiny_manifest,
                                                      tmp_path):
  other = tmp_path / 'vocab.txt'
  lines = open(fx.VOCAB).read().splitlines()
  other.write_text('\n'.join(lines[:-1]) + '\n')
  with pytest.raises(data_setup.DataError,
                     match=r'vocab.txt.*7026 tokens.* is not the vocab'):
    pretrain_data(manifest=tiny_manifest, vocab_file=str(other))


def test_bindings_must_agree_with_the_manifest(tiny_manifest):
  with pytest.raises(data_setup.DataError,
                     match=r'pretrain_data.seq_length=128 disagrees'):
    pretrain_data(manifest=tiny_manifest, seq_length=128)
  with pytest.raises(data_setup.DataError,
                     match=r'pretrain_data.vocab_size=30522 disagrees'):
    pretrain_data(manifest=tiny_manifest, vocab_size=30522)
  with pytest.raises(data_setup.DataError, match=r"\['cap'\]"):
    pretrain_data(manifest=tiny_manifest, aux_labels=('cap',))


def test_input_path_without_manifest(tiny_manifest, tmp_path):
  pattern = os.path.join(os.path.dirname(tiny_manifest), '*.tfrecord')
  with pytest.raises(data_setup.DataError, match='needs pretrain_data'):
    pretrain_data(input_path=pattern)
  with pytest.raises(data_setup.DataError, match='vocab size .* is unknown'):
    pretrain_data(input_path=pattern, seq_length=64,
                  max_predictions_per_seq=10)
  data = pretrain_data(input_path=pattern, seq_length=64,
                       max_predictions_per_seq=10, vocab_size=7027)
  assert len(data.files) == 3
  missing = str(tmp_path / 'none-*.tfrecord')
  with pytest.raises(data_setup.DataError,
                     match=re.escape(f'pattern {missing!r}') + '.*matches'):
    pretrain_data(input_path=missing, seq_length=64,
                  max_predictions_per_seq=10, vocab_size=7027)


def test_no_data_at_all():
  with pytest.raises(data_setup.DataError, match='--data_manifest'):
    pretrain_data()


def test_model_vocab_binding_must_match_the_data(tiny_manifest):
  fx.parse('gin/teams_tiny.gin', f'DATA_MANIFEST = {tiny_manifest!r}',
           'teams_model.vocab_size = 30522')
  exp = gin_setup.build_experiment()
  with pytest.raises(runner.BuildError,
                     match='teams_model.vocab_size=30522 but the data vocab '
                     'has 7027 tokens'):
    runner.build_phase(runner.build_trainer, exp,
                       tf.distribute.get_strategy())


def test_records_longer_than_the_position_table(tiny_manifest):
  fx.parse('gin/electra_tiny.gin', f'DATA_MANIFEST = {tiny_manifest!r}',
           'MAX_SEQ_LENGTH = 32')
  exp = gin_setup.build_experiment()
  with pytest.raises(runner.BuildError,
                     match='records hold 64 tokens but the generator has 32'):
    runner.build_phase(runner.build_trainer, exp,
                       tf.distribute.get_strategy())
