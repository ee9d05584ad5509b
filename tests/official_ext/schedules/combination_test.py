"""sum, inc, alt and alt+: hand-written active sets, TF graph path, errors."""

import numpy as np
import pytest
import tensorflow as tf

from official_ext.schedules import combination as comb

TASKS = ['mlm', 'qt', 'so', 'tf_idf']
SENTENCE = {'qt', 'so', 'nsp'}   # a superset of the listed sentence tasks


def run(schedule, num_steps, tokens=None, start_step=0):
  """Active names per step through `weights` inside one tf.function."""
  tokens = tf.constant([1] * num_steps if tokens is None else tokens)

  @tf.function
  def loop(tokens):
    out = tf.TensorArray(tf.float32, size=num_steps)
    for i in tf.range(num_steps):
      step = tf.cast(start_step + i, tf.int64)
      out = out.write(i, schedule.weights(step, tokens[i]))
    return out.stack()

  return [schedule.active(w) for w in loop(tokens).numpy()]


def test_sum_cycles_one_sentence_task_by_step():
  s = comb.SumSchedule(TASKS, sentence_tasks=SENTENCE)
  assert run(s, 5) == [('mlm', 'qt', 'tf_idf'), ('mlm', 'so', 'tf_idf'),
                       ('mlm', 'qt', 'tf_idf'), ('mlm', 'so', 'tf_idf'),
                       ('mlm', 'qt', 'tf_idf')]
  three = comb.SumSchedule(['mlm', 'nsp', 'tf', 'so', 'qt'],
                           sentence_tasks=lambda t: t in SENTENCE)
  assert run(three, 4) == [('mlm', 'nsp', 'tf'), ('mlm', 'tf', 'so'),
                           ('mlm', 'tf', 'qt'), ('mlm', 'nsp', 'tf')]
  # No sentence-level task: everything every step.
  assert run(comb.SumSchedule(TASKS), 2) == [tuple(TASKS)] * 2


def test_weights_are_float32_ones_and_zeros_in_task_order_eagerly():
  s = comb.SumSchedule(TASKS, sentence_tasks=SENTENCE)
  w = s.weights(tf.constant(1, tf.int64), tf.constant(7))
  assert w.dtype == tf.float32 and w.shape == [4]
  np.testing.assert_array_equal(w.numpy(), [1, 0, 1, 1])
  assert int(s.units_seen.numpy()) == 1            # unit='steps'


def test_inc_joins_task_k_at_epoch_k_in_steps():
  s = comb.IncSchedule(TASKS, epoch_budget=2, sentence_tasks=SENTENCE)
  assert run(s, 9) == [
      ('mlm',), ('mlm',),                           # epoch 0
      ('mlm', 'qt'), ('mlm', 'qt'),                 # epoch 1
      ('mlm', 'qt'), ('mlm', 'so'),                 # epoch 2: step mod 2
      ('mlm', 'qt', 'tf_idf'), ('mlm', 'so', 'tf_idf'),   # epoch 3
      ('mlm', 'qt', 'tf_idf')]                      # and on
  plain = comb.IncSchedule(TASKS, epoch_budget=1)
  assert run(plain, 4) == [('mlm',), ('mlm', 'qt'), ('mlm', 'qt', 'so'),
                           tuple(TASKS)]


def test_inc_counts_tokens_before_the_step():
  tasks = ['mlm', 'tf', 'tf_idf', 'cap']
  s = comb.IncSchedule(tasks, epoch_budget=100, unit='tokens')
  # Tokens seen before each step: 0 60 110 120 210 215 415 416
  # -> epochs 0 0 1 1 2 2 4 4.
  tokens = [60, 50, 10, 90, 5, 200, 1, 1]
  expected = [('mlm',), ('mlm',), ('mlm', 'tf'), ('mlm', 'tf'),
              ('mlm', 'tf', 'tf_idf'), ('mlm', 'tf', 'tf_idf'),
              tuple(tasks), tuple(tasks)]
  assert s.simulate(8, tokens) == expected          # clone: s untouched
  assert int(s.units_seen.numpy()) == 0
  assert run(s, 8, tokens) == expected
  assert int(s.units_seen.numpy()) == 417


