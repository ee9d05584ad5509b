"""CMTL and CMTL+: exact budgets per stage, boundaries, draws, resume."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from official_ext.schedules import cmtl_plan
from official_ext.schedules import continual

TASKS = ['mlm', 'qt', 'so', 'tf_idf']


def run(schedule, tokens, start_step=0, jit_compile=False):
  """`[len(tokens), num_tasks]` weights through one tf.function."""
  n = len(tokens)

  @tf.function(jit_compile=jit_compile)
  def loop(tokens):
    out = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
      step = tf.cast(start_step + i, tf.int64)
      out = out.write(i, schedule.weights(step, tokens[i]))
    return out.stack()

  return loop(tf.constant(tokens, tf.int32)).numpy()


def picks(weights):
  """Index of the single active task per row (-1 when several are on)."""
  return [int(np.flatnonzero(w)[0]) if w.sum() == 1 else -1 for w in weights]


def test_steps_budgets_are_consumed_exactly_per_stage():
  s = continual.CmtlSchedule(TASKS, total_budget=200)   # C = 10
  assert s.budgets == ((20, 0, 0, 0), (10, 30, 0, 0), (10, 10, 40, 0),
                       (10, 10, 10, 50))
  chosen = picks(run(s, [1] * 205))
  windows = [(0, 20), (20, 60), (60, 120), (120, 200)]
  for (begin, end), row in zip(windows, s.budgets):
    counts = collections.Counter(chosen[begin:end])
    assert [counts[t] for t in range(4)] == list(row)
  assert chosen[200:] == [-1] * 5                 # then all tasks on
  assert int(s.stage.numpy()) == 4
  assert s.active(s.weights(tf.constant(205, tf.int64))) == tuple(TASKS)


def test_stage_changes_on_the_boundary_step():
  s = continual.CmtlSchedule(TASKS, total_budget=200)
  run(s, [1] * 19)
  assert int(s.stage.numpy()) == 0
  np.testing.assert_array_equal(s.remaining.numpy(), [1, 0, 0, 0])
  run(s, [1], start_step=19)
  assert int(s.stage.numpy()) == 1
  np.testing.assert_array_equal(s.remaining.numpy(), [10, 30, 0, 0])


def test_cmtl_plus_keeps_base_on_and_stages_the_aux_tasks():
  s = continual.CmtlPlusSchedule(TASKS, total_budget=120)  # 3 aux, C = 10
  assert s.staged_tasks == ('qt', 'so', 'tf_idf')
  assert s.budgets == ((20, 0, 0), (10, 30, 0), (10, 10, 40))
  w = run(s, [1] * 122)
  assert (w[:, 0] == 1).all()                       # mlm every step
  assert (w[:120].sum(axis=1) == 2).all()           # + exactly one aux
  chosen = picks(w[:, 1:])
  for (begin, end), row in zip([(0, 20), (20, 60), (60, 120)], s.budgets):
    counts = collections.Counter(chosen[begin:end])
    assert [counts[t] for t in range(3)] == list(row)
  assert (w[120:] == 1).all()


def test_draws_reproduce_for_a_seed_and_differ_for_another():
  tokens = [1] * 120
  a = picks(run(continual.CmtlSchedule(TASKS, 200, seed=7), tokens))
  b = picks(run(continual.CmtlSchedule(TASKS, 200, seed=7), tokens))
  c = picks(run(continual.CmtlSchedule(TASKS, 200, seed=8), tokens))
  assert a == b and a != c
  assert a[:20] == c[:20] == [0] * 20               # stage 1 is mlm only


def test_tokens_match_the_pure_python_plan_with_uneven_batches():
  rng = np.random.default_rng(0)
  tokens = [int(t) for t in rng.integers(1, 60, size=400)]
  s = continual.CmtlSchedule(['mlm', 'tf', 'cap'], total_budget=1200,
                             unit='tokens', seed=3)
  assert s.budgets == ((200, 0, 0), (100, 300, 0), (100, 100, 400))
  got = picks(run(s, tokens))
  plan = cmtl_plan.simulate(s.budgets, tokens, seed=3)
  assert got == [-1 if p is None else p for _, p in plan]
  # Independent check of the token accounting: within a stage a task is
  # picked until its budget is used up, the last pick may overshoot (the
  # remaining budget is clamped at 0), then never again.
  for stage, row in enumerate(s.budgets):
    steps = [i for i, (st, _) in enumerate(plan) if st == stage]
    for task, budget in enumerate(row):
      used = [tokens[i] for i in steps if got[i] == task]
      if not budget:
        assert not used
        continue
      assert sum(used) >= budget > sum(used) - used[-1]
  assert int(s.stage.numpy()) == 3 and got[-1] == -1
  assert int(s.units_seen.numpy()) == sum(tokens)


def test_picks_are_proportional_to_the_remaining_budget():
  s = continual.CmtlSchedule(TASKS, total_budget=10**9, unit='tokens',
                             seed=11)
  s.stage.assign(3)
  s.remaining.assign([10**6, 3 * 10**6, 0, 6 * 10**6])
  counts = np.bincount(picks(run(s, [1] * 3000)), minlength=4) / 3000
  np.testing.assert_allclose(counts, [0.1, 0.3, 0.0, 0.6], atol=0.03)


def test_resume_from_a_checkpoint_mid_stage_continues_identically(tmp_path):
  rng = np.random.default_rng(1)
  tokens = [int(t) for t in rng.integers(1, 20, size=150)]

  def build():
    return continual.CmtlPlusSchedule(TASKS, total_budget=900,
                                      unit='tokens', seed=5)

  whole = run(build(), tokens)
  first = build()
  head = run(first, tokens[:70])
  stage, remaining = int(first.stage.numpy()), first.remaining.numpy()
  assert 0 < stage < 3
  assert 0 < remaining.sum() < sum(first.budgets[stage])   # mid-stage
  path = tf.train.Checkpoint(schedule=first).write(str(tmp_path / 'ckpt'))
  resumed = build()
  tf.train.Checkpoint(schedule=resumed).read(path).assert_consumed()
  tail = run(resumed, tokens[70:], start_step=70)
  np.testing.assert_array_equal(np.concatenate([head, tail]), whole)
  assert int(resumed.stage.numpy()) == 3


def test_eager_graph_xla_and_strategy_agree():
  tokens = [3, 9, 1, 30, 7, 2, 8, 8] * 12

  def build():
    return continual.CmtlSchedule(TASKS, total_budget=400, unit='tokens',
                                  seed=2)

  eager = build()
  eager_w = np.stack([eager.weights(tf.constant(i, tf.int64), t).numpy()
                      for i, t in enumerate(tokens)])
  np.testing.assert_array_equal(run(build(), tokens), eager_w)
  np.testing.assert_array_equal(run(build(), tokens, jit_compile=True),
                                eager_w)
  strategy = tf.distribute.MirroredStrategy(['/cpu:0'])
  with strategy.scope():
    mirrored = build()

  @tf.function
  def replica_step(step, num_tokens):
    return strategy.run(mirrored.weights, args=(step, num_tokens))

  got = np.stack([replica_step(tf.constant(i, tf.int64),
                               tf.constant(t)).numpy()
                  for i, t in enumerate(tokens[:12])])
  np.testing.assert_array_equal(got, eager_w[:12])


def test_uniform_matches_the_pure_python_draw():
  s = continual.CmtlSchedule(TASKS, total_budget=200, seed=2**40 + 3)
  for step in (0, 1, 12345, 2**40):
    assert float(s.uniform(tf.constant(step, tf.int64))) == (
        cmtl_plan.uniform(2**40 + 3, step))


def test_after_last_stage_uniform_trains_one_task_at_a_time():
  s = continual.CmtlPlusSchedule(TASKS, total_budget=12, seed=1,
                                 after_last_stage='uniform')
  w = run(s, [1] * 612)
  assert (w[:, 0] == 1).all() and (w.sum(axis=1) == 2).all()
  counts = np.bincount(picks(w[12:, 1:]), minlength=3)
  assert counts.min() > 150                         # ~200 each


def test_describe_table5():
  s = continual.CmtlSchedule(TASKS, total_budget=200_000)
  assert s.describe() == (
      'cmtl: CMTL over [mlm, qt, so, tf_idf] in 4 stages, 200000 steps '
      '(C=10000): stage 1 [mlm:20k] | stage 2 [mlm:10k qt:30k] | stage 3 '
      '[mlm:10k qt:10k so:40k] | stage 4 [mlm:10k qt:10k so:10k tf_idf:50k]'
      '; then all staged tasks every step; seed 0')
  plus = continual.CmtlPlusSchedule(TASKS, total_budget=10**10,
                                    unit='tokens')
  assert plus.describe().startswith(
      'cmtl+: mlm every step; CMTL over [qt, so, tf_idf] in 3 stages, '
      '10000000000 tokens (C=8.33333e+08): stage 1 [qt:1.67B] |')
  clone = type(plus).from_config(plus.get_config())
  assert clone.describe() == plus.describe()


@pytest.mark.parametrize('build,match', [
    (lambda: continual.CmtlSchedule(TASKS, total_budget=19),
     r'cmtl \(unit=steps\): total_budget=19 is too small .* >= 20'),
    (lambda: continual.CmtlPlusSchedule(TASKS, total_budget=11,
                                        unit='tokens'),
     r'cmtl\+ \(unit=tokens\): total_budget=11 .* >= 12'),
    (lambda: continual.CmtlPlusSchedule(['mlm'], total_budget=100),
     'no task besides'),
    (lambda: continual.CmtlPlusSchedule(['qt', 'so'], total_budget=100),
     "base_task='mlm' is not in"),
    (lambda: continual.CmtlSchedule(['mlm', 'qt', 'qt'], total_budget=100),
     'more than once'),
    (lambda: continual.CmtlSchedule(TASKS, 200, seed=-1), 'seed=-1'),
    (lambda: continual.CmtlSchedule(TASKS, 200, after_last_stage='stop'),
     "after_last_stage='stop'"),
])
def test_bad_settings_name_the_setting(build, match):
  with pytest.raises(ValueError, match=match):
    build()
