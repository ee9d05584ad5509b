"""Dev metrics per task kind, on a fake model whose predictions we set.

The fake model returns each dev example's `pred` feature as its output and
the fake heads pass it through as the prediction, so every metric can be
computed by hand: accuracy, binary F1, Pearson / Spearman, span exact match
and token F1, multiple-choice accuracy, and their mean (`mean_score`).
"""

import os
import types

import numpy as np
import pytest
import tensorflow as tf

from official_ext.finetuning import metrics as metrics_lib
from official_ext.finetuning import task_names
from official_ext.multitask import multitask_eval as mte
from official_ext.multitask import supervised_data
from official_ext.multitask import task_spec
from tests.official_ext.finetuning import finetuning_fixtures as ffx

# task -> (kind, num_classes, predictions, gold).
TASKS = {
    'binary': ('classification', 2, [1, 0, 0, 1, 1, 0, 1],
               [1, 0, 1, 1, 0, 0, 1]),
    'topics': ('classification', 4, [0, 1, 3, 0, 0], [0, 1, 1, 0, 1]),
    'similarity': ('regression', 1, [1.0, 2.0, 3.0, 4.5],
                   [1.5, 1.0, 3.5, 5.0]),
    'squad': ('span', None, [[3, 5], [2, 2], [4, 3], [0, 0]],
              [[3, 5], [1, 2], [4, 4], [0, 0]]),
    'piqa': ('multiple_choice', None, [0, 2, 1, 1], [0, 2, 2, 1]),
}

# By hand (percent).
# binary: 5 of 7 right; class 1: tp 3, predicted 4, gold 4 -> P = R = F1 = .75
# topics: 3 of 5 right; 4 classes, so no F1 although dev has only 0 and 1.
# similarity: ranks (1 2 3 4) vs (2 1 3 4) -> Spearman 4 / 5.
# squad: exact 2 of 4; F1 (1 + 2/3 + 0 + 1) / 4 (pred end < start scores 0).
# piqa: 3 of 4 right.
EXPECTED = {
    'binary': {'accuracy': 500 / 7, 'f1': 75.0},
    'topics': {'accuracy': 60.0},
    'similarity': {'spearman': 80.0},
    'squad': {'exact_match': 50.0, 'f1': 100 * (2 + 2 / 3) / 4},
    'piqa': {'accuracy': 75.0},
}
SCORE = {'binary': 'accuracy', 'topics': 'accuracy', 'similarity': 'pearson',
         'squad': 'exact_match', 'piqa': 'accuracy'}


def _pearson(x, y):
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  dx, dy = x - x.mean(), y - y.mean()
  return 100 * float((dx * dy).sum() / np.sqrt((dx * dx).sum() *
                                               (dy * dy).sum()))


EXPECTED['similarity']['pearson'] = _pearson(TASKS['similarity'][2],
                                             TASKS['similarity'][3])


class _Head:
  def predictions(self, outputs):
    return outputs


class _Model:
  """Routes every task to a pass-through head; outputs = features['pred']."""

  def __init__(self, tasks):
    self.heads = {f'head_{t}': _Head() for t in tasks}
    self.task_heads = {t: f'head_{t}' for t in tasks}
    self.calls = []

  def __call__(self, features, task=None, training=None):
    self.calls.append((task, training))
    return features['pred']


def _prepared(name, calls):
  kind, num_classes, pred, gold = TASKS[name]
  columns = {'input_word_ids': tf.zeros([len(pred), 4], tf.int32)}
  if kind == 'span':
    columns['pred'] = tf.constant(pred, tf.int32)
    gold = np.asarray(gold)
    columns['start_positions'] = tf.constant(gold[:, 0], tf.int32)
    columns['end_positions'] = tf.constant(gold[:, 1], tf.int32)
  else:
    dtype = tf.float32 if kind == 'regression' else tf.int32
    columns['pred'] = tf.constant(pred, dtype)
    columns['label'] = tf.constant(gold, dtype)

  def dataset(split, batch_size, is_training, seed=0):
    del seed
    calls.append((name, split, batch_size, is_training))
    return tf.data.Dataset.from_tensor_slices(columns).batch(batch_size)

  spec = task_spec.TaskSpec(name, kind, 'train.jsonl', 'dev.jsonl')
  return types.SimpleNamespace(spec=spec, num_classes=num_classes,
                               num_dev=len(pred), dataset=dataset)


