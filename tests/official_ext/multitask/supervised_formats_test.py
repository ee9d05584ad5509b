"""Readers per format and kind; every error names task, split, file(:line)."""

import dataclasses
import json
import os
import re

import pytest

from official_ext.multitask import supervised_formats as sf
from official_ext.multitask import task_spec
from tests.official_ext.multitask import multitask_fixtures as mfx


def _write(path, lines):
  with open(path, 'w', encoding='utf-8') as f:
    f.write('\n'.join(lines) + '\n')
  return str(path)


def _jsonl(path, objects):
  return _write(path, [o if isinstance(o, str) else json.dumps(o)
                       for o in objects])


def _spec(train, dev=None, **kwargs):
  kwargs.setdefault('name', 't')
  kwargs.setdefault('kind', 'classification')
  return task_spec.TaskSpec(train_file=train, dev_file=dev or train,
                            **kwargs)


def _raises(spec, split, *fragments):
  with pytest.raises(sf.SupervisedDataError) as error:
    sf.read_split(spec, split)
  for fragment in fragments:
    assert fragment in str(error.value), (fragment, str(error.value))
  return str(error.value)


# --- tsv ---------------------------------------------------------------------

def test_tsv_single_and_pair_by_column_name(tmp_path):
  single = mfx.write_classification_tsv(tmp_path)
  examples = sf.read_split(single, 'train')
  assert len(examples) == 24
  assert examples[0] == sf.TextExample(
      'The striker scored twice in the second half .', None, 'sports',
      f'{single.train_file}:2')
  assert examples[1].label == 'weather'
  pair = mfx.write_classification_tsv(tmp_path, name='pair', pair=True)
  dev = sf.read_split(pair, 'dev')
  assert len(dev) == 8
  # k = 24: text_b is example 26's sentence, the same topic.
  assert (dev[0].text_a, dev[0].text_b, dev[0].label) == (
      mfx.topic_example(24)[0], mfx.topic_example(26)[0], 'same')
  assert dev[2].label == 'different'


def test_tsv_wrong_column_count_names_file_and_line(tmp_path):
  path = _write(tmp_path / 'train.tsv',
                ['text_a\tlabel', 'good row\tpos', 'bad\trow\tpos'])
  _raises(_spec(path), 'train', "task 't' (train split)", f'{path}:3',
          'expected 2 tab-separated columns', 'found 3')


def test_tsv_missing_column_lists_header(tmp_path):
  path = _write(tmp_path / 'train.tsv', ['sentence\tlabel', 'a\tpos'])
  message = _raises(_spec(path, text_columns=('text',)), 'train',
                    f'{path}:1', "no column 'text'", 'text_columns',
                    "['sentence', 'label']")
  assert 'label_column' not in message
  _raises(_spec(path, text_columns=('sentence',), label_column='gold'),
          'train', "no column 'gold'", 'label_column')


def test_tsv_label_outside_given_set(tmp_path):
  path = _write(tmp_path / 'train.tsv',
                ['text_a\tlabel', 'x\tpos', 'y\tneutral'])
  _raises(_spec(path, labels=('neg', 'pos')), 'train', f'{path}:3',
          "'neutral'", "['neg', 'pos']")


def test_tsv_regression_label_not_a_number(tmp_path):
  path = _write(tmp_path / 'train.tsv',
                ['text_a\tscore', 'x\t2.5', 'y\thigh'])
  spec = _spec(path, kind='regression', label_column='score')
  _raises(spec, 'train', f'{path}:3', "'high'", 'not a finite number')
  path = _write(tmp_path / 'ok.tsv', ['text_a\tscore', 'x\t2.5', 'y\t-1'])
  values = [e.label for e in sf.read_split(
      _spec(path, kind='regression', label_column='score'), 'train')]
  assert values == [2.5, -1.0]


def test_empty_split_names_task_split_and_file(tmp_path):
  train = _write(tmp_path / 'train.tsv', ['text_a\tlabel', 'x\tpos'])
  dev = _write(tmp_path / 'dev.tsv', ['text_a\tlabel', ''])
  spec = _spec(train, dev, name='empty_dev')
  assert len(sf.read_split(spec, 'train')) == 1
  _raises(spec, 'dev', "task 'empty_dev'", 'the dev split has no examples',
          dev)
  empty = _write(tmp_path / 'nothing.jsonl', [''])
  _raises(_spec(empty, name='j', format='jsonl'), 'train', "task 'j'",
          'train split has no examples', empty)


def test_missing_file_is_named(tmp_path):
  missing = str(tmp_path / 'nope.tsv')
  train = _write(tmp_path / 'train.tsv', ['text_a\tlabel', 'x\tpos'])
  _raises(_spec(train, missing), 'dev', 'dev_file', missing,
          'does not exist')