def test_inc_token_state_survives_a_checkpoint(tmp_path):
  tasks = ['mlm', 'tf', 'tf_idf', 'cap']
  tokens = [60, 50, 10, 90, 5, 200, 1, 1]
  first = comb.IncSchedule(tasks, epoch_budget=100, unit='tokens')
  run(first, 3, tokens[:3])
  path = tf.train.Checkpoint(schedule=first).write(str(tmp_path / 'ckpt'))
  resumed = comb.IncSchedule(tasks, epoch_budget=100, unit='tokens')
  tf.train.Checkpoint(schedule=resumed).read(path).assert_consumed()
  assert run(resumed, 5, tokens[3:], start_step=3) == [
      ('mlm', 'tf'), ('mlm', 'tf', 'tf_idf'), ('mlm', 'tf', 'tf_idf'),
      tuple(tasks), tuple(tasks)]


def test_float_and_int32_token_counts():
  s = comb.IncSchedule(['mlm', 'tf'], epoch_budget=10, unit='tokens')
  s.weights(tf.constant(0, tf.int64), tf.reduce_sum(tf.ones([2, 3])))  # 6.0
  s.weights(tf.constant(1, tf.int64), tf.constant(4, tf.int32))
  assert int(s.units_seen.numpy()) == 10
  assert s.active(s.weights(tf.constant(2, tf.int64), 1)) == ('mlm', 'tf')


def test_alt_trains_one_task_per_step():
  s = comb.AltSchedule(['mlm', 'qt', 'so'])
  assert run(s, 6) == [('mlm',), ('qt',), ('so',)] * 2
  assert run(s, 2, start_step=10) == [('qt',), ('so',)]   # 10 mod 3 = 1


def test_alt_plus_keeps_the_base_task_on():
  s = comb.AltPlusSchedule(TASKS, sentence_tasks=SENTENCE)
  assert run(s, 4) == [('mlm', 'qt'), ('mlm', 'so'), ('mlm', 'tf_idf'),
                       ('mlm', 'qt')]
  other_order = comb.AltPlusSchedule(['qt', 'mlm', 'so'])
  assert run(other_order, 3) == [('qt', 'mlm'), ('mlm', 'so'),
                                 ('qt', 'mlm')]


def test_describe_and_config_round_trip():
  cases = {
      comb.SumSchedule(TASKS, sentence_tasks=SENTENCE):
          'sum: every step mlm + tf_idf + one of [qt, so] (step mod 2)',
      comb.AltSchedule(['mlm', 'qt', 'so']):
          'alt: step s trains [mlm, qt, so][s mod 3] only',
      comb.AltPlusSchedule(TASKS):
          'alt+: step s trains mlm + [qt, so, tf_idf][s mod 3]',
      comb.IncSchedule(['mlm', 'tf'], epoch_budget=5, unit='tokens'):
          'inc: epoch = 5 tokens; mlm from 0, tf from 5 tokens; joined '
          'tasks summed (mlm + tf once all joined)',
  }
  for schedule, text in cases.items():
    assert schedule.describe() == text
    clone = type(schedule).from_config(schedule.get_config())
    assert clone.describe() == text and clone.tasks == schedule.tasks


@pytest.mark.parametrize('build,match', [
    (lambda: comb.SumSchedule(['mlm', 'qt', 'mlm']), r"\['mlm'\] more than"),
    (lambda: comb.SumSchedule(['qt', 'so']), "base_task='mlm' is not in"),
    (lambda: comb.AltSchedule(['qt', 'so'], base_task='mlm'),
     "base_task='mlm' is not in"),
    (lambda: comb.SumSchedule(['qt'], base_task=None), 'set base_task'),
    (lambda: comb.AltPlusSchedule(['qt'], base_task=None), 'set base_task'),
    (lambda: comb.AltPlusSchedule(['mlm']), 'no task besides'),
    (lambda: comb.SumSchedule(['mlm', 'qt'], sentence_tasks={'mlm'}),
     'base task is token-level'),
    (lambda: comb.SumSchedule([]), 'non-empty'),
    (lambda: comb.SumSchedule('mlm'), 'non-empty'),
    (lambda: comb.AltSchedule(['mlm'], unit='epochs'), "unit='epochs'"),
    (lambda: comb.IncSchedule(['mlm'], epoch_budget=0), 'epoch_budget=0'),
    (lambda: comb.IncSchedule(['mlm'], epoch_budget=2.5), 'epoch_budget=2.5'),
])
def test_bad_settings_name_the_setting(build, match):
  with pytest.raises(ValueError, match=match):
    build()


def test_base_task_is_optional_where_nothing_keeps_it_on():
  s = comb.AltSchedule(['qt', 'so'], base_task=None)
  assert run(s, 2) == [('qt',), ('so',)]


def test_tokens_unit_needs_num_tokens():
  s = comb.AltSchedule(['mlm', 'qt'], unit='tokens')
  with pytest.raises(ValueError, match='pass num_tokens'):
    s.weights(tf.constant(0, tf.int64))