@pytest.fixture(scope='module')
def evaluation():
  """(evaluator, model, dataset calls, evaluate() results): run once."""
  calls = []
  prepared = [_prepared(name, calls) for name in TASKS]
  model = _Model(TASKS)
  evaluator = mte.MultiTaskEvaluator(model, prepared, batch_size=3)
  return evaluator, model, calls, evaluator.evaluate()


def test_metrics_per_kind_equal_hand_computed(evaluation):
  evaluator, model, calls, results = evaluation
  assert list(results) == list(TASKS)
  for task, expected in EXPECTED.items():
    kind = TASKS[task][0]
    names = set(expected) | {'score'}
    assert set(results[task]) == names, task
    for name, value in expected.items():
      assert results[task][name] == pytest.approx(value, abs=1e-4), (task,
                                                                     name)
    assert results[task]['score'] == results[task][SCORE[task]]
    assert mte.SCORE_METRIC[kind] == SCORE[task]
  # Dev split, one pass, batches of 3 (remainders kept), inference mode.
  assert calls[:len(TASKS)] == [(t, 'dev', 3, False) for t in TASKS]
  assert {training for _, training in model.calls} == {False}

  mean = mte.mean_score(results)
  hand = np.mean([EXPECTED[t][SCORE[t]] for t in TASKS])
  assert mean == pytest.approx(hand, abs=1e-4)
  assert isinstance(mean, float)


def test_evaluate_task_alone_repeats_the_result(evaluation):
  evaluator, _, _, results = evaluation
  again = evaluator.evaluate_task('squad')
  assert again == results['squad']
  assert again['exact_match'] == 50.0


def test_kind_metrics_directly():
  labels = np.array([0, 1, 1, 0])
  # Without num_classes the dev labels decide: binary -> F1 of class 1.
  out = mte._kind_metrics('classification', np.array([0, 1, 0, 0]),
                          {'label': labels})
  assert out == pytest.approx({'accuracy': 75.0, 'f1': 100 * 2 / 3})
  out = mte._kind_metrics('classification', np.array([0, 1, 0, 0]),
                          {'label': labels}, num_classes=2)
  assert out == pytest.approx({'accuracy': 75.0, 'f1': 100 * 2 / 3})
  # A 3-class task: accuracy only, also when its dev labels are 0 / 1.
  out = mte._kind_metrics('classification', np.array([2, 1, 0, 0]),
                          {'label': labels}, num_classes=3)
  assert out == pytest.approx({'accuracy': 50.0})
  out = mte._kind_metrics('classification', np.array([2, 1, 0, 0]),
                          {'label': np.array([2, 1, 1, 0])})
  assert out == pytest.approx({'accuracy': 75.0})
  # Regression: perfect linear -> 100; reversed order -> -100.
  x = np.array([0.5, 1.0, 2.0, 4.0], np.float32)
  out = mte._kind_metrics('regression', 3 * x + 1, {'label': x})
  assert out == pytest.approx({'pearson': 100.0, 'spearman': 100.0})
  out = mte._kind_metrics('regression', -x, {'label': x})
  assert out == pytest.approx({'pearson': -100.0, 'spearman': -100.0})
  # Span: positions, exact and overlap.
  out = mte._kind_metrics(
      'span', np.array([[1, 4], [2, 3]]),
      {'start_positions': np.array([1, 3]), 'end_positions': np.array([4, 6])})
  # ex 2: overlap [3, 3] = 1, P = 1/2, R = 1/4 -> F1 = 1/3.
  assert out == pytest.approx({'exact_match': 50.0,
                               'f1': 100 * (1 + 1 / 3) / 2})
  out = mte._kind_metrics('multiple_choice', np.array([1, 0, 3]),
                          {'label': np.array([1, 1, 3])})
  assert out == pytest.approx({'accuracy': 200 / 3})