# --- glue --------------------------------------------------------------------

def test_glue_reads_bundled_sst2():
  spec = mfx.sst2_spec()
  train, dev = sf.read_split(spec, 'train'), sf.read_split(spec, 'dev')
  assert (len(train), len(dev)) == (2000, 872)
  assert dev[0] == sf.TextExample('the expressive power of the camera ', None,
                                  '1', f'{spec.dev_file}:2')
  assert sf.class_labels(spec, train, dev) == ('0', '1')


def test_glue_kind_must_match_task(tmp_path):
  spec = dataclasses.replace(mfx.sst2_spec(), kind='regression')
  _raises(spec, 'train', "glue_task 'glue/sst2' is a classification task",
          "kind 'regression'")


def test_glue_bad_row_is_wrapped_with_task(tmp_path):
  path = _write(tmp_path / 'train.tsv', ['sentence\tlabel', 'fine\t1',
                                         'bad\t7'])
  spec = _spec(path, format='glue', glue_task='glue/sst2')
  _raises(spec, 'train', "task 't' (train split)", f'{path}:3', "'7'")


# --- jsonl -------------------------------------------------------------------

def test_jsonl_classification_and_regression(tmp_path):
  spec = mfx.write_regression_jsonl(tmp_path)
  examples = sf.read_split(spec, 'train')
  assert len(examples) == 24
  text_a, text_b, score = mfx.regression_example(0)
  assert examples[0] == sf.TextExample(text_a, text_b, score,
                                       f'{spec.train_file}:1')
  path = _jsonl(tmp_path / 'cls.jsonl', [{'text_a': 'x', 'label': 1},
                                         {'text_a': 'y', 'text_b': 'z',
                                          'label': 'b'}])
  read = sf.read_split(_spec(path, format='jsonl'), 'train')
  assert [(e.text_b, e.label) for e in read] == [(None, '1'), ('z', 'b')]


def test_jsonl_bad_json_and_missing_key(tmp_path):
  path = _jsonl(tmp_path / 'a.jsonl', [{'text_a': 'x', 'label': 'p'},
                                       '{"text_a": "y", '])
  _raises(_spec(path, format='jsonl'), 'train', f'{path}:2',
          'not valid JSON')
  path = _jsonl(tmp_path / 'b.jsonl', [{'text_a': 'x', 'label': 'p'}, '',
                                       {'text': 'y', 'label': 'p'}])
  _raises(_spec(path, format='jsonl'), 'train', f'{path}:3',
          "missing key 'text_a'")
  path = _jsonl(tmp_path / 'c.jsonl', [{'text_a': 'x', 'label': 'lots'}])
  _raises(_spec(path, format='jsonl', kind='regression'), 'train',
          f'{path}:1', "'lots'", 'not a finite number')


def test_jsonl_multiple_choice(tmp_path):
  spec = mfx.write_multiple_choice_task(tmp_path, num_choices=4)
  examples = sf.read_split(spec, 'dev')
  context, choices, label = mfx.choice_example(24, 4)
  assert examples[0] == sf.ChoiceExample(context, tuple(choices), label,
                                         f'{spec.dev_file}:1')
  assert label == 0 and [e.label for e in examples[:4]] == [0, 1, 2, 3]
  assert sf.num_choices(spec, sf.read_split(spec, 'train'), examples) == 4


def test_multiple_choice_label_out_of_range(tmp_path):
  path = _jsonl(tmp_path / 'mc.jsonl', [
      {'context': 'c', 'choices': ['a', 'b'], 'label': 1},
      {'context': 'c', 'choices': ['a', 'b'], 'label': 2}])
  _raises(_spec(path, kind='multiple_choice'), 'train', f'{path}:2',
          'label 2 is out of range for 2 choices (0..1)')


def test_multiple_choice_unequal_choices(tmp_path):
  train = _jsonl(tmp_path / 'train.jsonl', [
      {'context': 'c', 'choices': ['a', 'b', 'c'], 'label': 0}] * 2)
  dev = _jsonl(tmp_path / 'dev.jsonl', [
      {'context': 'c', 'choices': ['a', 'b', 'c'], 'label': 0},
      {'context': 'c', 'choices': ['a', 'b'], 'label': 1}])
  spec = _spec(train, dev, kind='multiple_choice')
  with pytest.raises(sf.SupervisedDataError) as error:
    sf.num_choices(spec, sf.read_split(spec, 'train'),
                   sf.read_split(spec, 'dev'))
  message = str(error.value)
  assert f'{dev}:2: 2 choices' in message and f'{train}:1 has 3' in message
  assert "task 't' (dev split)" in message


