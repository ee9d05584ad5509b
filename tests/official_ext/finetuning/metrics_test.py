"""Metrics equal scikit-learn / scipy / the official SQuAD scripts."""

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as sk

from official.nlp.tools import squad_evaluate_v1_1
from official.nlp.tools import squad_evaluate_v2_0

from official_ext.finetuning import metrics

RNG = np.random.default_rng(0)
PRED = RNG.integers(0, 2, 200)
GOLD = np.where(RNG.random(200) < 0.7, PRED, 1 - PRED)


@pytest.mark.parametrize('pred, gold', [
    (PRED, GOLD),
    (np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])),
    (np.zeros(6, int), np.array([0, 1, 0, 1, 1, 0])),   # one class predicted
    (np.ones(4, int), np.ones(4, int)),                 # perfect, one class
])
def test_classification_metrics_equal_sklearn(pred, gold):
  assert metrics.accuracy(pred, gold) == pytest.approx(
      sk.accuracy_score(gold, pred))
  assert metrics.f1(pred, gold) == pytest.approx(
      sk.f1_score(gold, pred, zero_division=0))
  assert metrics.matthews_corrcoef(pred, gold) == pytest.approx(
      sk.matthews_corrcoef(gold, pred))


def test_hand_computed_values():
  pred = [1, 1, 0, 0, 1]
  gold = [1, 0, 0, 1, 1]
  # tp=2 fp=1 fn=1 tn=1: precision 2/3, recall 2/3.
  assert metrics.f1(pred, gold) == pytest.approx(2 / 3)
  assert metrics.accuracy(pred, gold) == pytest.approx(0.6)
  assert metrics.matthews_corrcoef(pred, gold) == pytest.approx(
      (2 * 1 - 1 * 1) / np.sqrt(3 * 3 * 2 * 2))
  assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
  assert metrics.spearman([1, 2, 3, 4], [10, 9, 8, 7]) == pytest.approx(-1.0)


@pytest.mark.parametrize('seed', [0, 1])
def test_correlations_equal_scipy_with_ties(seed):
  rng = np.random.default_rng(seed)
  gold = np.round(rng.uniform(0, 5, 60) * 2) / 2  # many ties, like STS-B
  pred = gold + rng.normal(0, 1, 60)
  pred[:10] = 2.5  # ties in the predictions too
  assert metrics.pearson(pred, gold) == pytest.approx(
      stats.pearsonr(pred, gold)[0])
  assert metrics.spearman(pred, gold) == pytest.approx(
      stats.spearmanr(pred, gold)[0])


def test_glue_metrics_percent_and_errors():
  out = metrics.glue_metrics(['f1', 'accuracy'], [1, 1, 0, 0, 1],
                             [1, 0, 0, 1, 1])
  assert out == pytest.approx({'f1': 200 / 3, 'accuracy': 60.0})
  with pytest.raises(ValueError, match='unknown GLUE metric'):
    metrics.glue_metrics(['auc'], [1], [1])
  with pytest.raises(ValueError, match='differ in length'):
    metrics.accuracy([1, 0], [1])


@pytest.mark.parametrize('text, normalised', [
    ('The Cat!', 'cat'),
    ('  an apple,  a day ', 'apple day'),
    ('U.S. Army', 'us army'),
    ('theatre them', 'theatre them'),   # articles only as whole words
    ('A', ''),
    ('(1990)', '1990'),
])
def test_squad_normalisation(text, normalised):
  assert metrics.normalize_answer(text) == normalised
  official = squad_evaluate_v1_1._normalize_answer  # pylint: disable=protected-access
  assert official(text) == normalised


def test_squad_em_f1_hand_cases():
  assert metrics.exact_match('The cat.', 'cat') == 1.0
  # pred {cat, sat}, gold {cat, sat, on, mat}: P = 1, R = 1/2.
  assert metrics.token_f1('the cat sat', 'cat sat on the mat') == \
      pytest.approx(2 / 3)
  assert metrics.token_f1('dog', 'cat') == 0.0
  assert metrics.token_f1('', '') == 1.0
  assert metrics.token_f1('the', '') == 1.0   # normalises to empty
  assert metrics.question_scores('in 1990', ['1990', 'in 1990']) == (1.0, 1.0)


def _dataset(answers):
  return [{'paragraphs': [{'qas': [
      {'id': q, 'answers': [{'text': t} for t in a]}
      for q, a in answers.items()]}]}]


def test_squad_v1_equals_official_script():
  answers = {'a': ['Denver Broncos', 'the Broncos'], 'b': ['1990'],
             'c': ['Santa Clara, California'], 'd': ['gold']}
  predictions = {'a': 'Broncos', 'b': 'in 1990', 'c': 'Santa Clara',
                 'd': 'golden'}
  ours = metrics.squad_v1_metrics(predictions, answers)
  official = squad_evaluate_v1_1.evaluate(_dataset(answers), predictions)
  assert ours['exact_match'] == pytest.approx(100 * official['exact_match'])
  assert ours['f1'] == pytest.approx(100 * official['final_f1'])
  # a: F1 1 ("broncos" vs "broncos"), b: 2/3, c: 2*1*(2/3)/(5/3)=0.8, d: 0.
  assert ours['exact_match'] == pytest.approx(25.0)
  assert ours['f1'] == pytest.approx(100 * (1 + 2 / 3 + 0.8 + 0) / 4)


