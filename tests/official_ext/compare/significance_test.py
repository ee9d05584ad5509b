"""official_ext/compare/significance.py on constructed cases."""
import numpy as np
import pytest

from official_ext.compare import significance

# 100 dev examples. A right on 0..79, B on 10..89: both 80% correct,
# disagreeing on 20 examples half each way.
SAME_ACCURACY_A = [1] * 80 + [0] * 20
SAME_ACCURACY_B = [0] * 10 + [1] * 80 + [0] * 10
# A right on 0..89, B on 0..59: a 30-point gap, every disagreement A's way.
GAP_A = [1] * 90 + [0] * 10
GAP_B = [1] * 60 + [0] * 40


def test_identical_arms_not_significant():
  result = significance.paired_bootstrap(GAP_A, GAP_A)
  assert result.difference == 0.0
  assert (result.low, result.high) == (0.0, 0.0)
  assert result.p_value == 1.0
  assert not result.significant


def test_equal_accuracy_different_examples_not_significant():
  result = significance.paired_bootstrap(SAME_ACCURACY_A, SAME_ACCURACY_B)
  assert result.difference == 0.0
  # Standard error of the paired difference: sqrt(20/100) / 10 = 0.045; the
  # 95% interval is about +-1.96 of it.
  assert result.low == pytest.approx(-0.09, abs=0.015)
  assert result.high == pytest.approx(0.09, abs=0.015)
  assert result.p_value > 0.5
  assert not result.significant
  assert result.note(2).endswith('within noise (95% CI, 100 dev examples)')


def test_clear_gap_significant():
  result = significance.paired_bootstrap(GAP_A, GAP_B)
  assert result.difference == pytest.approx(0.30)
  # No resample can make B better: the lower end is well above 0.
  assert 0.2 < result.low < 0.3 < result.high < 0.4
  assert result.p_value == 0.0
  assert result.significant
  assert result.note(2).startswith('+0.30 [')
  assert 'significant (95% CI, 100 dev examples)' in result.note()


def test_two_examples_by_hand():
  # A = [1, 0], B = [0, 0]: a resample's difference is (times example 0 is
  # drawn) / 2, i.e. 0, 0.5, 1 with probability 1/4, 1/2, 1/4. Two-sided
  # p = 2 * P(diff <= 0) = 0.5.
  result = significance.paired_bootstrap([1, 0], [0, 0], num_resamples=20000)
  assert result.difference == 0.5
  assert result.p_value == pytest.approx(0.5, abs=0.02)
  assert (result.low, result.high) == (0.0, 1.0)
  assert not result.significant


def test_deterministic_in_seed():
  # Continuous scores, so that the interval's ends move with the seed.
  a, b = np.linspace(0, 1, 37) ** 2, np.linspace(0, 1, 37)[::-1]
  one = significance.paired_bootstrap(a, b, seed=3)
  assert one == significance.paired_bootstrap(a, b, seed=3)
  other = significance.paired_bootstrap(a, b, seed=4)
  assert (one.low, one.high) != (other.low, other.high)
  assert one.difference == other.difference


def test_custom_statistic_matches_mean():
  # A callable statistic sees the same resamples as the vectorised mean.
  default = significance.paired_bootstrap(SAME_ACCURACY_A, SAME_ACCURACY_B,
                                          num_resamples=300)
  custom = significance.paired_bootstrap(SAME_ACCURACY_A, SAME_ACCURACY_B,
                                         statistic=np.mean,
                                         num_resamples=300)
  assert custom == default


def test_statistic_on_rows():
  # Rows (prediction, label); statistic: accuracy of the rows.
  def accuracy(rows):
    return float(np.mean(rows[:, 0] == rows[:, 1]))
  labels = np.array([0, 1] * 50)
  a = np.stack([labels, labels], axis=1)           # all right
  b = np.stack([np.zeros(100), labels], axis=1)    # right on the zeros
  result = significance.paired_bootstrap(a, b, statistic=accuracy,
                                         num_resamples=500)
  assert result.difference == 0.5
  assert result.significant


def test_seeds_paired_and_unpaired():
  a = {0: 80.0, 1: 81.0, 2: 82.0}
  paired = significance.compare_seeds(a, {0: 70.0, 1: 71.0, 2: 72.0})
  # Every seed's difference is 10, so every resample's is.
  assert (paired.difference, paired.low, paired.high) == (10.0, 10.0, 10.0)
  assert paired.significant and paired.method == 'seeds (paired)'
  unpaired = significance.compare_seeds(a, {3: 70.0, 4: 71.0, 5: 72.0})
  # Worst resample: A all 80, B all 72.
  assert unpaired.method == 'seeds (unpaired)'
  assert unpaired.low >= 8.0 and unpaired.high <= 12.0
  assert unpaired.significant
  noisy = significance.compare_seeds({0: 71.0, 1: 72.0, 2: 73.0},
                                     {0: 72.0, 1: 73.0, 2: 71.0})
  assert noisy.difference == 0.0 and not noisy.significant


@pytest.mark.parametrize('a,b,kwargs,message', [
    ([1, 0], [1], {}, r'paired scores differ in shape: \(2,\) vs \(1,\)'),
    ([], [], {}, 'a: no observations'),
    ([1], [1], {'confidence': 1.5}, r'confidence must be in \(0, 1\)'),
    ([1], [1], {'num_resamples': 0}, 'num_resamples must be >= 1')])
def test_bad_input(a, b, kwargs, message):
  with pytest.raises(ValueError, match=message):
    significance.paired_bootstrap(a, b, **kwargs)


def test_two_seeds_are_never_called_significant():
  # A consistent -0.2 on both seeds: every paired resample says -0.2.
  two = significance.compare_seeds({0: 70.6, 1: 70.6}, {0: 70.8, 1: 70.8})
  assert round(two.low, 6) == round(two.high, 6) == -0.2
  assert not two.significant
  assert two.method == 'seeds (paired); < 3 seeds: not called'
  unpaired = significance.compare_seeds({0: 90.0, 1: 91.0}, {5: 10.0})
  assert not unpaired.significant and unpaired.method.endswith('not called')
