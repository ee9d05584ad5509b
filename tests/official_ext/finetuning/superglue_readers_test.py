"""Records in the official JSONL fields -> classifier items."""

import pytest

from official_ext.finetuning import superglue_readers as readers
from official_ext.finetuning import superglue_tasks

T = superglue_tasks.SUPERGLUE_TASKS


def test_pair_tasks_use_model_garden_label_sets():
  assert T['boolq'].labels == ('True', 'False')  # BoolQProcessor order
  assert T['cb'].labels == ('entailment', 'neutral', 'contradiction')
  assert T['rte'].labels == T['axg'].labels == ('entailment',
                                                'not_entailment')
  items, group = readers.read(T['boolq'], {'question': 'is it ?',
                                           'passage': 'it is .',
                                           'label': True, 'idx': 4}, True)
  assert group is None
  assert (items[0].text_a, items[0].text_b, items[0].label,
          items[0].meta) == ('is it ?', 'it is .', 'True', {'idx': 4})
  items, _ = readers.read(T['axb'], {'sentence1': 'a', 'sentence2': 'b',
                                     'idx': 0}, labelled=False)
  assert items[0].label is None


def test_wsc_marks_both_spans():
  record = {'text': 'Mark told Pete many lies about himself .',
            'target': {'span1_index': 2, 'span1_text': 'Pete',
                       'span2_index': 6, 'span2_text': 'himself'},
            'label': False, 'idx': 0}
  item = readers.read(T['wsc'], record, True)[0][0]
  assert item.text_a == 'Mark told * Pete * many lies about ~ himself ~ .'
  assert item.text_b == 'Does himself refer to Pete?'
  assert item.label == 'False'


def test_copa_gives_one_item_per_choice():
  record = {'premise': 'The man broke his toe.', 'choice1': 'He dropped a '
            'hammer on his foot.', 'choice2': 'He got a hole in his sock.',
            'question': 'cause', 'label': 0, 'idx': 7}
  items, _ = readers.read(T['copa'], record, True)
  assert [i.label for i in items] == ['1', '0']
  assert items[1].text_b == 'What was the cause? He got a hole in his sock.'
  assert [i.meta for i in items] == [{'idx': 7, 'choice': 0},
                                     {'idx': 7, 'choice': 1}]


def test_multirc_gives_one_item_per_answer():
  record = {'idx': 3, 'passage': {'text': 'P.', 'questions': [
      {'idx': 0, 'question': 'Q0?', 'answers': [
          {'idx': 0, 'text': 'a', 'label': 1},
          {'idx': 1, 'text': 'b', 'label': 0}]},
      {'idx': 1, 'question': 'Q1?', 'answers': [
          {'idx': 2, 'text': 'c', 'label': 0}]}]}}
  items, _ = readers.read(T['multirc'], record, True)
  assert [(i.text_b, i.label) for i in items] == [('Q0? a', '1'),
                                                  ('Q0? b', '0'),
                                                  ('Q1? c', '0')]
  assert items[2].meta == {'idx': 3, 'question': 1, 'answer': 2}


def test_record_candidates_from_entity_offsets():
  text = 'Alice met Bob.@highlight\nBob left'
  record = {'idx': 0, 'passage': {'text': text, 'entities': [
      {'start': 0, 'end': 4}, {'start': 10, 'end': 12},
      {'start': 25, 'end': 27}]},
            'qas': [{'idx': 9, 'query': '@placeholder smiled.',
                     'answers': [{'start': 10, 'end': 12, 'text': 'Bob'}]}]}
  items, groups = readers.read(T['record'], record, True)
  assert [(i.text_b, i.label) for i in items] == [('Alice smiled.', '0'),
                                                  ('Bob smiled.', '1')]
  assert items[0].text_a == 'Alice met Bob.- Bob left'
  assert groups == {'9': ['Bob']}


@pytest.mark.parametrize('task,record,message', [
    ('cb', {'premise': 'a', 'label': 'neutral', 'idx': 0},
     "missing key 'hypothesis'"),
    ('cb', {'premise': 'a', 'hypothesis': 'b', 'label': 'maybe', 'idx': 0},
     "key 'label' holds 'maybe', not one of"),
    ('wsc', {'text': 'a b', 'target': {'span1_index': 0, 'span1_text': 'a',
                                       'span2_index': 5, 'span2_text': 'b'},
             'label': True, 'idx': 0},
     r"key 'target.span2_index' \(5\) is outside"),
    ('multirc', {'idx': 0, 'passage': {'text': 'x', 'questions': [
        {'idx': 0, 'question': 'q', 'answers': [{'idx': 0, 'text': 'a'}]}]}},
     "missing key 'label'"),
])
def test_bad_records_name_the_key(task, record, message):
  with pytest.raises(readers.RecordError, match=message):
    readers.read(T[task], record, True)
