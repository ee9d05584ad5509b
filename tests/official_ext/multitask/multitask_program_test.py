"""MultiTaskProgram: one multi-task update per Orbit step, exact data resume.

Fakes stand for the step (records what it is fed; the "loss" of a
sub-batch is its value), the plan and the tasks (stream of task `t` is
`offset_t + 0, 1, 2, ...`), so the numbers are hand-computed.
"""

import types

import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask import multitask_program
from official_ext.trainer import nan_guard
from official_ext.trainer import nonfinite_rollback

OFFSETS = {'a': 0.0, 'b': 100.0}


class _Plan:
  """Even updates: a, b; odd updates: a, a."""

  def tasks_for_update(self, update):
    return ['a', 'b'] if update % 2 == 0 else ['a', 'a']


class _Step:
  sub_batches_per_update = 2

  def __init__(self):
    self.fed, self.applies = [], 0
    self.optimizer = tf_keras.optimizers.SGD(0.25)

  def accumulate(self, task, features):
    self.fed.append((task, float(features)))
    return {'loss': features}

  def apply(self):
    self.applies += 1


def _task(name):
  def dataset(split, batch_size, is_training, seed, skip_batches,
              record_path=None):
    assert (split, batch_size, is_training, seed) == ('train', 3, True, 7)
    assert record_path is None
    return tf.data.Dataset.range(1000).skip(skip_batches).map(
        lambda x: tf.cast(x, tf.float32) + OFFSETS[name])
  return types.SimpleNamespace(spec=types.SimpleNamespace(name=name),
                               dataset=dataset)


def _program(start=0):
  step = _Step()
  global_step = tf.Variable(start, dtype=tf.int64)
  program = multitask_program.MultiTaskProgram(
      step, _Plan(), [_task('a'), _task('b')], batch_size=3, seed=7,
      global_step=global_step,
      checkpoint=tf.train.Checkpoint(update=global_step),
      strategy=tf.distribute.get_strategy())
  return program, step


def test_consumed_sub_batches():
  assert multitask_program.consumed_sub_batches(_Plan(), ['a', 'b'], 0) == {
      'a': 0, 'b': 0}
  # Updates 0..4: a,b | a,a | a,b | a,a | a,b.
  assert multitask_program.consumed_sub_batches(_Plan(), ['a', 'b'], 5) == {
      'a': 7, 'b': 3}


def test_train_runs_updates_and_logs_each_task_mean_loss():
  program, step = _program()
  logs = program.train(tf.constant(3))
  assert int(program.global_step.numpy()) == 3 and step.applies == 3
  assert step.fed == [('a', 0.0), ('b', 100.0), ('a', 1.0), ('a', 2.0),
                      ('a', 3.0), ('b', 101.0)]
  assert logs['a/loss'] == pytest.approx(1.5)  # mean of 0, 1, 2, 3
  assert logs['b/loss'] == pytest.approx(100.5)
  assert logs['learning_rate'] == pytest.approx(0.25)
  assert logs['examples_per_second'] > 0
  assert program.sub_batches_trained == {'a': 4, 'b': 2}


def test_a_resumed_program_sees_the_uninterrupted_batches():
  whole, whole_step = _program()
  whole.train(5)
  resumed, resumed_step = _program(start=3)
  resumed.train(2)
  assert resumed_step.fed == whole_step.fed[-len(resumed_step.fed):]
  assert resumed_step.fed == [('a', 4.0), ('a', 5.0), ('a', 6.0),
                              ('b', 102.0)]


def test_a_non_finite_loss_stops_before_the_update():
  program, step = _program()
  step.accumulate = lambda task, features: {'loss': float('nan')}
  with pytest.raises(nan_guard.NonFiniteLossError,
                     match="non-finite loss at step 1: task 'a' loss nan"):
    program.train(1)
  assert step.applies == 0 and int(program.global_step.numpy()) == 0


def test_stream_positions_leave_out_skipped_windows():
  windows = nonfinite_rollback.DataWindows()
  windows.add(after_step=2, bad_step=4, checkpoint='ckpt-2')
  # Built at update 2: updates 0, 1 (a,b | a,a) plus the window's updates
  # 2, 3 (a,b | a,a) are skipped.
  assert multitask_program.stream_positions(
      _Plan(), ['a', 'b'], 2, windows) == {'a': 6, 'b': 2}
  assert multitask_program.stream_positions(
      _Plan(), ['a', 'b'], 1, windows) == {'a': 1, 'b': 1}


def test_after_a_rollback_the_window_is_skipped_and_state_reset():
  program, step = _program()
  program.train(2)  # Updates 0, 1: a0 b100 | a1 a2.
  program.global_step.assign(1)  # Restored to update 1 ...
  program.data_windows.add(after_step=1, bad_step=2, checkpoint='ckpt-1')
  reset = []
  step.reset = lambda: reset.append(1)
  program.reset_train_state()
  assert reset == [1]
  program.train(1)  # ... update 1's plan (a, a), the data after update 1.
  assert step.fed[-2:] == [('a', 3.0), ('a', 4.0)]


def test_a_window_ahead_is_skipped_when_reached():
  program, step = _program()
  program.data_windows.add(after_step=1, bad_step=2, checkpoint='ckpt-1')
  program.train(2)  # Update 0 as usual; update 1 past the window.
  assert step.fed == [('a', 0.0), ('b', 100.0), ('a', 3.0), ('a', 4.0)]