def test_mean_score():
  assert mte.mean_score({'a': {'score': 80.0}, 'b': {'score': 40.0},
                         'c': {'score': 60.0, 'f1': 0.0}}) == 60.0
  with pytest.raises(ValueError, match='no task results'):
    mte.mean_score({})


class _Constant(_Model):
  """Predicts class `value` for every example."""

  def __init__(self, tasks, value):
    super().__init__(tasks)
    self.value = value

  def __call__(self, features, task=None, training=None):
    self.calls.append((task, training))
    return tf.fill(tf.shape(features['label']), self.value)


def test_cola_format_task_predicting_one_class_scores_mcc_zero(tmp_path):
  # Dev: 7 acceptable (1), 3 not (0). All-1 predictions are 70% accurate,
  # but GLUE scores CoLA by Matthews correlation, which is 0 for them.
  dev = [(s, None, label) for s, label in
         zip(ffx.sentences(10, seed=1), '1101101101')]
  folder = ffx.write_glue(tmp_path, 'cola', ffx.classification_examples(8),
                          dev)
  spec = task_spec.TaskSpec(
      'cola', 'classification', os.path.join(folder, 'train.tsv'),
      os.path.join(folder, 'dev.tsv'), glue_task='glue/cola',
      max_seq_length=32)
  prepared = supervised_data.prepare_task(spec, ffx.VOCAB_FILE,
                                          str(tmp_path / 'cache'))
  for value, expected in ((1, 0.0), (0, 0.0)):
    evaluator = mte.MultiTaskEvaluator(_Constant(['cola'], value), [prepared],
                                       batch_size=4)
    assert evaluator.evaluate_task('cola') == {'mcc': expected,
                                               'score': expected}


def test_glue_tasks_use_the_finetune_metrics_and_score():
  pred, gold = [1, 0, 0, 1, 1, 0, 1], [1, 0, 1, 1, 0, 0, 1]
  x = np.array([0.5, 1.0, 2.0, 4.0], np.float32)
  sim, sim_gold = x ** 2, x  # ranks agree: Spearman 100, Pearson below
  cases = {
      # MRPC: F1 75 and accuracy 5/7, score their mean (GLUE).
      'glue/mrpc': (pred, gold, {'f1': 75.0, 'accuracy': 500 / 7},
                    (75.0 + 500 / 7) / 2),
      'glue/sst2': (pred, gold, {'accuracy': 500 / 7}, 500 / 7),
      'glue/mnli': ([2, 0, 1], [2, 1, 1], {'accuracy': 200 / 3}, 200 / 3),
      'glue/stsb': (sim, sim_gold, {'pearson': _pearson(sim, sim_gold),
                                    'spearman': 100.0},
                    (_pearson(sim, sim_gold) + 100.0) / 2),
  }
  for name, (p, g, metrics, score) in cases.items():
    kind = 'regression' if name == 'glue/stsb' else 'classification'
    spec = task_spec.TaskSpec('t', kind, 'a.tsv', 'b.tsv', glue_task=name)
    out = mte.task_metrics(spec, np.asarray(p), {'label': np.asarray(g)})
    assert out == pytest.approx(dict(metrics, score=score)), name
    # The very numbers `official_ext.finetune` records for the task.
    task = task_names.parse_task(name)
    finetune = metrics_lib.glue_metrics(task.metrics, p, g)
    assert {k: out[k] for k in finetune} == finetune
  # A task without glue_task keeps its kind's metrics and score.
  spec = task_spec.TaskSpec('t', 'classification', 'a.tsv', 'b.tsv')
  assert mte.task_metrics(spec, np.asarray(pred), {'label': np.asarray(gold)},
                          num_classes=2) == pytest.approx(
                              {'accuracy': 500 / 7, 'f1': 75.0,
                               'score': 500 / 7})