def test_v2_threshold_hand_case():
  # q1, q2 answerable (right span), q3, q4 unanswerable.
  answers = {'q1': ['Paris'], 'q2': ['blue'], 'q3': [], 'q4': []}
  predictions = {'q1': 'Paris', 'q2': 'blue sky', 'q3': 'London',
                 'q4': 'red'}
  na = {'q1': -2.0, 'q2': 1.0, 'q3': 0.5, 'q4': 3.0}
  out = metrics.squad_v2_metrics(predictions, na, answers)
  # Answer in increasing na: all abstain = 2 (q3, q4 right);
  # + q1 (EM 1) = 3 at -2; + q3 (wrong span) = 2 at 0.5;
  # + q2 (EM 0, F1 2/3) = 2 / 2.667 at 1; + q4 = 1 / 1.667 at 3.
  assert out['exact_match'] == pytest.approx(75.0)
  assert out['best_exact_thresh'] == -2.0
  assert out['f1'] == pytest.approx(75.0)   # 3 at -2 beats 2.667 at 1
  assert out['best_f1_thresh'] == -2.0
  # Threshold 0: answer q1 only -> same as above.
  assert out['exact_match_at_0'] == pytest.approx(75.0)
  assert out['has_ans_f1'] == pytest.approx(50.0)
  assert out['no_ans_f1'] == pytest.approx(100.0)
  # At the best F1 threshold (-2) only q1 answers: HasAns EM 1/2, NoAns 2/2.
  assert out['has_ans_exact'] == pytest.approx(50.0)
  assert out['no_ans_exact'] == pytest.approx(100.0)
  assert (out['has_ans_total'], out['no_ans_total'], out['total']) == (
      2, 2, 4)


def test_v2_abstain_everywhere_and_ties():
  answers = {'q1': ['x'], 'q2': [], 'q3': []}
  predictions = {'q1': 'y', 'q2': 'z', 'q3': 'w'}
  na = {'q1': 1.0, 'q2': 1.0, 'q3': 2.0}
  out = metrics.squad_v2_metrics(predictions, na, answers)
  assert out['exact_match'] == pytest.approx(200 / 3)
  assert out['best_exact_thresh'] < 1.0  # below every na score
  # Ties move together: q1 right and q2 wrong at the same na score = no gain.
  answers['q1'] = ['y']
  out = metrics.squad_v2_metrics(predictions, na, answers)
  assert out['exact_match'] == pytest.approx(200 / 3)


def _random_v2(seed, count):
  """(answers, predictions, na scores) of `count` random v2 questions."""
  rng = np.random.default_rng(seed)
  words = ['alpha', 'beta', 'gamma', 'delta', 'the', 'epsilon']
  answers, predictions, na = {}, {}, {}
  for i in range(count):
    qid = f'q{i}'
    answers[qid] = ([] if rng.random() < 0.4 else
                    [' '.join(rng.choice(words, 2))])
    predictions[qid] = ' '.join(rng.choice(words, rng.integers(1, 3)))
    na[qid] = float(rng.normal())  # distinct: no ties
  return answers, predictions, na


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_v2_best_scores_equal_official_script(seed):
  answers, predictions, na = _random_v2(seed, 40)
  ours = metrics.squad_v2_metrics(predictions, na, answers)
  official = squad_evaluate_v2_0.evaluate(_dataset(answers), predictions, na)
  assert ours['exact_match'] == pytest.approx(official['final_exact'])
  assert ours['f1'] == pytest.approx(official['final_f1'])
  if official['final_exact'] > 100 * sum(not a for a in answers.values()) / 40:
    assert ours['best_exact_thresh'] == pytest.approx(
        official['final_exact_thresh'])


@pytest.mark.parametrize('seed', [3, 4])
def test_v2_breakdown_equals_official_script_at_the_chosen_threshold(seed):
  answers, predictions, na = _random_v2(seed, 30)
  ours = metrics.squad_v2_metrics(predictions, na, answers)
  # The official script abstains where na_prob > 1.0: shift our scores so
  # that its rule is ours at the best F1 threshold.
  shifted = {q: v - ours['best_f1_thresh'] + 1.0 for q, v in na.items()}
  official = squad_evaluate_v2_0.evaluate(_dataset(answers), predictions,
                                          shifted)
  assert ours['f1'] == pytest.approx(official['f1'])
  for name in ('HasAns_exact', 'HasAns_f1', 'HasAns_total', 'NoAns_exact',
               'NoAns_f1', 'NoAns_total'):
    key = name.replace('HasAns', 'has_ans').replace('NoAns', 'no_ans')
    assert ours[key] == pytest.approx(official[name]), name
  assert ours['total'] == official['total']
