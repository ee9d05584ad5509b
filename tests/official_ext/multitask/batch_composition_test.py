"""Batch compositions: sequential shares, draws, stratified mixes, replicas."""

import collections

import pytest

from official_ext.multitask import batch_composition as bc
from official_ext.multitask import task_sampling as ts

P3 = {'a': 0.5, 'b': 0.3, 'c': 0.2}


def _seq(plan, n):
  return [t for u in range(n) for t in plan.tasks_for_update(u)]


def test_dataset_homogeneous_shares_by_hand():
  plan = bc.build_composition('dataset_homogeneous', P3, total_updates=10)
  assert _seq(plan, 10) == list('aaaaabbbcc')
  assert plan.shares == {'a': 5, 'b': 3, 'c': 2}
  assert all(len(plan.tasks_for_update(u)) == 1 for u in range(10))


@pytest.mark.parametrize('weights, total, shares', [
    # 10/3 each: floors 3, 3, 3; the leftover unit to the earliest tie.
    ({'a': 1, 'b': 1, 'c': 1}, 10, {'a': 4, 'b': 3, 'c': 3}),
    # 3.15, 3.15, 0.7: floors 3, 3, 0; leftover to c (remainder .7).
    ({'a': .45, 'b': .45, 'c': .1}, 7, {'a': 3, 'b': 3, 'c': 1}),
    # 9.8, .1, .1 -> 10, 0, 0; b and c lifted to 1, taken from a.
    ({'a': .98, 'b': .01, 'c': .01}, 10, {'a': 8, 'b': 1, 'c': 1}),
    # Weights need not sum to 1: 2:6 of 8.
    ({'x': 1, 'y': 3}, 8, {'x': 2, 'y': 6}),
])
def test_dataset_homogeneous_rounding(weights, total, shares):
  plan = bc.build_composition('dataset_homogeneous', weights,
                              total_updates=total)
  assert plan.shares == shares
  assert sum(plan.shares.values()) == total
  assert bc.mix_counts(plan, range(total)) == shares


def test_zero_weight_task_never_trains():
  plan = bc.build_composition('dataset_homogeneous',
                              {'a': .5, 'b': 0, 'c': .5}, total_updates=4)
  assert _seq(plan, 4) == list('aacc')
  assert bc.mix_counts(plan, range(4)) == {'a': 2, 'b': 0, 'c': 2}
  homo = bc.build_composition('batch_homogeneous', {'a': 1, 'b': 0})
  assert set(_seq(homo, 200)) == {'a'}


def test_batch_homogeneous_is_task_for_step_and_deterministic():
  plan = bc.build_composition('batch_homogeneous', P3, seed=7)
  picks = _seq(plan, 500)
  assert picks == ts.sample_tasks(P3, 500, seed=7)
  # A fresh plan (a resumed run) repeats the picks; another seed does not.
  again = bc.build_composition('batch_homogeneous', P3, seed=7)
  assert [again.tasks_for_update(u)[0] for u in range(300, 500)] == (
      picks[300:])
  assert _seq(bc.build_composition('batch_homogeneous', P3, seed=8),
              500) != picks


def test_batch_homogeneous_frequencies():
  plan = bc.build_composition('batch_homogeneous', P3, seed=0)
  n = 20_000
  counts = bc.mix_counts(plan, range(n))
  assert sum(counts.values()) == n
  for task, p in P3.items():
    assert abs(counts[task] / n - p) < 0.01, (task, counts)


def test_stratified_exact_mix_every_update():
  plan = bc.build_composition('batch_heterogeneous',
                              {'a': .5, 'b': .25, 'c': .25},
                              tasks_per_update=4)
  assert plan.stratified
  for u in range(1000):
    assert plan.tasks_for_update(u) == ['a', 'a', 'b', 'c']


def test_stratified_leftover_slots_drawn_by_remainder():
  # k = 2: exact 1.0, 0.6, 0.4 -> one 'a' fixed, the other slot b or c
  # with probability .6 / .4.
  plan = bc.build_composition('batch_heterogeneous', P3, tasks_per_update=2,
                              seed=1)
  n = 10_000
  seen = collections.Counter()
  for u in range(n):
    tasks = plan.tasks_for_update(u)
    assert tasks[0] == 'a' and tasks[1] in ('b', 'c')
    seen[tasks[1]] += 1
  # 4 binomial sd: sqrt(10000 * .6 * .4) = 49.
  assert abs(seen['b'] - 6000) < 4 * 49
  counts = bc.mix_counts(plan, range(n))
  assert counts['a'] == n and counts['b'] + counts['c'] == n
  # Another seed, other leftover picks; the same seed, the same ones.
  other = bc.build_composition('batch_heterogeneous', P3, tasks_per_update=2,
                               seed=2)
  assert _seq(other, 200) != _seq(plan, 200)
  assert _seq(plan, 200) == _seq(
      bc.build_composition('batch_heterogeneous', P3, tasks_per_update=2,
                           seed=1), 200)


