"""SQuAD JSON checks (file:line + question id) and training records."""

import json

import pytest

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import squad_data
from tests.official_ext.finetuning import finetuning_fixtures as ffx

V1 = glue_tasks.SQUAD_TASKS['v1.1']
V2 = glue_tasks.SQUAD_TASKS['v2.0']


def _dump(path, dataset):
  with open(path, 'w', encoding='utf-8') as f:
    json.dump(dataset, f, indent=1)
  return str(path)


def _line_of(path, text):
  with open(path, encoding='utf-8') as f:
    return next(i for i, line in enumerate(f, 1) if text in line)


def test_valid_files_pass_and_give_gold_answers(tmp_path):
  dataset = ffx.squad_json(version_2=True)
  path = _dump(tmp_path / 'dev.json', dataset)
  _, answers, skipped = squad_data.check_file(path, True, is_training=True)
  assert not skipped and len(answers) == 12
  assert answers['p0none'] == []
  first = dataset['data'][0]['paragraphs'][0]['qas'][0]
  assert answers['p0q0'] == [first['answers'][0]['text']]


def test_answer_span_not_matching_context(tmp_path):
  dataset = ffx.squad_json()
  qa = dataset['data'][1]['paragraphs'][0]['qas'][1]
  qa['answers'][0]['answer_start'] += 3
  path = _dump(tmp_path / 'train-v1.1.json', dataset)
  with pytest.raises(squad_data.SquadDataError) as error:
    squad_data.check_file(path, False, is_training=True)
  line = _line_of(path, '"p1q1"')
  message = str(error.value)
  assert message.startswith(f"{path}:{line}: question 'p1q1': answer ")
  assert 'does not match its context: context[' in message
  # Skipping drops just that question.
  _, answers, skipped = squad_data.check_file(path, False, True,
                                              skip_bad_rows=True)
  assert len(answers) == 7 and 'p1q1' not in answers and len(skipped) == 1


@pytest.mark.parametrize('edit, version_2, training, message', [
    (lambda qa: qa.pop('is_impossible'), True, True,
     'SQuAD 2.0 training questions need "is_impossible"'),
    (lambda qa: qa['answers'].append(dict(qa['answers'][0])), False, True,
     'training questions need exactly one answer, found 2'),
    (lambda qa: qa.update(answers=[]), False, False,
     'no answers \\(and not is_impossible\\)'),
    (lambda qa: qa.update(is_impossible=True), False, False,
     'is_impossible=true in a SQuAD 1.1 file'),
])
def test_structural_errors_name_the_question(tmp_path, edit, version_2,
                                             training, message):
  dataset = ffx.squad_json(version_2=version_2)
  edit(dataset['data'][0]['paragraphs'][0]['qas'][0])
  path = _dump(tmp_path / 'f.json', dataset)
  with pytest.raises(squad_data.SquadDataError,
                     match=f"f.json:\\d+: question 'p0q0': {message}"):
    squad_data.check_file(path, version_2, training)


def test_not_json_and_missing_files(tmp_path):
  path = tmp_path / 'bad.json'
  path.write_text('{"data": [\n  {"title": }\n]}')
  with pytest.raises(squad_data.SquadDataError, match='bad.json:2: not valid '
                     'JSON'):
    squad_data.check_file(str(path), False, False)
  with pytest.raises(squad_data.SquadDataError,
                     match='put train-v2.0.json and dev-v2.0.json'):
    squad_data.prepare(V2, str(tmp_path), ffx.VOCAB_FILE, str(tmp_path))


def test_prepare_writes_training_records(tmp_path):
  ffx.write_squad(tmp_path / 'squad', 'v2.0')
  prepared = squad_data.prepare(V2, str(tmp_path), ffx.VOCAB_FILE,
                                str(tmp_path / 'cache'), max_seq_length=64,
                                max_query_length=16, doc_stride=32)
  assert prepared.num_train_questions == 12
  assert prepared.num_dev_questions == 12
  assert prepared.num_train_features >= 12
  assert ffx.tfrecord_count(prepared.train_path) == \
      prepared.num_train_features
  assert squad_data.prepare(V2, str(tmp_path), ffx.VOCAB_FILE,
                            str(tmp_path / 'cache'), max_seq_length=64,
                            max_query_length=16, doc_stride=32) == prepared
