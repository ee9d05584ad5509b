"""Demo stages: skipped when every marker exists, timed, failures named;
the recipe check."""

import json
import os
import time

from absl import app
import pytest

from official_ext.demo import stages as stages_lib


def _touch(path):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  open(path, 'w').close()


def test_a_stage_is_done_only_when_every_marker_exists(tmp_path):
  a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
  stage = stages_lib.Stage.of('s', [a, b], ['m'])
  single = stages_lib.Stage.of('t', a, ['m', '--x=1'])
  assert single.markers == (a,) and single.args == ('m', '--x=1')
  _touch(a)
  assert single.done() and not stage.done()
  _touch(b)
  assert stage.done()


def test_run_stages_skips_done_ones_and_records_seconds(tmp_path, capsys):
  out = str(tmp_path)
  done = str(tmp_path / 'done.txt')
  _touch(done)
  ran = stages_lib.run_stages([
      stages_lib.Stage.of('finished', done, ['no.such.module']),
      stages_lib.Stage.of('quick', str(tmp_path / 'never'),
                          ['json.tool', '--help'])], out)
  assert ran == ['quick']
  assert 'finished: already done' in capsys.readouterr().out
  seconds = stages_lib.stage_seconds(out)
  assert list(seconds) == ['quick'] and seconds['quick'] >= 0
  assert os.path.exists(os.path.join(out, 'logs', 'quick.log'))
  stages_lib.record_seconds(out, 'fetch', 1.25)
  assert stages_lib.stage_seconds(out)['fetch'] == 1.2  # rounded to 0.1


def test_a_failing_stage_names_itself_and_its_log(tmp_path, capsys):
  stage = stages_lib.Stage.of('broken', str(tmp_path / 'x'),
                              ['official_ext.no_such_module'])
  with pytest.raises(SystemExit) as exit_info:
    stages_lib.run_job([stage], str(tmp_path), 'prog')
  assert exit_info.value.code == 1
  err = capsys.readouterr().err
  assert err.startswith("prog: error: stage 'broken' failed (exit 1)")
  assert os.path.join(str(tmp_path), 'logs', 'broken.log') in err
  assert 'No module named official_ext.no_such_module' in err


def test_total_seconds_adds_the_stages_of_earlier_runs():
  start = time.time() - 10.0
  total = stages_lib.total_seconds(start, {'data': 30.0, 'train': 100.0},
                                   ran=['train'])
  assert 39.9 < total < 45.0  # 10 s of this run + the earlier data stage


def test_timed_records_in_process_work(tmp_path):
  assert stages_lib.timed(str(tmp_path), 'fetch', lambda x: x + 1, 2) == 3
  assert 'fetch' in stages_lib.stage_seconds(str(tmp_path))


def test_the_recipe_is_recorded_and_a_changed_one_refused(tmp_path):
  out = str(tmp_path / 'demo')
  first = os.path.join(out, 'data')
  stages_lib.check_recipe(out, {'steps': 300, 'lr': 5e-5}, first)
  with open(os.path.join(out, stages_lib.RECIPE_FILE)) as f:
    assert json.load(f) == {'steps': 300, 'lr': 5e-5}
  stages_lib.check_recipe(out, {'steps': 300, 'lr': 5e-5}, first)
  with pytest.raises(app.UsageError) as error:
    stages_lib.check_recipe(out, {'steps': 600, 'lr': 5e-5}, first)
  assert str(error.value) == (
      f'{out} holds a demo run with another recipe: --steps=600 (was 300); '
      'choose another --output_dir or remove it')


def test_stages_without_a_recipe_are_not_reused(tmp_path):
  os.makedirs(tmp_path / 'data')
  with pytest.raises(app.UsageError, match='no recipe.json'):
    stages_lib.check_recipe(str(tmp_path), {'a': 1}, str(tmp_path / 'data'))
