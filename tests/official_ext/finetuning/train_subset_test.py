"""Fixed class-balanced training subsets (`--max_train_examples`)."""

import collections
import os

import pytest
import tensorflow as tf

from official_ext.finetuning import glue_data
from official_ext.finetuning import train_subset


def test_quotas_are_even_and_small_groups_give_all_they_have():
  assert train_subset.quotas({'a': 6, 'b': 6}, 5) == {'a': 2, 'b': 3}
  assert train_subset.quotas({'a': 6, 'b': 2}, 6) == {'b': 2, 'a': 4}
  assert train_subset.quotas({'x': 1, 'y': 1, 'z': 10}, 12) == {
      'x': 1, 'y': 1, 'z': 10}
  assert train_subset.quotas({'a': 5, 'b': 5, 'c': 5}, 7) == {
      'a': 2, 'b': 2, 'c': 3}
  assert train_subset.quotas({None: 9}, 4) == {None: 4}  # regression


def test_select_is_balanced_sorted_and_fixed_by_its_seed():
  labels = ['1'] * 30 + ['0'] * 10
  picked = train_subset.select(labels, 10, seed=0)
  assert picked == sorted(picked) and len(set(picked)) == 10
  assert collections.Counter(labels[i] for i in picked) == {'0': 5, '1': 5}
  assert train_subset.select(labels, 10, seed=0) == picked  # reproducible
  assert train_subset.select(labels, 10, seed=1) != picked
  # 24 of 40: '0' gives all its 10, '1' the other 14.
  big = train_subset.select(labels, 24, seed=0)
  assert collections.Counter(labels[i] for i in big) == {'0': 10, '1': 14}
  assert train_subset.select(labels, 40) == list(range(40))


@pytest.mark.parametrize('size,message', [
    (0, '--max_train_examples=0: must be at least 1'),
    (-3, '--max_train_examples=-3: must be at least 1'),
    (41, '--max_train_examples=41: the task has only 40 training examples')])
def test_sizes_outside_the_set_are_one_line_errors(size, message):
  with pytest.raises(train_subset.SubsetError) as error:
    train_subset.select(['a'] * 40, size)
  assert str(error.value) == message


def _write_records(path, labels, kind='int'):
  with tf.io.TFRecordWriter(path) as writer:
    for i, label in enumerate(labels):
      feature = {'example_id': tf.train.Feature(
          int64_list=tf.train.Int64List(value=[i]))}
      if kind == 'int':
        feature['label_ids'] = tf.train.Feature(
            int64_list=tf.train.Int64List(value=[label]))
      else:
        feature['label_ids'] = tf.train.Feature(
            float_list=tf.train.FloatList(value=[label]))
      writer.write(tf.train.Example(features=tf.train.Features(
          feature=feature)).SerializeToString())


def _read(path):
  out = []
  for raw in tf.data.TFRecordDataset(path):
    example = tf.train.Example.FromString(raw.numpy())
    out.append(example.features.feature['example_id'].int64_list.value[0])
  return out


def test_apply_writes_the_subset_once_and_records_it(tmp_path):
  train = str(tmp_path / 'train.tf_record')
  labels = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1]  # 3 zeros, 7 ones
  _write_records(train, labels)
  prepared = glue_data.PreparedData(train_path=train, num_train=10,
                                    eval_paths={}, num_eval={}, source='t')
  subset = train_subset.apply(prepared, 4, seed=0)
  assert subset.train_path == str(tmp_path / 'train-n4-seed0.tf_record')
  assert subset.num_train == 4 and prepared.num_train == 10
  assert subset.train_subset == {'size': 4, 'seed': 0, 'of': 10,
                                 'labels': {'0': 2, '1': 2}}
  ids = _read(subset.train_path)
  assert ids == train_subset.select(labels, 4, 0)  # source order
  assert sorted(labels[i] for i in ids) == [0, 0, 1, 1]
  again = train_subset.apply(prepared, 4, seed=0)
  assert _read(again.train_path) == ids
  # A written subset is reused without reading the whole training set.
  os.rename(train, train + '.moved')
  assert train_subset.apply(prepared, 4, seed=0) == subset
  os.rename(train + '.moved', train)
  assert _read(train_subset.apply(prepared, 4, seed=5).train_path) != ids
  with pytest.raises(train_subset.SubsetError, match='only 10 training'):
    train_subset.apply(prepared, 11)


def test_apply_draws_regression_sets_without_groups(tmp_path):
  train = str(tmp_path / 'train.tf_record')
  _write_records(train, [0.5, 1.0, 4.5, 2.25, 3.0], kind='float')
  prepared = glue_data.PreparedData(train_path=train, num_train=5,
                                    eval_paths={}, num_eval={}, source='t')
  subset = train_subset.apply(prepared, 3, seed=2)
  assert subset.train_subset['labels'] == {'None': 3}
  assert len(_read(subset.train_path)) == 3
