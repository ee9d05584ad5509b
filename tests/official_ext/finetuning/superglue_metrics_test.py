"""SuperGLUE metrics against hand computations."""

import numpy as np
import pytest

from official_ext.finetuning import superglue_metrics


def test_cb_accuracy_and_macro_f1():
  # classes 0/1/2; gold  0 0 1 1 2 2 ; pred 0 1 1 1 2 0
  gold = np.array([0, 0, 1, 1, 2, 2])
  pred = np.array([0, 1, 1, 1, 2, 0])
  # class 0: tp 1, pred 2, gold 2 -> P 1/2 R 1/2 F1 1/2
  # class 1: tp 2, pred 3, gold 2 -> P 2/3 R 1 F1 0.8
  # class 2: tp 1, pred 1, gold 2 -> P 1 R 1/2 F1 2/3
  out = superglue_metrics.classification_metrics(['accuracy', 'f1_macro'],
                                                 pred, gold)
  assert out['accuracy'] == pytest.approx(100 * 4 / 6)
  assert out['f1_macro'] == pytest.approx(100 * (0.5 + 0.8 + 2 / 3) / 3)


def test_macro_f1_counts_a_class_only_predicted():
  # gold has no class 2, but it is predicted once: its F1 is 0 (sklearn).
  out = superglue_metrics.macro_f1(np.array([0, 1, 2]), np.array([0, 1, 1]))
  # class 0: F1 1; class 1: tp 1, pred 1, gold 2 -> 2/3; class 2: 0.
  assert out == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_multirc_f1a_and_exact_match_per_question():
  questions = [('p0', 0)] * 3 + [('p0', 1)] * 2 + [('p1', 0)] * 2
  gold = np.array([1, 0, 1, 0, 1, 1, 1])
  pred = np.array([1, 0, 1, 1, 1, 0, 1])
  # F1a over 7 options: tp 4 (idx 0,2,4,6), pred pos 5, gold pos 5.
  # EM: question (p0,0) all right; (p0,1) wrong; (p1,0) wrong -> 1/3.
  out = superglue_metrics.multirc_metrics(pred, gold, questions)
  assert out['f1a'] == pytest.approx(100 * 0.8)
  assert out['exact_match'] == pytest.approx(100 / 3)


def test_record_max_over_answers():
  predictions = {1: 'the Barack Obama', 2: 'Paris', 3: 'New York City'}
  answers = {1: ['Obama', 'Barack Obama'], 2: ['London'],
             3: ['York', 'New York']}
  out = superglue_metrics.record_metrics(predictions, answers)
  # q1: EM 1 (articles dropped), F1 1. q2: 0, 0.
  # q3: EM 0; F1 vs 'New York': P 2/3, R 1 -> 0.8 (vs 'York': 0.5).
  assert out['exact_match'] == pytest.approx(100 / 3)
  assert out['f1'] == pytest.approx(100 * (1 + 0 + 0.8) / 3)


def test_mcc_for_diagnostics_and_unknown_metric():
  gold = np.array([1, 1, 0, 0])
  pred = np.array([1, 0, 0, 0])
  # tp 1 tn 2 fp 0 fn 1: (2 - 0) / sqrt(1 * 2 * 3 * 2) = 2 / sqrt(12)
  out = superglue_metrics.classification_metrics(['mcc'], pred, gold)
  assert out['mcc'] == pytest.approx(100 * 2 / np.sqrt(12))
  with pytest.raises(ValueError, match=r"unknown SuperGLUE metric\(s\) "
                     r"\['f2'\]"):
    superglue_metrics.classification_metrics(['f2'], pred, gold)


@pytest.mark.parametrize('seed', [0, 1])
def test_macro_f1_equals_sklearn(seed):
  from sklearn import metrics as sk  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  gold, pred = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
  assert superglue_metrics.macro_f1(pred, gold) == pytest.approx(
      sk.f1_score(gold, pred, average='macro'))
