"""CMTL stage arithmetic against the olfmlm paper's appendix Tables 5 and 6."""

import collections
import math
from fractions import Fraction

import pytest

from official_ext.schedules import cmtl_plan


def _printed(value, scale, digits):
  return round(value / scale, digits)


def test_table5_four_tasks_200k_iterations():
  # Paper Table 5 (ERNIE 2.0's example), stage by stage.
  assert cmtl_plan.stage_budgets(4, 200_000) == (
      (20_000, 0, 0, 0),
      (10_000, 30_000, 0, 0),
      (10_000, 10_000, 40_000, 0),
      (10_000, 10_000, 10_000, 50_000))


def test_table6_three_tasks_10b_tokens_at_printed_precision():
  table = cmtl_plan.stage_budgets(3, 10_000_000_000)
  printed = [[_printed(v, 1e9, 2) for v in row] for row in table]
  assert printed == [[1.67, 0, 0], [0.83, 2.5, 0], [0.83, 0.83, 3.33]]
  # Cumulative rounding, by hand: C = 10^10 / 12 = 833333333.33...
  assert table == ((1666666666, 0, 0),
                   (833333334, 2500000000, 0),
                   (833333333, 833333333, 3333333334))


def test_exact_fractions_and_chunk():
  assert cmtl_plan.chunk_size(3, 10**10) == Fraction(10**10, 12)
  exact = cmtl_plan.exact_stage_budgets(3, 10**10)
  assert exact[2][2] == 4 * Fraction(10**10, 12)
  assert exact[0][1] == 0


@pytest.mark.parametrize('n,total', [(1, 2), (2, 7), (3, 10**10), (4, 21),
                                     (5, 1001), (7, 12345)])
def test_integer_table_sums_to_total_and_rounds_each_entry(n, total):
  table = cmtl_plan.stage_budgets(n, total)
  exact = cmtl_plan.exact_stage_budgets(n, total)
  assert sum(map(sum, table)) == total
  for row, exact_row in zip(table, exact):
    for value, x in zip(row, exact_row):
      assert value in (math.floor(x), math.ceil(x))
      assert (value == 0) == (x == 0)
  for task in range(n):  # each task gets about T / N over the run
    assert abs(sum(row[task] for row in table) - Fraction(total, n)) < n


def test_stage_ends():
  assert cmtl_plan.stage_ends(cmtl_plan.stage_budgets(4, 200)) == (
      20, 60, 120, 200)


def test_total_too_small_and_bad_arguments():
  with pytest.raises(ValueError, match=r'total_budget=19 .*>= 20'):
    cmtl_plan.stage_budgets(4, 19)
  assert cmtl_plan.stage_budgets(4, 20)[0] == (2, 0, 0, 0)
  with pytest.raises(ValueError, match='total_budget=10.5'):
    cmtl_plan.stage_budgets(2, 10.5)
  with pytest.raises(ValueError, match='num_tasks'):
    cmtl_plan.stage_budgets(0, 100)
  assert cmtl_plan.stage_budgets(3, 1e10) == cmtl_plan.stage_budgets(3, 10**10)


def test_pick_is_the_inverse_cdf_of_remaining_budget():
  # remaining [0, 3, 1]: u in [0, .75) -> 1, [.75, 1) -> 2; task 0 never.
  assert [cmtl_plan.pick([0, 3, 1], u) for u in (0.0, 0.74, 0.75, 0.999)] == [
      1, 1, 2, 2]
  with pytest.raises(ValueError):
    cmtl_plan.pick([0, 0], 0.5)


def test_uniform_is_deterministic_in_range_and_seed_dependent():
  draws = [cmtl_plan.uniform(0, s) for s in range(2000)]
  assert draws == [cmtl_plan.uniform(0, s) for s in range(2000)]
  assert all(0 <= u < 1 for u in draws)
  assert draws[:20] != [cmtl_plan.uniform(1, s) for s in range(20)]
  assert abs(sum(draws) / len(draws) - 0.5) < 0.03
  # Known value, so the TF twin and any port can be checked against it.
  assert cmtl_plan.splitmix64(0) == 0xE220A8397B1DCDAF


def test_simulate_consumes_each_stage_budget_exactly_in_steps():
  budgets = cmtl_plan.stage_budgets(3, 60)      # C = 5
  assert budgets == ((10, 0, 0), (5, 15, 0), (5, 5, 20))
  plan = cmtl_plan.simulate(budgets, [1] * 62, seed=4)
  counts = collections.Counter(plan)
  for stage, row in enumerate(budgets):
    for task, budget in enumerate(row):
      assert counts[(stage, task)] == budget
  assert [s for s, _ in plan] == [0] * 10 + [1] * 20 + [2] * 30 + [3, 3]
  assert plan[-1] == (3, None)


def test_format():
  assert cmtl_plan.format_amount(20_000) == '20k'
  assert cmtl_plan.format_amount(1_666_666_666) == '1.67B'
  assert cmtl_plan.format_amount(7) == '7'
  assert cmtl_plan.format_table(((2, 0), (1, 3)), ['a', 'b']) == (
      'stage 1 [a:2] | stage 2 [a:1 b:3]')