def test_stratified_each_task_gets_floor_or_ceil():
  # k = 4: exact 1.6, 1.4, 1.0 -> a 1 or 2, b 1 or 2, c exactly 1; one
  # leftover slot, to a with probability .6.
  p = {'a': .4, 'b': .35, 'c': .25}
  plan = bc.build_composition('batch_heterogeneous', p, tasks_per_update=4)
  n = 5000
  for u in range(n):
    c = collections.Counter(plan.tasks_for_update(u))
    assert c['c'] == 1 and sorted([c['a'], c['b']]) == [1, 2]
  counts = bc.mix_counts(plan, range(n))
  assert abs(counts['a'] / n - 1.6) < 0.03
  assert counts['c'] == n


def test_independent_heterogeneous_draws():
  plan = bc.build_composition('batch_heterogeneous', P3, tasks_per_update=4,
                              stratified=False, seed=3)
  assert not plan.stratified
  # Slot s of update u is draw u * 4 + s of task_for_step.
  assert plan.tasks_for_update(5) == [
      ts.task_for_step(P3, 20 + s, 3) for s in range(4)]
  n = 5000
  counts = bc.mix_counts(plan, range(n))
  for task, p in P3.items():
    assert abs(counts[task] / (4 * n) - p) < 0.01, (task, counts)
  # Unlike the stratified plan, some updates hold only one task.
  assert any(len(set(plan.tasks_for_update(u))) == 1 for u in range(n))


def test_replica_tasks():
  plan = bc.build_composition('batch_heterogeneous',
                              {'a': .5, 'b': .25, 'c': .25},
                              tasks_per_update=4)
  assert plan.replica_tasks(0, 4) == ['a', 'a', 'b', 'c']
  assert plan.replica_tasks(9, 2) == ['a', 'a']
  assert plan.replica_tasks(9, 2, micro_step=1) == ['b', 'c']
  with pytest.raises(ValueError, match='tasks_per_update = 4 is not a '
                     'multiple of num_replicas = 3'):
    plan.replica_tasks(0, 3)
  with pytest.raises(ValueError, match='micro_step 2 out of range'):
    plan.replica_tasks(0, 2, micro_step=2)
  homo = bc.build_composition('batch_homogeneous', P3)
  assert homo.replica_tasks(4, 8) == homo.tasks_for_update(4) * 8
  with pytest.raises(ValueError, match='micro_step must be 0'):
    homo.replica_tasks(4, 8, micro_step=1)


def test_describe():
  text = bc.build_composition('batch_heterogeneous', P3,
                              tasks_per_update=2).describe()
  assert text.startswith('batch_heterogeneous: 2 sub-batches per update, '
                         'stratified (fixed: a x1; 1 slot(s)')
  assert 'a: 0.5' in text
  assert 'a x5, b x3, c x2' in bc.build_composition(
      'dataset_homogeneous', P3, total_updates=10).describe()
  assert bc.build_composition('batch_homogeneous', P3).describe().startswith(
      'batch_homogeneous: one sampled task per update')


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(kind='interleaved', probabilities=P3),
     "unknown batch composition kind 'interleaved'; known kinds: "
     'dataset_homogeneous, batch_homogeneous, batch_heterogeneous'),
    (dict(kind='batch_homogeneous', probabilities={}), 'no tasks given'),
    (dict(kind='batch_homogeneous', probabilities={'a': 1, 'b': -0.1}),
     "task 'b': negative sampling weight -0.1"),
    (dict(kind='batch_homogeneous', probabilities={'a': float('nan')}),
     "task 'a': sampling weight must be a finite number"),
    (dict(kind='batch_homogeneous', probabilities={'a': 0, 'b': 0.0}),
     r"sampling weight 0 for every task \('a', 'b'\)"),
    (dict(kind='batch_homogeneous', probabilities=P3, tasks_per_update=0),
     'tasks_per_update must be an integer >= 1, got 0'),
    (dict(kind='batch_heterogeneous', probabilities=P3),
     'batch_heterogeneous needs tasks_per_update >= 2, got 1; for one task '
     "per update use kind='batch_homogeneous'"),
    (dict(kind='batch_homogeneous', probabilities=P3, tasks_per_update=4),
     'batch_homogeneous trains one task per update: tasks_per_update must '
     'be 1, got 4'),
    (dict(kind='dataset_homogeneous', probabilities=P3),
     'dataset_homogeneous needs total_updates'),
    (dict(kind='dataset_homogeneous', probabilities=P3, total_updates=2),
     'total_updates = 2 is fewer than the 3 tasks with weight > 0'),
    (dict(kind='batch_homogeneous', probabilities=P3, seed=-1),
     'seed must be an integer >= 0, got -1'),
])
def test_errors(kwargs, pattern):
  kind = kwargs.pop('kind')
  probabilities = kwargs.pop('probabilities')
  with pytest.raises(ValueError, match=pattern):
    bc.build_composition(kind, probabilities, **kwargs)


def test_update_errors():
  plan = bc.build_composition('dataset_homogeneous', P3, total_updates=10)
  with pytest.raises(ValueError, match=r'update 10 is past the plan: '
                     r'total_updates = 10 \(updates 0..9\)'):
    plan.tasks_for_update(10)
  with pytest.raises(ValueError, match='update must be an integer >= 0'):
    plan.tasks_for_update(-1)
  with pytest.raises(ValueError, match='num_replicas must be an integer >= 1'):
    plan.replica_tasks(0, 0)
