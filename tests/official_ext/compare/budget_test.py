"""official_ext/compare/budget.py: step counts per arm under one budget,
against FLOPs worked out by hand for the tiny and mini sizes."""
import pytest

from official_ext.compare import budget as budget_lib
from official_ext.compare import flops

# vocab 1000, 64 tokens, batch 32, 10 predictions per sequence.
_DATA = dict(vocab=1000, seq=64, batch=32, predictions=10)

# Forward FLOPs per sequence, by hand (S=64, P=10, V=1000):
#  tiny (L=2, H=64, E=32, F=128): a layer is 8*64*64^2 + 4*64^2*64 +
#   4*64*64*128 = 2097152 + 1048576 + 2097152 = 5242880; E->H projection
#   2*64*32*64 = 262144; MLM head 2*10*64*32 + 2*10*32*1000 = 680960.
#   MLM:   2 layers + projection + head = 11428864.
#   TEAMS: + a 1-layer generator (5242880), a second projection (262144),
#          RTD head with its task layer 5242880 + 2*64*64^2 + 2*64*64 =
#          5775360, MWS 2*10*64*32 + 2*10*6*32 = 44800: 22754048.
#   ELECTRA: generator 2 layers of (H 32, F 64): 2 * (8*64*32^2 +
#          4*64^2*32 + 4*64*32*64) = 3145728, no E->H_g projection (E = 32),
#          head 2*10*32*32 + 640000 = 660480, RTD 2*64*64^2 + 2*64*64 =
#          532480: 10485760 + 3145728 + 262144 + 660480 + 532480 = 15086592.
#  mini (L=2, H=E=128, F=512): a layer is 8388608 + 2097152 + 16777216 =
#   27262976; no projection; MLM head 2*10*128*128 + 2*10*128*1000 = 2887680.
#   MLM:   54525952 + 2887680 = 57413632.
#   TEAMS: + generator 27262976, RTD 27262976 + 2097152 + 16384 = 29376512,
#          MWS 327680 + 15360 = 343040: 114396160.
#   ELECTRA: generator 2 * (2097152 + 1048576 + 4194304) = 14680064, E->H_g
#          2*64*128*64 = 1048576, head 2*10*64*128 + 2560000 = 2723840,
#          RTD 2113536: 75091968.
PER_SEQUENCE = {
    ('tiny', 'mlm'): 11428864, ('tiny', 'teams'): 22754048,
    ('tiny', 'electra'): 15086592, ('mini', 'mlm'): 57413632,
    ('mini', 'teams'): 114396160, ('mini', 'electra'): 75091968,
}


def _shapes(size):
  return {objective: budget_lib.arm_shape(objective, objective, size,
                                          **_DATA)
          for objective in ('teams', 'mlm', 'electra')}


@pytest.mark.parametrize('size', ['tiny', 'mini'])
def test_flops_per_step_by_hand(size):
  for objective, shape in _shapes(size).items():
    # 3x forward (backward = 2x), 32 sequences.
    assert flops.train_flops_per_step(shape) == (
        3 * 32 * PER_SEQUENCE[(size, objective)]), objective


@pytest.mark.parametrize('size,mlm_steps,electra_steps', [
    # floor(1000 * TEAMS / MLM) and floor(1000 * TEAMS / ELECTRA).
    ('tiny', 1990, 1508), ('mini', 1992, 1523)])
def test_equal_flops(size, mlm_steps, electra_steps):
  shapes = _shapes(size)
  budget = budget_lib.flops_budget(shapes, 'teams', 1000)
  assert budget.kind == 'flops'
  assert budget.value == 1000 * 3 * 32 * PER_SEQUENCE[(size, 'teams')]
  planned = budget_lib.plan(shapes, budget)
  assert list(planned) == ['teams', 'mlm', 'electra']
  assert planned['teams'].steps == 1000
  assert planned['mlm'].steps == mlm_steps
  assert planned['electra'].steps == electra_steps
  for arm in planned.values():  # Nobody exceeds the budget by a step.
    assert budget.value - arm.flops_per_step < arm.flops <= budget.value


def test_equal_steps_and_flops_used():
  planned = budget_lib.plan(_shapes('tiny'),
                            budget_lib.Budget('steps', 500))
  assert {a.steps for a in planned.values()} == {500}
  assert planned['mlm'].flops == 500 * 3 * 32 * 11428864
  assert planned['mlm'].max_seconds is None


def test_wall_clock():
  planned = budget_lib.plan(_shapes('tiny'),
                            budget_lib.Budget('wall_clock', 600),
                            seconds_per_step={'mlm': 0.25})
  assert planned['mlm'].steps == 2400
  assert planned['teams'].steps is None  # no step time: stop on the clock
  assert planned['teams'].flops is None
  assert planned['teams'].max_seconds == 600.0


def test_budget_no_arm_can_meet():
  shapes = _shapes('tiny')
  with pytest.raises(budget_lib.BudgetError,
                     match=r"^arm 'teams': budget flops = 1e\+06 FLOPs is "
                     r'less than one of its steps \(2.18e\+09 FLOPs\)$'):
    budget_lib.plan(shapes, budget_lib.Budget('flops', 1e6))
  with pytest.raises(budget_lib.BudgetError, match="arm 'mlm'.*0.5 s"):
    budget_lib.plan(shapes, budget_lib.Budget('wall_clock', 0.4),
                    seconds_per_step={'mlm': 0.5})


@pytest.mark.parametrize('kind,value,message', [
    ('tokens', 5, "unknown budget kind 'tokens'"),
    ('steps', 0, 'budget steps must be > 0, got 0'),
    ('steps', 2.5, 'budget steps must be a whole number, got 2.5')])
def test_bad_budget(kind, value, message):
  with pytest.raises(budget_lib.BudgetError, match=message):
    budget_lib.Budget(kind, value)


def test_bad_arms():
  with pytest.raises(budget_lib.BudgetError, match="unknown size 'huge'"):
    budget_lib.arm_shape('a', 'mlm', 'huge', **_DATA)
  with pytest.raises(budget_lib.BudgetError,
                     match="arm 'a': unknown objective 'xlnet'"):
    budget_lib.arm_shape('a', 'xlnet', 'tiny', **_DATA)
  with pytest.raises(budget_lib.BudgetError, match="reference arm 'bert'"):
    budget_lib.flops_budget(_shapes('tiny'), 'bert', 10)
  with pytest.raises(budget_lib.BudgetError, match='no arms'):
    budget_lib.plan({}, budget_lib.Budget('steps', 1))
