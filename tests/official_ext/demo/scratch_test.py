"""Pretraining from scratch (`make demo-scratch`): stages, tables, recipe."""

import json
import os

from absl import flags
import pytest

from official_ext.demo import scratch as demo
from tests.official_ext.demo.demo_fixtures import write_runs


@pytest.fixture
def demo_flags(monkeypatch):
  """The demo's flags at their defaults, in their own FlagValues (finetune
  defines some of the same names in the global one)."""
  flag_values = flags.FlagValues()
  demo.define_flags(flag_values)
  flag_values(['demo'])
  monkeypatch.setattr(demo, 'FLAGS', flag_values)
  return flag_values


def _write_finetune(out, kind, by_size):
  write_runs(os.path.join(out, 'finetune', kind),
              [(size, score) for size, scores in by_size.items()
               for score in scores])


def test_compare_table_and_plot(tmp_path, demo_flags):
  del demo_flags  # --pretrain_gin names the plot's title.
  out = str(tmp_path)
  _write_finetune(out, 'pretrained', {2000: [74.0, 76.0, 75.0],
                                      100: [50.0, 51.0, 52.0]})
  _write_finetune(out, 'random', {2000: [70.0, 69.0, 71.0]})
  table, plot = demo.compare(out)
  lines = table.splitlines()
  assert lines[0].startswith('| SST-2 sample, dev accuracy (%) | seeds |')
  assert lines[2] == ('| pretrained encoder | 3/3 | 75.0 | 75.0 ± 0.8 | '
                      '74.0 | 76.0 |')
  assert lines[3] == '| random encoder | 3/3 | 70.0 | 70.0 ± 0.8 | 69.0 | 71.0 |'
  assert os.path.getsize(plot) > 1000


@pytest.mark.parametrize('steps, interval', [(50, 100), (1500, 1500),
                                             (6000, 6000), (6050, 6000)])
def test_intervals_are_multiples_of_the_log_interval(steps, interval):
  assert demo._round(steps) == interval  # pylint: disable=protected-access


def test_curve_table_and_plot_from_every_point(tmp_path, demo_flags):
  demo_flags.curve_sizes = ['300', '100']
  out = str(tmp_path)
  _write_finetune(out, 'pretrained', {2000: [74.0, 76.0, 75.0],
                                      100: [60.0, 62.0, 61.0],
                                      300: [66.0, 65.0, 64.0]})
  _write_finetune(out, 'random', {2000: [70.0, 69.0, 71.0],
                                  100: [50.0, 61.0, 55.0],
                                  300: [60.0, 63.0, 61.0]})
  table, plot = demo.curve(out)
  lines = table.splitlines()
  assert lines[2:5] == [
      '| 100 | 61.0 [60.0–62.0] | 55.0 [50.0–61.0] | +6.0, within noise |',
      '| 300 | 65.0 [64.0–66.0] | 61.0 [60.0–63.0] | +4.0, outside noise |',
      '| 2,000 (all) | 75.0 [74.0–76.0] | 70.0 [69.0–71.0] | '
      '+5.0, outside noise |']
  assert plot == os.path.join(out, 'learning_curve.png')
  with open(plot, 'rb') as f:
    assert f.read(4) == b'\x89PNG'


def test_one_finetune_stage_per_encoder_runs_every_size(tmp_path,
                                                        demo_flags):
  demo_flags.curve_sizes = ['1000', '100']
  demo_flags.epochs = 8
  demo_flags.curve_min_steps = 200
  out = str(tmp_path)
  stages = {stage.name: stage for stage in demo.stages(out)}
  assert [n for n in stages if n.startswith('finetune_')] == [
      'finetune_pretrained', 'finetune_random']
  stage = stages['finetune_random']
  assert '--max_train_examples=100,1000,all' in stage.args
  assert '--min_train_steps=200' in stage.args
  assert f"--init_checkpoint={os.path.join(out, 'export', 'random')}" in (
      stage.args)
  # Done when every run (3 seeds x 3 sizes) has its run.json; 100 examples
  # train 64 epochs (200 steps of 32), 1,000 and 2,000 keep 8.
  model_dir = os.path.join(out, 'finetune', 'random', 'glue_sst2')
  assert len(stage.markers) == 9
  assert os.path.join(model_dir, 'lr0.001_bs32_ep64_n100', 'seed2',
                      'run.json') in stage.markers
  assert os.path.join(model_dir, 'lr0.001_bs32_ep8_n1000', 'seed0',
                      'run.json') in stage.markers
  assert os.path.join(model_dir, 'lr0.001_bs32_ep8', 'seed1',
                      'run.json') in stage.markers
  # Both encoders share every setting but the encoder.
  other = stages['finetune_pretrained'].args
  assert [a for a in stage.args if 'random' not in a] == [
      a for a in other if 'pretrained' not in a]