def test_jsonl_span_and_bad_answer(tmp_path):
  spec = mfx.write_span_task(tmp_path, fmt='jsonl')
  examples = sf.read_split(spec, 'train')
  context, question, answer, start = mfx.span_question(0)
  assert examples[0] == sf.SpanExample(question, context, answer, start,
                                       'tiny_squad-0', f'{spec.train_file}:1')
  path = _jsonl(tmp_path / 'bad.jsonl', [
      {'context': 'Paris is in France .', 'question': 'Where ?',
       'answers': [{'text': 'France', 'answer_start': 12}]},
      {'context': 'Paris is in France .', 'question': 'Where ?',
       'answers': [{'text': 'France', 'answer_start': 10}]}])
  _raises(_spec(path, kind='span', format='jsonl'), 'train', f'{path}:2',
          "answer 'France' does not match its context",
          "context[10:16] is 'n Fran'")


# --- squad -------------------------------------------------------------------

def test_squad_reads_fixture(tmp_path):
  spec = mfx.write_span_task(tmp_path)
  train, dev = sf.read_split(spec, 'train'), sf.read_split(spec, 'dev')
  assert (len(train), len(dev)) == (24, 8)
  context, question, answer, start = mfx.span_question(24)
  assert dev[0] == sf.SpanExample(question, context, answer, start,
                                  'tiny_squad-24',
                                  f"{spec.dev_file}: question 'tiny_squad-24'")


def test_squad_bad_span_names_file_and_question(tmp_path):
  spec = mfx.write_span_task(tmp_path)
  with open(spec.train_file, encoding='utf-8') as f:
    data = json.load(f)
  data['data'][3]['paragraphs'][0]['qas'][0]['answers'][0]['answer_start'] += 1
  with open(spec.train_file, 'w', encoding='utf-8') as f:
    json.dump(data, f, indent=1)
  _raises(spec, 'train', "task 'tiny_squad' (train split)", spec.train_file,
          "question 'tiny_squad-3'", 'does not match its context')


def test_squad_without_questions_is_an_empty_split(tmp_path):
  spec = mfx.write_span_task(tmp_path)
  with open(spec.dev_file, 'w', encoding='utf-8') as f:
    json.dump({'version': '1.1', 'data': []}, f)
  _raises(spec, 'dev', "task 'tiny_squad'", 'the dev split has no examples',
          spec.dev_file)


# --- label sets --------------------------------------------------------------

def test_class_labels_sorted_given_or_glue(tmp_path):
  train = _write(tmp_path / 'train.tsv', ['text_a\tlabel', 'x\tb', 'y\ta',
                                          'z\tb'])
  dev = _write(tmp_path / 'dev.tsv', ['text_a\tlabel', 'x\tc'])
  spec = _spec(train, train)
  read = sf.read_split(spec, 'train')
  assert sf.class_labels(spec, read, read) == ('a', 'b')
  spec = _spec(train, train, labels=('b', 'a'))
  assert sf.class_labels(spec, read, read) == ('b', 'a')
  spec = _spec(train, dev)
  with pytest.raises(sf.SupervisedDataError) as error:
    sf.class_labels(spec, read, sf.read_split(spec, 'dev'))
  assert f'{dev}:2' in str(error.value)
  assert "['a', 'b'] (the labels of the training split)" in str(error.value)
  assert sf.class_labels(_spec(train, kind='regression'), read, read) is None


def test_glue_task_keeps_its_label_order():
  spec = mfx.sst2_spec()
  read = sf.read_split(spec, 'dev')
  same = dataclasses.replace(spec, labels=('0', '1'))
  assert sf.class_labels(same, read, read) == ('0', '1')
  swapped = dataclasses.replace(spec, labels=('1', '0'))
  with pytest.raises(sf.SupervisedDataError, match=re.escape(
      "task 'sst2': labels ['1', '0'] differ from glue/sst2's ['0', '1'], "
      'whose order its GLUE metrics read; leave labels unset.')):
    sf.class_labels(swapped, read, read)


def test_single_label_training_split_is_refused(tmp_path):
  train = _write(tmp_path / 'train.tsv', ['text_a\tlabel', 'x\ta', 'y\ta'])
  spec = _spec(train)
  read = sf.read_split(spec, 'train')
  with pytest.raises(sf.SupervisedDataError, match='at least 2 labels'):
    sf.class_labels(spec, read, read)


def test_agnews_sample_reads_with_label_order():
  spec = mfx.agnews_spec()
  train, dev = sf.read_split(spec, 'train'), sf.read_split(spec, 'dev')
  assert (len(train), len(dev)) == (1200, 400)
  assert sf.class_labels(spec, train, dev) == mfx.AGNEWS_LABELS
  assert os.path.basename(spec.train_file) == 'train.tsv'
