"""Official SuperGLUE JSONL layout -> TFRecords; bad files name file:line."""

import json

import numpy as np
import pytest
import tensorflow as tf

from official_ext.finetuning import superglue_data
from official_ext.finetuning import superglue_tasks
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.finetuning import superglue_fixtures as sfx

T = superglue_tasks.SUPERGLUE_TASKS


def _records(path):
  return [tf.train.Example.FromString(r.numpy())
          for r in tf.data.TFRecordDataset(path)]


def _prepare(task, data_dir, cache, **kwargs):
  return superglue_data.prepare(task, str(data_dir), ffx.VOCAB_FILE,
                                str(cache), max_seq_length=48, **kwargs)


def test_layout_counts_and_cache(tmp_path):
  sfx.write_task(tmp_path / 'data', 'COPA')
  prepared = _prepare(T['copa'], tmp_path / 'data', tmp_path / 'c',
                      predict_test=True)
  # Two items (choices) per record: train 8, val 6, test 4 records.
  assert (prepared.num_train, prepared.num_eval, prepared.num_test) == (
      16, {'': 12}, 8)
  meta = superglue_data.load_meta(prepared.eval_meta[''])
  assert meta['items'][:2] == [{'idx': 0, 'choice': 0},
                               {'idx': 0, 'choice': 1}]
  assert sorted(set(meta['labels'])) == ['0', '1']
  examples = _records(prepared.eval_paths[''])
  assert [e.features.feature['example_id'].int64_list.value[0]
          for e in examples] == list(range(12))
  test_meta = superglue_data.load_meta(prepared.test_meta)
  assert set(test_meta['labels']) == {None}
  again = _prepare(T['copa'], tmp_path / 'data', tmp_path / 'c',
                   predict_test=True)
  assert again == prepared


def test_diagnostics_train_on_rte(tmp_path):
  sfx.write_task(tmp_path / 'data', 'RTE')
  sfx.write_task(tmp_path / 'data', 'AX-b')
  prepared = _prepare(T['axb'], tmp_path / 'data', tmp_path / 'c',
                      predict_test=True)
  assert prepared.num_train == 8 and prepared.num_eval == {'': 6}
  assert prepared.num_test == 6  # AX-b.jsonl is both: labelled, submitted


def test_wic_folds_the_word_segment_into_segment_b(tmp_path):
  sfx.write_task(tmp_path / 'data', 'WiC')
  prepared = _prepare(T['wic'], tmp_path / 'data', tmp_path / 'c')
  segments = np.array(_records(prepared.train_path)[0].features
                      .feature['segment_ids'].int64_list.value)
  assert segments.max() == 1
  # [CLS] s1 [SEP] | s2 [SEP] word [SEP]: three [SEP]s.
  ids = _records(prepared.train_path)[0].features.feature['input_ids']
  assert list(ids.int64_list.value).count(3) == 3  # [SEP] id is 3


def test_bad_line_names_file_line_and_key(tmp_path):
  folder = sfx.write_task(tmp_path / 'data', 'CB')
  path = f'{folder}/train.jsonl'
  with open(path) as f:
    lines = f.read().splitlines()
  record = json.loads(lines[2])
  del record['hypothesis']
  lines[2] = json.dumps(record)
  lines[4] = '{not json'
  with open(path, 'w') as f:
    f.write('\n'.join(lines) + '\n')
  with pytest.raises(superglue_data.SuperGlueDataError) as e:
    _prepare(T['cb'], tmp_path / 'data', tmp_path / 'c')
  assert str(e.value) == f"{path}:3: missing key 'hypothesis'"
  prepared = _prepare(T['cb'], tmp_path / 'data', tmp_path / 'c',
                      skip_bad_rows=True)
  assert prepared.num_train == 6
  assert prepared.skipped[0] == f"{path}:3: missing key 'hypothesis'"
  assert prepared.skipped[1].startswith(f'{path}:5: not a JSON line (')


def test_missing_files_say_where_they_belong(tmp_path):
  folder = sfx.write_task(tmp_path / 'data', 'BoolQ')
  with pytest.raises(superglue_data.SuperGlueDataError,
                     match=r'SuperGLUE wsc: no data. Put the official JSONL '
                     r'files \(train.jsonl, val.jsonl, test.jsonl\) in '):
    _prepare(T['wsc'], tmp_path / 'data', tmp_path / 'c')
  tf.io.gfile.remove(f'{folder}/val.jsonl')
  with pytest.raises(superglue_data.SuperGlueDataError,
                     match=rf'{folder}/val.jsonl \(dev\) is missing'):
    _prepare(T['boolq'], tmp_path / 'data', tmp_path / 'c')
