"""TFDS super_glue rows -> records of the official JSONL shape."""

import json

import pytest

from official_ext.finetuning import superglue_data
from official_ext.finetuning import superglue_readers
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import superglue_tfds
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.finetuning import superglue_fixtures as sfx

T = superglue_tasks.SUPERGLUE_TASKS


def test_flat_rows_decode_class_names_and_bools():
  rows = [{'question': b'q', 'passage': b'p', 'idx': 2, 'label': 1},
          {'question': b'q2', 'passage': b'p2', 'idx': 3, 'label': -1}]
  records = superglue_tfds.rows_to_records(T['boolq'], rows,
                                           ['False', 'True'])
  assert records == [{'idx': 2, 'question': 'q', 'passage': 'p',
                      'label': True},
                     {'idx': 3, 'question': 'q2', 'passage': 'p2'}]
  items, _ = superglue_readers.read(T['boolq'], records[0], True)
  assert items[0].label == 'True'
  cb = superglue_tfds.rows_to_records(
      T['cb'], [{'premise': b'a', 'hypothesis': b'b', 'idx': 0, 'label': 2}],
      ['entailment', 'contradiction', 'neutral'])
  assert cb[0]['label'] == 'neutral'


def test_wsc_and_copa_rows():
  wsc = superglue_tfds.rows_to_records(T['wsc'], [{
      'text': b'Mark saw him', 'span1_index': 0, 'span1_text': b'Mark',
      'span2_index': 2, 'span2_text': b'him', 'idx': 0, 'label': 1}],
                                       ['False', 'True'])
  assert wsc == [{'idx': 0, 'text': 'Mark saw him', 'label': True,
                  'target': {'span1_index': 0, 'span1_text': 'Mark',
                             'span2_index': 2, 'span2_text': 'him'}}]
  copa = superglue_tfds.rows_to_records(T['copa'], [{
      'premise': b'p', 'choice1': b'a', 'choice2': b'b', 'question': b'cause',
      'idx': 1, 'label': 1}], ['choice1', 'choice2'])
  assert superglue_readers.read(T['copa'], copa[0], True)[0][1].label == '1'


def test_multirc_and_record_rows_are_regrouped():
  rows = [{'paragraph': b'P', 'question': b'Q0', 'answer': b'a',
           'idx': {'paragraph': 0, 'question': 0, 'answer': 0}, 'label': 1},
          {'paragraph': b'P', 'question': b'Q0', 'answer': b'b',
           'idx': {'paragraph': 0, 'question': 0, 'answer': 1}, 'label': 0},
          {'paragraph': b'P', 'question': b'Q1', 'answer': b'c',
           'idx': {'paragraph': 0, 'question': 1, 'answer': 2}, 'label': 0}]
  records = superglue_tfds.rows_to_records(T['multirc'], rows,
                                           ['False', 'True'])
  assert records == [{'idx': 0, 'passage': {'text': 'P', 'questions': [
      {'idx': 0, 'question': 'Q0', 'answers': [
          {'idx': 0, 'text': 'a', 'label': 1},
          {'idx': 1, 'text': 'b', 'label': 0}]},
      {'idx': 1, 'question': 'Q1', 'answers': [
          {'idx': 2, 'text': 'c', 'label': 0}]}]}}]
  rows = [{'passage': b'Ann met Bo.', 'query': b'@placeholder left',
           'entities': [b'Ann', b'Bo'], 'answers': [b'Bo'],
           'idx': {'passage': 4, 'query': 9}}]
  records = superglue_tfds.rows_to_records(T['record'], rows, [])
  items, groups = superglue_readers.read(T['record'], records[0], True)
  assert [(i.text_b, i.label) for i in items] == [('Ann left', '0'),
                                                  ('Bo left', '1')]
  assert groups == {'9': ['Bo']}


def test_not_prepared_is_one_clear_error(tmp_path):
  with pytest.raises(superglue_tfds.NotPreparedError,
                     match=r'^TFDS super_glue/cb is not prepared under '):
    superglue_tfds.iter_records(T['cb'], 'train', str(tmp_path))
  # What `finetune` reports (it prints SuperGlueDataError in one line).
  with pytest.raises(superglue_data.SuperGlueDataError,
                     match=r'^TFDS super_glue/cb is not prepared under '):
    superglue_data.prepare(T['cb'], '', ffx.VOCAB_FILE,
                           str(tmp_path / 'cache'),
                           tfds_data_dir=str(tmp_path / 'tfds'))


def _items(prepared, split_meta):
  meta = superglue_data.load_meta(split_meta)
  return sorted(json.dumps([m, l], sort_keys=True)
                for m, l in zip(meta['items'], meta['labels']))


def _same_items_from_tfds_and_jsonl(names, tmp_path, monkeypatch):
  data_dir = sfx.write_all(tmp_path / 'data')
  tfds_dir = sfx.build_tfds(data_dir, tmp_path / 'tfds',
                            sorted({T[n].train_task or n for n in names} |
                                   set(names)), monkeypatch)
  for name in names:
    kwargs = dict(vocab_file=ffx.VOCAB_FILE, cache_dir=str(tmp_path / name),
                  max_seq_length=32, predict_test=True)
    from_jsonl = superglue_data.prepare(T[name], data_dir, **kwargs)
    from_tfds = superglue_data.prepare(T[name], '', tfds_data_dir=tfds_dir,
                                       **kwargs)
    assert from_tfds.source == f'tfds:super_glue/{name}@{tfds_dir}'
    for attr in ('num_train', 'num_eval', 'num_test'):
      assert getattr(from_tfds, attr) == getattr(from_jsonl, attr), attr
    assert _items(from_tfds, from_tfds.eval_meta['']) == _items(
        from_jsonl, from_jsonl.eval_meta[''])
    assert _items(from_tfds, from_tfds.test_meta) == _items(
        from_jsonl, from_jsonl.test_meta)


def test_tfds_and_jsonl_give_the_same_items(tmp_path, monkeypatch):
  _same_items_from_tfds_and_jsonl(['multirc', 'record'], tmp_path,
                                  monkeypatch)


@pytest.mark.slow
def test_tfds_and_jsonl_give_the_same_items_for_every_task(tmp_path,
                                                           monkeypatch):
  _same_items_from_tfds_and_jsonl(list(T), tmp_path, monkeypatch)