@pytest.mark.parametrize('sizes, message', [
    (['100', 'all'], '--curve_sizes: expected whole numbers, got 100,all'),
    (['0'], '--curve_sizes: sizes must be at least 1, got 0'),
    (['100', '2001'], '--curve_sizes: 2001 is more than the 2000 training '
     'examples of data/sst2')])
def test_bad_curve_sizes_are_one_line(sizes, message, demo_flags):
  demo_flags.curve_sizes = sizes
  with pytest.raises(demo.app.UsageError) as error:
    demo.curve_sizes()
  assert str(error.value) == message


def test_heldout_eval_stage_reads_the_heldout_records(tmp_path, demo_flags):
  out = str(tmp_path)
  stages = {s.name: (s.markers[0], s.args) for s in demo.stages(out)}
  names = list(stages)
  assert names.index('pretrain') < names.index('heldout_eval') < names.index(
      'export_pretrained')
  marker, args = stages['heldout_eval']
  assert marker == os.path.join(out, 'heldout_eval', 'metrics.json')
  heldout = os.path.join(out, 'data', 'heldout', 'manifest.json')
  assert f'--eval_data_manifest={heldout}' in args
  # The data stage is done only once its last output, the held-out records,
  # exists (an interrupted build is redone, not half reused).
  assert stages['data'][0] == heldout
  assert '--mode=eval' in args and f'--metrics_json={marker}' in args
  assert f"--model_dir={os.path.join(out, 'pretrain')}" in args
  assert '--gin_bindings=EVAL_STEPS = -1' in args  # every held-out batch


def test_heldout_table(tmp_path, demo_flags):
  del demo_flags  # --pretrain_gin at its default names the column.
  out = str(tmp_path)
  os.makedirs(os.path.join(out, 'heldout_eval'))
  with open(demo.heldout_metrics_path(out), 'w') as f:
    json.dump({'mlm_accuracy': 0.3125, 'rtd_auc': 0.75, 'loss': 3.0}, f)
  assert demo.heldout_table(out).splitlines() == [
      '| held-out pretraining metric | bert_mini_mlm | chance |',
      '|---|---|---|',
      '| MLM accuracy | 0.312 | 1/vocab |',
      '| RTD AUC (discriminator) | 0.750 | 0.5 |']


def test_pretrain_gin_drives_pretraining_and_the_heldout_eval(tmp_path,
                                                              demo_flags):
  demo_flags.pretrain_gin = 'gin/teams_mini.gin'
  demo_flags.pretrain_steps = 6000
  stages = {s.name: s.args for s in demo.stages(str(tmp_path))}
  for name in ('pretrain', 'heldout_eval'):
    assert stages[name][:2] == ('official_ext.train',
                                '--gin_file=gin/teams_mini.gin')
  assert '--gin_bindings=TRAIN_STEPS = 6000' in stages['pretrain']
  assert demo.model_label() == 'teams_mini'


def test_a_rerun_with_another_recipe_names_the_changed_flags(tmp_path,
                                                             demo_flags):
  out = str(tmp_path / 'demo')
  demo.check_recipe(out)  # First run: recorded.
  with open(os.path.join(out, 'recipe.json')) as f:
    assert json.load(f)['pretrain_gin'] == 'gin/bert_mini_mlm.gin'
  demo.check_recipe(out)  # Same recipe: fine.
  demo_flags.epochs = 8
  demo_flags.pretrain_gin = 'gin/teams_mini.gin'
  with pytest.raises(demo.app.UsageError) as error:
    demo.check_recipe(out)
  assert str(error.value) == (
      f'{out} holds a demo run with another recipe: '
      '--pretrain_gin=gin/teams_mini.gin (was gin/bert_mini_mlm.gin), '
      '--epochs=8 (was 5); choose another --output_dir or remove it')
  demo_flags.curve_sizes = ['50']  # Curve sizes only add stages.
  demo_flags.epochs = 5
  demo_flags.pretrain_gin = 'gin/bert_mini_mlm.gin'
  demo.check_recipe(out)


def test_stages_of_an_older_version_are_not_reused(tmp_path, demo_flags):
  del demo_flags
  os.makedirs(tmp_path / 'data')
  with pytest.raises(demo.app.UsageError, match='no recipe.json'):
    demo.check_recipe(str(tmp_path))
