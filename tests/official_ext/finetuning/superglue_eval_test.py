"""Grouped decoding, metrics and leaderboard files from classifier logits."""

import json
import os

import numpy as np
import pytest

from official_ext.finetuning import superglue_eval
from official_ext.finetuning import superglue_tasks

T = superglue_tasks.SUPERGLUE_TASKS


def _logits(p_one):
  """[N, 2] logits whose log-odds of label 1 are log(p / (1 - p))."""
  p = np.asarray(p_one, float)
  return np.stack([np.zeros_like(p), np.log(p / (1 - p))], axis=1)


def test_copa_picks_the_likelier_choice():
  meta = {'items': [{'idx': 0, 'choice': 0}, {'idx': 0, 'choice': 1},
                    {'idx': 1, 'choice': 0}, {'idx': 1, 'choice': 1}],
          'labels': ['1', '0', '1', '0'], 'groups': {}}
  metrics, submission = superglue_eval.decode(
      T['copa'], _logits([0.9, 0.8, 0.3, 0.4]), meta)
  assert submission == [{'idx': 0, 'label': 0}, {'idx': 1, 'label': 1}]
  assert metrics == {'accuracy': 50.0}


def test_record_picks_the_best_entity_and_scores_max_over_answers():
  meta = {'items': [{'idx': 5, 'entity': 'Alice'}, {'idx': 5, 'entity': 'Bob'},
                    {'idx': 6, 'entity': 'Alice'},
                    {'idx': 6, 'entity': 'Bob Smith'}],
          'labels': ['0', '1', '0', '0'],
          'groups': {'5': ['Bob'], '6': ['Smith', 'Carol']}}
  metrics, submission = superglue_eval.decode(
      T['record'], _logits([0.2, 0.7, 0.1, 0.6]), meta)
  assert submission == [{'idx': 5, 'label': 'Bob'},
                        {'idx': 6, 'label': 'Bob Smith'}]
  # q5 EM 1 F1 1; q6 EM 0, F1('Bob Smith', 'Smith') = 2/3.
  assert metrics['exact_match'] == pytest.approx(50.0)
  assert metrics['f1'] == pytest.approx(100 * (1 + 2 / 3) / 2)


def test_multirc_nests_answers_and_scores_per_question():
  meta = {'items': [{'idx': 0, 'question': 0, 'answer': 0},
                    {'idx': 0, 'question': 0, 'answer': 1},
                    {'idx': 0, 'question': 1, 'answer': 2}],
          'labels': ['1', '0', '1'], 'groups': {}}
  metrics, submission = superglue_eval.decode(
      T['multirc'], _logits([0.9, 0.2, 0.4]), meta)
  assert submission == [{'idx': 0, 'passage': {'questions': [
      {'idx': 0, 'answers': [{'idx': 0, 'label': 1}, {'idx': 1, 'label': 0}]},
      {'idx': 1, 'answers': [{'idx': 2, 'label': 0}]}]}}]
  # predictions 1 0 0 vs gold 1 0 1: F1a = 2*1*0.5/1.5, EM = 1/2.
  assert metrics == pytest.approx({'f1a': 100 * 2 / 3, 'exact_match': 50.0})


def test_classification_labels_keep_the_train_file_types():
  meta = {'items': [{'idx': 3}, {'idx': 4}], 'labels': [None, None],
          'groups': {}}
  outputs = np.array([[2.0, 1.0], [0.0, 1.0]])
  metrics, submission = superglue_eval.decode(T['boolq'], outputs, meta)
  assert metrics is None  # unlabelled (test)
  assert submission == [{'idx': 3, 'label': True}, {'idx': 4, 'label': False}]
  _, submission = superglue_eval.decode(T['rte'], outputs, meta)
  assert [s['label'] for s in submission] == ['entailment', 'not_entailment']


def test_evaluate_writes_files_that_parse_back(tmp_path):
  class Prepared:
    eval_paths, num_eval = {'': 'dev.tf'}, {'': 2}
    test_path, num_test = 'test.tf', 2
    eval_meta = {'': str(tmp_path / 'dev.meta.json')}
    test_meta = str(tmp_path / 'test.meta.json')

  for name, labels in (('dev', ['True', 'False']), ('test', [None, None])):
    (tmp_path / f'{name}.meta.json').write_text(json.dumps(
        {'items': [{'idx': 0}, {'idx': 1}], 'labels': labels, 'groups': {}}))
  outputs = {'dev.tf': np.array([[0.0, 1.0], [0.0, 2.0]]),
             'test.tf': np.array([[3.0, 1.0], [0.0, 2.0]])}

  def predict(path, count):
    assert count == 2
    # Rows arrive out of order: evaluate sorts them by example id.
    return np.array([1, 0]), np.zeros(2), outputs[path][::-1]

  run_dir = str(tmp_path / 'run')
  metrics = superglue_eval.evaluate(T['wsc'], Prepared, run_dir, predict)
  assert metrics == {'accuracy': 50.0}
  with open(os.path.join(run_dir, 'test', 'WSC.jsonl')) as f:
    assert [json.loads(line) for line in f] == [{'idx': 0, 'label': False},
                                                {'idx': 1, 'label': True}]
  assert os.path.exists(os.path.join(run_dir, 'dev', 'WSC.jsonl'))
