"""official_ext/trainer/nonfinite_rollback.py on the spine (toy regression
task, step k reads xs[k - 1]; an input of inf makes the loss NaN): a
rollback restores the last checkpoint, skips the window, matches a run that
never saw those inputs, and keeps skipping on resume; the limit and a
missing checkpoint stop in one line."""
import json
import os

import numpy as np
import pytest

from official_ext.trainer import fault_policy
from official_ext.trainer import nan_guard
from official_ext.trainer import nonfinite_rollback
from official_ext.trainer import spine
from tests.official_ext.trainer import trainer_fixtures as fx

XS = np.random.default_rng(0).normal(size=24)
ROLLBACK = fault_policy.FaultPolicy(on_nonfinite='rollback')


def _controller(trainer, model_dir, lines=None, faults=ROLLBACK,
                steps_per_loop=1):
  return spine.make_controller(
      trainer, model_dir, total_steps=12, steps_per_loop=steps_per_loop,
      checkpoint_interval=5, max_checkpoints=5,
      print_fn=(lines.append if lines is not None else lambda _: None),
      faults=faults)


def _with_inf(*indices):
  xs = XS.copy()
  xs[list(indices)] = np.inf
  return xs


def _clean_run(tmp_path, xs, steps=12):
  trainer = fx.regression_trainer(xs)
  _controller(trainer, str(tmp_path / 'clean'), faults=fault_policy
              .FaultPolicy()).train(steps=steps)
  return trainer.model.get_weights()[0]


def test_rollback_skips_the_window_and_matches_a_run_without_it(tmp_path):
  model_dir = str(tmp_path / 'rolled')
  trainer, lines = fx.regression_trainer(_with_inf(6)), []  # Step 7: NaN.
  _controller(trainer, model_dir, lines).train(steps=12)
  assert lines[5].startswith('step 6/12 |')
  assert lines[6] == (f'non-finite loss at step 7: loss=nan, mse_loss=nan; '
                      f'rolled back to {model_dir}/ckpt-5 (step 5), skipping '
                      'the data of steps 6-7 (rollback 1 of at most 3 in this '
                      'run).')
  assert lines[7].startswith('step 6/12 |')  # From step 5 again.
  assert int(trainer.global_step.numpy()) == 12
  # Steps 6.. read xs[7..]: as a run on xs without xs[5], xs[6].
  np.testing.assert_array_equal(trainer.model.get_weights()[0],
                                _clean_run(tmp_path, np.delete(XS, [5, 6])))
  with open(os.path.join(model_dir, 'skipped_data.json')) as f:
    (window,) = json.load(f)['windows']
  assert {k: window[k] for k in ('after_step', 'steps', 'bad_step',
                                 'checkpoint')} == {
      'after_step': 5, 'steps': 2, 'bad_step': 7,
      'checkpoint': f'{model_dir}/ckpt-5'}


def test_a_resumed_job_keeps_skipping_the_window(tmp_path):
  model_dir = str(tmp_path / 'rolled')
  first = fx.regression_trainer(_with_inf(6))
  _controller(first, model_dir).train(steps=10)  # Rolled back; ckpt-10.
  resumed = fx.regression_trainer(_with_inf(6))
  controller = _controller(resumed, model_dir)
  assert int(resumed.global_step.numpy()) == 10
  controller.train(steps=12)
  np.testing.assert_array_equal(resumed.model.get_weights()[0],
                                _clean_run(tmp_path, np.delete(XS, [5, 6])))


def test_a_window_recorded_ahead_of_the_restored_step_is_skipped(tmp_path):
  # A job restored to before a recorded window (its checkpoint gone) still
  # leaves the window out when it gets there (the stream is rebuilt).
  model_dir = str(tmp_path / 'model')
  windows = nonfinite_rollback.DataWindows()
  windows.add(after_step=5, bad_step=7, checkpoint='gone')
  os.makedirs(model_dir)
  windows.save(model_dir)
  trainer = fx.regression_trainer(XS)
  _controller(trainer, model_dir, steps_per_loop=5).train(steps=12)
  np.testing.assert_array_equal(trainer.model.get_weights()[0],
                                _clean_run(tmp_path, np.delete(XS, [5, 6])))


def test_the_rollback_limit_stops_in_one_line(tmp_path):
  model_dir = str(tmp_path)
  trainer = fx.regression_trainer(_with_inf(6, 9))  # Steps 7 and, after the
  faults = fault_policy.FaultPolicy('rollback', max_rollbacks=1)  # skip, 8.
  with pytest.raises(nonfinite_rollback.RollbackLimitError) as e:
    _controller(trainer, model_dir, faults=faults).train(steps=12)
  assert str(e.value) == (
      'non-finite loss at step 8: loss=nan, mse_loss=nan, after 1 '
      'rollback(s) in this run (--max_rollbacks=1): training stopped; the '
      'newest checkpoint is the last good one.')
  assert isinstance(e.value, nan_guard.NonFiniteLossError)  # CLIs: exit 1.
  assert sorted(f for f in os.listdir(model_dir) if f.endswith('.index')) == [
      'ckpt-5.index']


def test_no_checkpoint_to_roll_back_to(tmp_path):
  trainer = fx.regression_trainer(_with_inf(1))
  with pytest.raises(nonfinite_rollback.RollbackLimitError,
                     match=r'^non-finite loss at step 2: loss=nan, '
                     r'mse_loss=nan, and there is no checkpoint to roll back '
                     r'to: training stopped.$'):
    _controller(trainer, str(tmp_path)).train(steps=12)


def test_stop_is_the_default(tmp_path):
  trainer = fx.regression_trainer(_with_inf(6))
  with pytest.raises(nan_guard.NonFiniteLossError,
                     match='or rerun with --on_nonfinite=rollback'):
    _controller(trainer, str(tmp_path),
                faults=fault_policy.FaultPolicy()).train(steps=12)
  assert int(trainer.global_step.numpy()) == 7


def test_data_windows():
  windows = nonfinite_rollback.DataWindows()
  assert windows.data_step(10) == 10
  windows.add(after_step=5, bad_step=7, checkpoint='c5')
  windows.add(after_step=9, bad_step=12, checkpoint='c9')
  assert [windows.data_step(s) for s in (4, 5, 8, 9, 20)] == [4, 7, 10, 14,
                                                              25]
  assert windows.ranges(9) == [(5, 7), (9, 12)]
  assert windows.crosses(4, 5) and not windows.crosses(5, 8)
  assert windows.crosses(5, 9)
