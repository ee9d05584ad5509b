"""Grid expansion, run directories, reuse of finished runs."""

import dataclasses
import json
import os

import pytest

from official_ext import output_dir
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import grid
from official_ext.finetuning import runner


def test_expand_is_configuration_major():
  points = grid.expand([1e-4, 3e-5], [16, 32], [3], seeds=2, first_seed=5)
  assert len(points) == 8
  assert [p.seed for p in points[:2]] == [5, 6]
  assert points[0].config_name == 'lr0.0001_bs16_ep3'
  assert points[-1].config_name == 'lr3e-5_bs32_ep3'
  assert grid.config_name(2.5e-5, 8, 2) == 'lr2.5e-5_bs8_ep2'


@pytest.mark.parametrize('epochs, num_train, batch, min_steps, want', [
    (2, 100, 32, 150, 48),   # 48 x 100 / 32 = 150 steps exactly
    (2, 2000, 32, 100, 2),   # 125 steps already
    (2, 2000, 32, 150, 3),   # 125 -> 188
    (1, 6, 8, 3, 3),         # ceil(3 x 6 / 8) = 3
    (5, 10, 4, 0, 5),        # off
])
def test_epochs_for_min_steps_is_the_fewest_that_reach_the_steps(
    epochs, num_train, batch, min_steps, want):
  got = grid.epochs_for_min_steps(epochs, num_train, batch, min_steps)
  assert got == want
  if min_steps and got > epochs:
    assert runner.num_train_steps(num_train, batch, got) >= min_steps
    assert runner.num_train_steps(num_train, batch, got - 1) < min_steps


def test_expand_raises_epochs_per_batch_size_and_merges_equal_points():
  points = grid.expand([1e-4], [8, 16], [1, 2], seeds=1, min_train_steps=4,
                       num_train=16)
  # batch 8: 2 steps an epoch -> 2 epochs (1 and 2 merge); batch 16: 4.
  assert [p.config_name for p in points] == ['lr0.0001_bs8_ep2',
                                             'lr0.0001_bs16_ep4']


@pytest.mark.parametrize('kwargs, message', [
    (dict(seeds=0), '--seeds must be at least 1'),
    (dict(learning_rates=[]), '--learning_rates needs positive values'),
    (dict(batch_sizes=[0]), r'--batch_sizes needs positive values, got \[0\]'),
])
def test_expand_rejects_bad_settings(kwargs, message):
  args = dict(learning_rates=[1e-4], batch_sizes=[32], epochs=[3], seeds=1)
  args.update(kwargs)
  with pytest.raises(grid.GridError, match=message):
    grid.expand(**args)


def test_defaults_follow_the_encoder_size():
  sst2 = glue_tasks.GLUE_TASKS['sst2']
  squad = glue_tasks.SQUAD_TASKS['v1.1']
  assert grid.default_learning_rates(sst2, 'small') == [1e-4]
  assert grid.default_learning_rates(sst2, 'base') == [3e-5]
  assert grid.default_learning_rates(squad, 'base') == [5e-5]
  assert grid.DEFAULT_EPOCHS == {'glue': 3, 'squad': 2}


def test_finished_runs_are_reused_and_clashes_refused(tmp_path, monkeypatch):
  task = glue_tasks.GLUE_TASKS['sst2']
  base = runner.RunConfig(seed=0, learning_rate=0, batch_size=1, epochs=1,
                          max_seq_length=32)
  points = grid.expand([1e-4], [8], [1], seeds=2)
  calls = []

  def fake_run(task, cfg, source, prepared, vocab, run_dir, extra):
    del task, source, prepared, vocab
    calls.append(cfg.seed)
    record = {'status': 'ok', 'settings': dataclasses.asdict(cfg),
              'score': 50.0 + cfg.seed, **extra}
    os.makedirs(run_dir, exist_ok=True)
    output_dir.write_json(os.path.join(run_dir, runner.RUN_FILE), record)
    return record

  monkeypatch.setattr(runner, 'run', fake_run)
  records = grid.run_grid(task, points, base, None, None, 'v', str(tmp_path))
  assert calls == [0, 1] and [r['score'] for r in records] == [50.0, 51.0]
  assert os.path.exists(tmp_path / 'glue_sst2' / 'lr0.0001_bs8_ep1' /
                        'seed1' / 'run.json')
  grid.run_grid(task, points, base, None, None, 'v', str(tmp_path))
  assert calls == [0, 1]  # reused
  grid.run_grid(task, points[:1], base, None, None, 'v', str(tmp_path),
                overwrite=True)
  assert calls == [0, 1, 0]
  longer = dataclasses.replace(base, max_seq_length=64)
  with pytest.raises(grid.GridError, match=r'seed0/run.json holds a run with '
                     r'other settings \(max_seq_length: 32 != 64\)'):
    grid.run_grid(task, points, longer, None, None, 'v', str(tmp_path))


def test_diverged_runs_are_recorded(tmp_path, monkeypatch):
  task = glue_tasks.GLUE_TASKS['cola']

  def diverge(task, cfg, source, prepared, vocab, run_dir, extra):
    del task, cfg, source, prepared, vocab, extra
    os.makedirs(run_dir, exist_ok=True)
    raise runner.DivergedError('loss is nan at step 3')

  monkeypatch.setattr(runner, 'run', diverge)
  base = runner.RunConfig(seed=0, learning_rate=0, batch_size=1, epochs=1,
                          max_seq_length=32)
  (record,) = grid.run_grid(task, grid.expand([1.0], [8], [1], 1), base,
                            None, None, 'v', str(tmp_path))
  assert record['status'] == 'diverged' and record['task'] == 'glue/cola'
  with open(os.path.join(record['run_dir'], 'run.json')) as f:
    assert json.load(f)['error'] == 'loss is nan at step 3'
