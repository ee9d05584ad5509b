"""official_ext/compare/spec.py + configurables.py: the shipped comparison
gin files parse, pass the checks and get their budgets; bad specs stop with
one line."""
import dataclasses
import glob
import os

import pytest

from official_ext.compare import arms as arms_lib
from official_ext.compare import budget as budget_lib
from official_ext.compare import configurables
from official_ext.compare import spec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
DATA = ["Comparison.records = 'demo/records/manifest.json'",
        "Comparison.vocab = 'demo/vocab.txt'"]


def _parse(name, *bindings):
  return configurables.parse(os.path.join(REPO, 'gin', 'compare', name),
                             DATA + list(bindings))


@pytest.mark.parametrize('path', sorted(glob.glob(
    os.path.join(REPO, 'gin', 'compare', '*.gin'))))
def test_every_comparison_checks(path):
  comparison = configurables.parse(path, DATA)
  tasks, plan = comparison.check()
  assert tasks
  for arm in comparison.arms:
    for gin_file in arm.gin_files:
      assert os.path.exists(os.path.join(REPO, gin_file)), gin_file
    assert (arm.name in plan) == arm.pretrains


def test_teams_electra_bert_mini_equal_flops():
  comparison = _parse('teams_electra_bert_mini.gin')
  assert [a.name for a in comparison.arms] == ['teams', 'electra', 'bert',
                                               'random']
  _, plan = comparison.check()
  # Mini at 64 tokens, 10 predictions, vocab 8000, per sequence (as in
  # budget_test, with the MLM logits 2*10*128*8000 = 20480000): MLM
  # 54525952 + 327680 + 20480000 = 75333632; TEAMS 54525952 + 27262976 +
  # 20807680 + 29376512 + 343040 = 132316160; ELECTRA 54525952 + 14680064 +
  # 1048576 + (163840 + 20480000) + 2113536 = 93011968.
  # Steps: floor(800 * TEAMS / arm): 105852928000 / 75333632 = 1405.1,
  # / 93011968 = 1138.05.
  assert {name: arm.steps for name, arm in plan.items()} == {
      'teams': 800, 'bert': 1405, 'electra': 1138}
  assert plan['teams'].flops == 800 * 3 * 32 * 132316160
  resolved = {a.name: a for a in comparison.resolved_arms()}
  assert resolved['bert'].records == 'demo/records/manifest.json'
  assert resolved['random'].records is None  # not pretrained
  assert resolved['random'].vocab == 'demo/vocab.txt'


@pytest.mark.parametrize('bindings,error,message', [
    (["electra/compare_arm.vocab = 'other.txt'"], arms_lib.ArmError,
     "^arm 'electra' uses vocab 'other.txt', arm 'teams' uses "
     "'demo/vocab.txt': every arm must use the same vocab$"),
    (["Comparison.tasks = ['glue/sst2', 'glue/imdb']"], arms_lib.ArmError,
     "^task suite: unknown task 'glue/imdb'"),
    (['Comparison.reference_arm = None', "Comparison.budget_kind = 'steps'"],
     budget_lib.BudgetError, '^budget_kind = steps needs budget_value$'),
    (['Comparison.reference_arm = None', 'Comparison.budget_value = 1e9'],
     budget_lib.BudgetError, "^arm 'teams': budget flops = 1e\\+09 FLOPs "
     'is less than one of its steps'),
    (["Comparison.budget_kind = 'steps'"], budget_lib.BudgetError,
     '^reference_arm needs budget_kind = flops and reference_steps$'),
    (['bert/compare_arm.size = None'], arms_lib.ArmError,
     "^arm 'bert': a pretraining arm needs objective and size"),
    (['Comparison.seeds = []'], arms_lib.ArmError,
     '^no fine-tuning seeds$'),
])
def test_bad_comparison(bindings, error, message):
  with pytest.raises(error, match=message):
    _parse('teams_electra_bert_mini.gin', *bindings).check()


def test_arm_factory_makes_tuples():
  made = spec.arm('a', gin_files=['x.gin'], bindings=['A = 1'])
  assert made == arms_lib.ArmSpec(name='a', gin_files=('x.gin',),
                                  bindings=('A = 1',))
  assert dataclasses.is_dataclass(made)


@pytest.mark.parametrize('path', sorted(glob.glob(
    os.path.join(REPO, 'gin', 'compare', '*.gin'))))
def test_arm_recipes_parse_at_their_size(path):
  # Each pretraining arm's gin files + bindings parse as a pretraining
  # experiment whose %SIZE is the size its FLOPs are counted at.
  import gin  # pylint: disable=g-import-not-at-top
  from official_ext.trainer import gin_setup  # pylint: disable=g-import-not-at-top
  comparison = configurables.parse(path, DATA)
  for arm in comparison.arms:
    if arm.pretrains:
      gin_setup.parse(arm.gin_files, list(arm.bindings) +
                      ["DATA_MANIFEST = 'demo/records/manifest.json'"])
      assert gin.query_parameter('%SIZE') == arm.size, arm.name
      assert gin.query_parameter('%MAX_SEQ_LENGTH') == (
          comparison.seq_length), arm.name
      assert gin.query_parameter('%BATCH_SIZE') == comparison.batch_size


def test_olfmlm_table2_mini_arms_data_and_budget():
  comparison = configurables.parse(os.path.join(
      REPO, 'gin', 'compare', 'olfmlm_table2_mini.gin'))
  _, plan = comparison.check()
  combinations = ['sum', 'inc', 'alt', 'altplus', 'cmtl', 'cmtlplus']
  assert [a.name for a in comparison.arms] == (
      ['mlm', 'qt', 'so', 'tfidf'] +
      [f'qt_so_tfidf_{c}' for c in combinations])
  assert {a.steps for a in plan.values()} == {300}  # equal steps
  resolved = {a.name: a.records for a in comparison.resolved_arms()}
  assert resolved['so'] == 'so' and resolved['qt'] == 'consecutive'
  assert dict(comparison.streams) == {'so': 'so'}
  assert set(comparison.record_sets) == {'consecutive', 'so'}
  # The schedules' budgets are the run's 300 steps.
  import gin  # pylint: disable=g-import-not-at-top
  from official_ext.trainer import gin_setup  # pylint: disable=g-import-not-at-top
  for arm in comparison.arms:
    if arm.name.endswith(('cmtl', 'cmtlplus', 'inc')):
      gin_setup.parse(arm.gin_files, list(arm.bindings) +
                      ["DATA_MANIFEST = 'demo/records/manifest.json'"])
      assert str(gin.query_parameter(
          'multi_objective_task.schedule_options')) == '%SCHEDULE'
      options = gin.query_parameter('%SCHEDULE')
      assert options == ({'epoch_budget': 75} if arm.name.endswith('inc')
                         else {'unit': 'steps', 'total_budget': 300})


def test_wall_clock_budget_from_measured_step_times():
  comparison = _parse(
      'teams_electra_bert_mini.gin', 'Comparison.reference_arm = None',
      "Comparison.budget_kind = 'wall_clock'", 'Comparison.budget_value = 60',
      "Comparison.seconds_per_step = {'teams': 0.19, 'electra': 0.15}")
  plan = comparison.plan()
  # floor(60 / 0.19) = 315, floor(60 / 0.15) = 400; bert unmeasured: open.
  assert (plan['teams'].steps, plan['electra'].steps) == (315, 400)
  assert plan['bert'].steps is None and plan['bert'].max_seconds == 60.0
