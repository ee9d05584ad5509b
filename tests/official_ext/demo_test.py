"""The README's main job: stage bookkeeping, errors, the comparison table."""

import csv
import json
import os

from absl import flags
import pytest

from official_ext import demo


@pytest.fixture
def demo_flags(monkeypatch):
  """The demo's flags at their defaults, in their own FlagValues (finetune
  defines some of the same names in the global one)."""
  flag_values = flags.FlagValues()
  demo.define_flags(flag_values)
  flag_values(['demo'])
  monkeypatch.setattr(demo, 'FLAGS', flag_values)
  return flag_values


def _write_finetune(out, kind, scores, folder=None, num_train=2000):
  folder = folder or os.path.join(out, 'finetune', kind)
  os.makedirs(folder)
  mean = sum(scores) / len(scores)
  std = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
  summary = {'tasks': {'glue/sst2': {
      'median': {'score': sorted(scores)[len(scores) // 2]},
      'configs': [{'ok': f'{len(scores)}/{len(scores)}', 'mean': mean,
                   'std': std, 'min': min(scores), 'max': max(scores)}]}}}
  with open(os.path.join(folder, 'summary.json'), 'w') as f:
    json.dump(summary, f)
  with open(os.path.join(folder, 'results.csv'), 'w', newline='') as f:
    writer = csv.DictWriter(f, ['seed', 'score', 'status', 'run_dir'])
    writer.writeheader()
    for seed, score in enumerate(scores):
      run_dir = os.path.join(folder, f'seed{seed}')
      os.makedirs(run_dir)
      with open(os.path.join(run_dir, 'run.json'), 'w') as g:
        json.dump({'num_train': num_train, 'score': score}, g)
      writer.writerow({'seed': seed, 'score': score, 'status': 'ok',
                       'run_dir': run_dir})
    writer.writerow({'seed': 9, 'score': 0.0, 'status': 'diverged',
                     'run_dir': os.path.join(folder, 'seed9')})


def test_compare_table_and_plot(tmp_path, demo_flags):
  del demo_flags  # --pretrain_gin names the plot's title.
  out = str(tmp_path)
  _write_finetune(out, 'pretrained', [74.0, 76.0, 75.0])
  _write_finetune(out, 'random', [70.0, 69.0, 71.0])
  table, plot = demo.compare(out)
  lines = table.splitlines()
  assert lines[0].startswith('| SST-2 sample, dev accuracy (%) | seeds |')
  assert lines[2] == ('| pretrained encoder | 3/3 | 75.0 | 75.0 ± 0.8 | '
                      '74.0 | 76.0 |')
  assert lines[3] == '| random encoder | 3/3 | 70.0 | 70.0 ± 0.8 | 69.0 | 71.0 |'
  assert os.path.getsize(plot) > 1000
  # Only the runs that finished count as seed scores.
  assert demo._seed_scores(os.path.join(out, 'finetune', 'random')) == [  # pylint: disable=protected-access
      70.0, 69.0, 71.0]


@pytest.mark.parametrize('steps, interval', [(50, 100), (1500, 1500),
                                             (6000, 6000), (6050, 6000)])
def test_intervals_are_multiples_of_the_log_interval(steps, interval):
  assert demo._round(steps) == interval  # pylint: disable=protected-access


def test_a_failing_stage_names_itself_and_its_log(tmp_path):
  with pytest.raises(demo.StageError) as e:
    demo.run_stage('broken', ['official_ext.no_such_module'], str(tmp_path))
  message = str(e.value)
  assert "stage 'broken' failed (exit 1)" in message
  assert os.path.join(str(tmp_path), 'broken.log') in message
  assert 'No module named official_ext.no_such_module' in message


def test_curve_table_and_plot_from_every_point(tmp_path, demo_flags):
  demo_flags.curve_sizes = ['300', '100']
  out = str(tmp_path)
  _write_finetune(out, 'pretrained', [74.0, 76.0, 75.0])
  _write_finetune(out, 'random', [70.0, 69.0, 71.0])
  for kind, by_size in (('pretrained', {100: [60.0, 62.0, 61.0],
                                        300: [66.0, 65.0, 64.0]}),
                        ('random', {100: [50.0, 61.0, 55.0],
                                    300: [60.0, 63.0, 61.0]})):
    for size, scores in by_size.items():
      _write_finetune(out, kind, scores, demo.curve_dir(out, kind, size),
                      num_train=size)
  table, plot = demo.curve(out)
  lines = table.splitlines()
  assert lines[2:5] == [
      '| 100 | 61.0 [60.0–62.0] | 55.0 [50.0–61.0] | +6.0 | '
      'yes (within noise) |',
      '| 300 | 65.0 [64.0–66.0] | 61.0 [60.0–63.0] | +4.0 | '
      'no (outside seed noise) |',
      '| 2,000 (all) | 75.0 [74.0–76.0] | 70.0 [69.0–71.0] | +5.0 | '
      'no (outside seed noise) |']
  assert plot == os.path.join(out, 'learning_curve.png')
  with open(plot, 'rb') as f:
    assert f.read(4) == b'\x89PNG'


@pytest.mark.parametrize('size, epochs', [(100, 64), (300, 22), (1000, 8),
                                          (2000, 8)])
def test_curve_epochs_give_small_sets_the_minimum_steps(size, epochs):
  assert demo.curve_epochs(size, 8, 200) == epochs  # ceil(200 * 32 / size)


def test_every_curve_point_is_a_stage_per_encoder(tmp_path, demo_flags):
  demo_flags.curve_sizes = ['1000', '100']
  demo_flags.epochs = 8
  demo_flags.curve_min_steps = 200
  out = str(tmp_path)
  stages = {name: (marker, args) for name, marker, args in demo.stages(out)}
  names = [name for name in stages if name.startswith('curve_')]
  assert names == ['curve_pretrained_n100', 'curve_random_n100',
                   'curve_pretrained_n1000', 'curve_random_n1000']
  marker, args = stages['curve_random_n100']
  assert marker == os.path.join(out, 'curve', 'random', 'n100',
                                'summary.json')
  assert '--max_train_examples=100' in args and '--epochs=64' in args
  assert f"--init_checkpoint={os.path.join(out, 'export', 'random')}" in args
  assert '--epochs=8' in stages['curve_pretrained_n1000'][1]
  # Both encoders of a point share every setting but the encoder.
  other = stages['curve_pretrained_n100'][1]
  assert [a for a in args if 'random' not in a] == [
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
  stages = {name: (marker, args) for name, marker, args in demo.stages(out)}
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
  stages = {name: args for name, _, args in demo.stages(str(tmp_path))}
  for name in ('pretrain', 'heldout_eval'):
    assert stages[name][:2] == ['official_ext.train',
                                '--gin_file=gin/teams_mini.gin']
  assert '--gin_bindings=TRAIN_STEPS = 6000' in stages['pretrain']
  assert demo.model_label() == 'teams_mini'


def test_a_rerun_with_another_recipe_names_the_changed_flags(tmp_path,
                                                             demo_flags):
  out = str(tmp_path / 'demo')
  demo.check_recipe(out)  # First run: recorded.
  with open(os.path.join(out, demo.RECIPE_FILE)) as f:
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
