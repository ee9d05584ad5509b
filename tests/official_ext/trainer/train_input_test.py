"""The training stream is a function of the step: resuming at step k gives
the batches an uninterrupted stream gives from step k on."""
import numpy as np
import pytest
import tensorflow as tf

from official_ext.trainer import data_setup
from official_ext.trainer import train_input


def _batches(data, start_step, count, input_context=None):
  ds = train_input.training_dataset_fn(data, start_step)(input_context)
  return [{k: v.numpy() for k, v in b.items()} for b in ds.take(count)]


def _assert_same(a, b):
  assert len(a) == len(b)
  for x, y in zip(a, b):
    assert sorted(x) == sorted(y)
    for key in x:
      np.testing.assert_array_equal(x[key], y[key], err_msg=key)


@pytest.fixture(name='data')
def fixture_data(tiny_manifest):
  # 64 records, batch 8: 8 steps an epoch; 20 steps cross two epochs.
  return data_setup.pretrain_data(manifest=tiny_manifest, global_batch_size=8,
                                  shuffle_buffer_size=16, seed=3)


def test_resumed_stream_continues_the_uninterrupted_one(data):
  full = _batches(data, 0, 20)
  _assert_same(full[13:], _batches(data, 13, 7))
  assert full[0]['input_word_ids'].shape == (8, 64)
  # Deterministic, and reshuffled each epoch.
  _assert_same(full[:3], _batches(data, 0, 3))
  first_epoch = np.concatenate([b['input_word_ids'] for b in full[:8]])
  second_epoch = np.concatenate([b['input_word_ids'] for b in full[8:16]])
  assert not np.array_equal(first_epoch, second_epoch)


def test_each_input_pipeline_skips_its_share(data):
  contexts = [tf.distribute.InputContext(num_input_pipelines=2,
                                         input_pipeline_id=i,
                                         num_replicas_in_sync=2)
              for i in range(2)]
  for context in contexts:
    full = _batches(data, 0, 10, context)
    assert full[0]['input_word_ids'].shape == (4, 64)  # per replica
    _assert_same(full[6:], _batches(data, 6, 4, context))
  assert train_input.records_to_skip(6, 8, contexts[0]) == 24
  with pytest.raises(ValueError, match='not divisible'):
    train_input.records_to_skip(1, 9, contexts[0])


def test_stream_carries_every_aux_label_and_pair_halves(tmp_path):
  """The positioned stream yields what the reader does: every aux label
  of the manifest, and consecutive pairs as 2B sequences."""
  # pylint: disable=g-import-not-at-top
  import os
  from official_ext.data import pretrain_reader
  from tests.official_ext.trainer import trainer_fixtures as fx
  from tests.tfrecords_tools import builder_fixtures as bfx
  from tfrecords_tools import build_config
  from tfrecords_tools import create_pretraining_data
  # pylint: enable=g-import-not-at-top
  corpus = bfx.write_corpus(str(tmp_path / 'c.txt'), num_docs=4,
                            lines_per_doc=12)
  config = build_config.BuildConfig(
      max_seq_length=64, max_predictions_per_seq=10, dupe_factor=1,
      pair_mode='consecutive', aux_labels=('tf', 'cap'), num_shards=1,
      docs_per_chunk=4)
  create_pretraining_data.run(config, corpus, fx.VOCAB, str(tmp_path / 'd'),
                              num_workers=1)
  data = data_setup.pretrain_data(
      manifest=os.path.join(str(tmp_path / 'd'), 'manifest.json'),
      global_batch_size=4, shuffle_buffer_size=4, seed=0,
      aux_labels=('tf', 'cap'))
  batch = _batches(data, 0, 1)[0]
  assert set(batch) == pretrain_reader.batch_keys(data.config)
  assert {'tf_labels', 'cap_labels', 'aux_token_weights'} <= set(batch)
  assert batch['input_word_ids'].shape == (8, 64)  # 4 pairs -> 8 sequences
