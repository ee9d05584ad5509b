"""The training stream is a function of the step: resuming at step k gives
the batches an uninterrupted stream gives from step k on."""
import dataclasses

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


def _contexts(pipelines):
  return [tf.distribute.InputContext(num_input_pipelines=pipelines,
                                     input_pipeline_id=i,
                                     num_replicas_in_sync=pipelines)
          for i in range(pipelines)]


def _rows(batch):
  return [r.tobytes() for r in batch['input_word_ids']]


def test_whole_files_per_pipeline_no_record_read_twice_in_a_pass(data):
  # 3 shards, 2 pipelines (workers): files 0 and 2 vs file 1.
  assert len(data.files) == 3
  sizes = [int(tf.data.TFRecordDataset(f).reduce(0, lambda n, _: n + 1))
           for f in data.files]
  everything = [r.numpy() for f in data.files
                for r in tf.data.TFRecordDataset(f)]
  # Read file by file, unshuffled: a pass is then a prefix of the stream.
  config = data.config.replace(shuffle_buffer_size=1, cycle_length=1)
  seen = []
  for context, own in zip(_contexts(2), ([0, 2], [1])):
    one_pass = sum(sizes[i] for i in own)
    records = train_input._records(data.files, config, context)  # pylint: disable=protected-access
    seen.append([r.numpy() for r in records.take(one_pass)])
    assert len(set(seen[-1])) == one_pass  # No repeat within the pass.
  assert not set(seen[0]) & set(seen[1])
  assert sorted(seen[0] + seen[1]) == sorted(everything)


def test_record_split_pipelines_feed_the_one_pipeline_global_batch(tmp_path):
  # One file, 2 pipelines: records are split; the two per-worker batches of
  # each step together are the single pipeline's global batch, across the
  # epoch boundary (32 records, batch 8: 4 steps an epoch), and resume.
  from tests.official_ext.trainer import trainer_fixtures as fx  # pylint: disable=g-import-not-at-top
  path = fx.write_uniform_records(str(tmp_path / 'one.tfrecord'), 32, 16, 3,
                                  7027)
  data = data_setup.pretrain_data(
      input_path=path, seq_length=16, max_predictions_per_seq=3,
      vocab_size=7027, global_batch_size=8, shuffle_buffer_size=16, seed=3)
  single = _batches(data, 0, 6)
  parts = [_batches(data, 0, 6, c) for c in _contexts(2)]
  for step in range(6):
    halves = [_rows(p[step]) for p in parts]
    assert len(halves[0]) == len(halves[1]) == 4
    assert sorted(halves[0] + halves[1]) == sorted(_rows(single[step]))
  # Without a record shuffle, the first 4 steps are one pass: each record
  # reaches exactly one worker, once.
  for context, part in zip(_contexts(2), parts):
    _assert_same(part[3:], _batches(data, 3, 3, context))
  in_order = dataclasses.replace(data, config=data.config.replace(
      shuffle_buffer_size=1))
  one_pass = [r for c in _contexts(2) for b in _batches(in_order, 0, 4, c)
              for r in _rows(b)]
  assert len(one_pass) == len(set(one_pass)) == 32
