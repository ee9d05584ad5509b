"""jiant sampling distributions by hand, reproducible draws, MG interface."""

import collections
import math

import pytest
import tensorflow as tf

from official.modeling.multitask import task_sampler as mg_task_sampler
from official_ext.multitask import task_sampling as ts

SIZES = {'a': 100, 'b': 900}


def _approx(d, values, rel=1e-9):
  assert list(d) == list(values)
  for k in d:
    assert d[k] == pytest.approx(values[k], rel=rel), k


def test_hand_computed_distributions():
  _approx(ts.sampling_probabilities(SIZES, 'uniform'), {'a': 0.5, 'b': 0.5})
  _approx(ts.sampling_probabilities(SIZES, 'proportional'),
          {'a': 0.1, 'b': 0.9})
  _approx(ts.sampling_probabilities(SIZES, 'natural'), {'a': 0.1, 'b': 0.9})
  # sqrt: 10 and 30 -> 10/40, 30/40.
  _approx(ts.sampling_probabilities(SIZES, 'power', power=0.5),
          {'a': 0.25, 'b': 0.75})
  # ln 100 / (ln 100 + ln 900) = ln 10 / (ln 10 + ln 30)
  #   = 2.302585 / (2.302585 + 3.401197) = 0.403694.
  _approx(ts.sampling_probabilities(SIZES, 'log_proportional'),
          {'a': 0.403694, 'b': 0.596306}, rel=1e-5)
  # Default power 0.75: 100^.75 = 31.6228, 900^.75 = 164.3168.
  _approx(ts.sampling_probabilities(SIZES, 'power'),
          {'a': 31.6228 / 195.9396, 'b': 164.3168 / 195.9396}, rel=1e-5)


def test_three_tasks_order_kept_and_sum_to_one():
  p = ts.sampling_probabilities({'z': 1, 'y': 2, 'x': 7}, 'proportional')
  _approx(p, {'z': 0.1, 'y': 0.2, 'x': 0.7})
  assert math.fsum(p.values()) == pytest.approx(1.0)


def test_draws_are_reproducible_and_stateless():
  p = ts.sampling_probabilities(SIZES, 'proportional')
  first = ts.sample_tasks(p, 500, seed=3)
  assert first == ts.sample_tasks(p, 500, seed=3)
  assert first != ts.sample_tasks(p, 500, seed=4)
  # Step-by-step equals the batch; a resume at step 200 continues the run.
  assert [ts.task_for_step(p, s, seed=3) for s in range(500)] == first
  assert ts.sample_tasks(p, 300, seed=3, start_step=200) == first[200:]


def test_empirical_frequencies():
  p = ts.sampling_probabilities({'a': 100, 'b': 300, 'c': 600},
                                'proportional')
  n = 20_000
  counts = collections.Counter(ts.sample_tasks(p, n, seed=0))
  for task, prob in p.items():
    # 4 binomial standard deviations: sqrt(n p (1 - p)) <= 70.
    assert abs(counts[task] - n * prob) < 4 * math.sqrt(n * prob * (1 - prob))


def test_cumulative_last_is_exactly_one():
  p = {f't{i}': 0.1 for i in range(10)}
  cum = ts.cumulative(p)
  assert cum[-1] == 1.0 and cum[0] == pytest.approx(0.1)


def test_mg_task_sampler_interface():
  sampler = ts.SizeBasedTaskSampler(SIZES, method='proportional')
  assert isinstance(sampler, mg_task_sampler.TaskSampler)
  assert sampler.task_weights == SIZES
  cum = sampler.task_cumulative_distribution(tf.constant(0, tf.int64))
  assert cum.shape == (2,) and cum.dtype == tf.float32
  assert cum.numpy().tolist() == pytest.approx([0.1, 1.0])
  # Step-independent.
  assert (sampler.task_cumulative_distribution(tf.constant(10_000)).numpy()
          == cum.numpy()).all()


def test_power_matches_mg_proportional_sampler_alpha():
  ours = ts.SizeBasedTaskSampler({'a': 10, 'b': 20, 'c': 70}, 'power', 0.75)
  mg = mg_task_sampler.ProportionalTaskSampler({'a': 10, 'b': 20, 'c': 70},
                                               alpha=0.75)
  assert ours.task_cumulative_distribution(0).numpy() == pytest.approx(
      mg.task_cumulative_distribution(0).numpy(), rel=1e-6)


def test_mg_interleaving_selection_rule_with_our_sampler():
  # InterleavingTrainer.train_step's rule: rn ~ stateless U(seed=(0, step)),
  # the task whose [begin, end) holds rn runs. Exactly one task per step.
  sampler = ts.SizeBasedTaskSampler({'a': 1, 'b': 3}, 'proportional')

  @tf.function
  def picks(steps):
    cum = tf.concat([[0.0], sampler.task_cumulative_distribution(0)], 0)
    def one(step):
      rn = tf.random.stateless_uniform([], seed=tf.stack(
          [tf.constant(0, tf.int64), step]))
      hit = tf.logical_and(rn >= cum[:-1], rn < cum[1:])
      return tf.cast(hit, tf.int32)
    return tf.map_fn(one, steps, fn_output_signature=tf.int32)

  hits = picks(tf.range(400, dtype=tf.int64)).numpy()
  assert (hits.sum(axis=1) == 1).all()
  share_b = hits[:, 1].mean()
  assert abs(share_b - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 400)


@pytest.mark.parametrize('sizes, pattern', [
    ({'a': 0, 'b': 0}, "every task has size 0 \\('a', 'b'\\)"),
    ({'a': 10, 'b': 0}, "task 'b' has an empty training split"),
    ({'a': 10, 'b': -3}, "task 'b': negative size -3"),
    ({'a': 10, 'b': float('nan')}, "task 'b': size must be a finite"),
    ({'a': 10, 'b': True}, "task 'b': size must be a finite"),
    ({}, 'no tasks given'),
])
def test_bad_sizes(sizes, pattern):
  with pytest.raises(ValueError, match=pattern):
    ts.sampling_probabilities(sizes, 'proportional')


def test_every_weight_zero_and_single_zero_weight():
  with pytest.raises(ValueError, match="'log_proportional' gives every task "
                     'weight 0'):
    ts.sampling_probabilities({'a': 1, 'b': 1}, 'log_proportional')
  with pytest.raises(ValueError, match=r"task\(s\) \['a'\] weight 0"):
    ts.sampling_probabilities({'a': 1, 'b': 5}, 'log_proportional')


def test_unknown_method_lists_known_ones():
  with pytest.raises(ValueError, match="unknown sampling method 'annealing'; "
                     'known methods: log_proportional, natural, power, '
                     'proportional, uniform'):
    ts.sampling_probabilities(SIZES, 'annealing')
  with pytest.raises(ValueError, match='unknown sampling method'):
    ts.SizeBasedTaskSampler(SIZES, method='temperature')


def test_bad_probabilities():
  with pytest.raises(ValueError, match='sum to 1'):
    ts.task_for_step({'a': 0.5, 'b': 0.4}, 0)
