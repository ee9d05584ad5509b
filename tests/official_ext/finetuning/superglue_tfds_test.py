"""TFDS super_glue rows -> records of the official JSONL shape."""

import pytest

from official_ext.finetuning import superglue_data
from official_ext.finetuning import superglue_readers
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import superglue_tfds

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
  with pytest.raises(superglue_data.SuperGlueDataError,
                     match=r'^TFDS super_glue/cb is not prepared under '):
    next(superglue_tfds.iter_records(T['cb'], 'train', str(tmp_path)))
