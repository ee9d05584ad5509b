"""The main job (`make demo`): its stages, recipe, train split, and one run
end to end on a tiny Hugging Face encoder the test writes (no download)."""

import csv
import dataclasses
import json
import os
import subprocess
import sys

from absl import app
from absl import flags
import pytest

from official_ext.demo import adaptation
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import hf_format
from official_ext.modeling.models import size_presets
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.interchange import interchange_fixtures as ifx


@pytest.fixture
def demo_flags(monkeypatch):
  """The job's flags at their defaults, in their own FlagValues."""
  flag_values = flags.FlagValues()
  adaptation.define_flags(flag_values)
  flag_values(['demo'])
  monkeypatch.setattr(adaptation, 'FLAGS', flag_values)
  return flag_values


def _stages(out, lower_case=True):
  return {s.name: s for s in adaptation.training_stages(out, lower_case)}


def test_default_stages_continue_with_mlm_and_fine_tune_three_encoders(
    tmp_path, demo_flags):
  out = str(tmp_path)
  stages = _stages(out, lower_case=False)
  assert list(stages) == ['data', 'continue_mlm', 'export_mlm',
                          'finetune_released', 'finetune_continued_mlm',
                          'finetune_random']
  released = os.path.join(out, 'encoders', 'released')
  data = stages['data'].args
  # Records with the released encoder's own vocab and casing, MLM only.
  assert f"--vocab_file={os.path.join(released, 'vocab.txt')}" in data
  assert '--do_lower_case=False' in data and '--aux_labels=none' in data
  heldout = os.path.join(out, 'data', 'heldout', 'manifest.json')
  assert stages['data'].markers == (heldout,)
  train = stages['continue_mlm'].args
  assert train[:2] == ('official_ext.train', '--gin_file=gin/continue/mlm.gin')
  for arg in (f'--init_checkpoint={released}', '--mode=train_and_eval',
              '--eval_at_start', f'--eval_data_manifest={heldout}',
              f'--gin_bindings=TRAIN_STEPS = {demo_flags.continue_steps}'):
    assert arg in train, arg
  assert stages['export_mlm'].args[-1] == '--nosaved_model'
  random_init = stages['finetune_random'].args
  assert '--init_checkpoint=' in random_init  # the released shape, untrained
  assert ('--encoder_config_file=' +
          os.path.join(released, 'encoder_config.json')) in random_init
  continued = stages['finetune_continued_mlm'].args
  assert ('--init_checkpoint=' + os.path.join(out, 'encoders',
                                              'continued_mlm')) in continued
  # One recipe for every encoder.
  shared = lambda args: [a for a in args if 'init_checkpoint' not in a and
                         'encoder_' not in a and 'model_dir' not in a]
  assert shared(random_init) == shared(continued) == shared(
      stages['finetune_released'].args)
  assert len(stages['finetune_released'].markers) == demo_flags.seeds


def test_full_adds_teams_and_curve_runs(tmp_path, demo_flags):
  demo_flags.objectives = ['teams', 'mlm']
  demo_flags.curve_sizes = ['1000', '100', '300']
  stages = _stages(str(tmp_path))
  assert [n for n in stages if n.startswith(('continue_', 'finetune_'))] == [
      'continue_mlm', 'continue_teams', 'finetune_released',
      'finetune_continued_mlm', 'finetune_continued_teams',
      'finetune_random']
  assert '--gin_file=gin/continue/teams.gin' in stages['continue_teams'].args
  finetune = stages['finetune_continued_teams']
  assert '--max_train_examples=100,300,1000,all' in finetune.args
  assert len(finetune.markers) == 4 * demo_flags.seeds
  # 100 examples train >= --curve_min_steps (100) steps of 32: 32 epochs.
  assert any('lr0.0001_bs32_ep32_n100' in m for m in finetune.markers)


@pytest.mark.parametrize('flag, values, message', [
    ('objectives', ['bert'], "--objectives: expected some of ('mlm', "
     "'teams'), got bert"),
    ('curve_sizes', ['100', 'x'], '--curve_sizes: expected whole numbers, '
     'got 100,x'),
    ('curve_sizes', ['2000'], '--curve_sizes: each size must be from 1 to '
     '1999 (the training set has 2000), got 2000')])
def test_bad_flags_are_one_line(tmp_path, demo_flags, flag, values, message):
  demo_flags[flag].value = values
  with pytest.raises(app.UsageError) as error:
    adaptation.training_stages(str(tmp_path), True)
  assert str(error.value) == message


def test_objectives_and_curve_sizes_only_add_stages(tmp_path, demo_flags):
  assert 'objectives' not in adaptation.RECIPE_FLAGS
  assert 'curve_sizes' not in adaptation.RECIPE_FLAGS
  assert {'source', 'continue_steps', 'learning_rate'} <= set(
      adaptation.RECIPE_FLAGS)
  del tmp_path, demo_flags


def test_train_split_scores_one_in_four_and_never_reads_dev(tmp_path,
                                                            demo_flags):
  sst2 = ffx.write_glue(tmp_path / 'sst', 'sst2',
                        ffx.classification_examples(40), [])
  os.remove(os.path.join(sst2, 'dev.tsv'))  # not needed: never read
  demo_flags.sst2_dir = sst2
  target = adaptation.write_train_split(str(tmp_path / 'split'))
  rows = {}
  for name in ('train', 'dev'):
    with open(os.path.join(target, f'{name}.tsv')) as f:
      rows[name] = f.read().splitlines()
  with open(os.path.join(sst2, 'train.tsv')) as f:
    header, *original = f.read().splitlines()
  assert rows['train'][0] == rows['dev'][0] == header
  assert (len(rows['train']) - 1, len(rows['dev']) - 1) == (30, 10)
  assert sorted(rows['train'][1:] + rows['dev'][1:]) == sorted(original)
  assert adaptation.write_train_split(target) == target  # kept


def _tiny_hf_encoder(path):
  """A 'released' encoder in the Hugging Face layout: tiny BERT weights of
  trained magnitude (scale 0.2), the repo's test vocab, uncased."""
  fields = dataclasses.asdict(size_presets.discriminator_config(
      'tiny', ffx.VOCAB_SIZE, max_seq_length=128))
  fields['embedding_size'] = fields['hidden_size']
  hf_format.write(ew.EncoderWeights(fields, ifx.random_weights(fields),
                                    'released', vocab_file=ffx.VOCAB_FILE,
                                    do_lower_case=True), path)
  return path


def test_the_job_end_to_end_on_a_tiny_released_encoder(tmp_path):
  """The real CLI: import, records with its vocab, 30 steps of continued
  MLM (evaluated before and after on held-out records: the new MLM head
  must learn, accuracy 0.0 -> about 0.05, loss down about 1.3 nats), export,
  and released / continued / random fine-tuned on a tiny SST-2 folder; the
  summary and tables."""
  source = _tiny_hf_encoder(str(tmp_path / 'hf'))
  sst2 = ffx.write_glue(tmp_path / 'glue', 'sst2',
                        ffx.classification_examples(48),
                        ffx.classification_examples(16, seed=1))
  corpus = str(tmp_path / 'corpus.txt')
  with open(os.path.join(ffx.REPO, 'data', 'wikitext2',
                         'valid.bert.txt')) as f:
    lines = f.read().split('\n')[:1500]
  with open(corpus, 'w') as f:
    f.write('\n'.join(lines) + '\n')
  out = str(tmp_path / 'out')
  command = [sys.executable, '-m', 'official_ext.demo', f'--output_dir={out}',
             f'--source={source}', f'--sst2_dir={sst2}', f'--corpus={corpus}',
             '--continue_steps=30', '--continue_learning_rate=1e-3',
             '--continue_batch_size=8', '--seeds=1',
             '--epochs=1', '--max_seq_length=32', '--heldout_batches=4',
             '--pretrain_seq_length=32', '--dupe_factor=1',
             '--mixed_precision=float32', '--curve_min_steps=0']
  result = subprocess.run(command, cwd=ffx.REPO, capture_output=True,
                          text=True, timeout=900, check=False,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  with open(os.path.join(out, 'summary.json')) as f:
    summary = json.load(f)
  assert set(summary['encoders']) == {'released', 'continued_mlm', 'random'}
  for name, entry in summary['encoders'].items():
    assert set(entry['n']) == {'all'}, name
    assert set(entry['n']['all']) == {'median', 'min', 'max', 'seeds'}
  assert {'import', 'data', 'continue_mlm', 'export_mlm',
          'finetune_released', 'finetune_continued_mlm', 'finetune_random',
          'report'} == set(summary['stages'])
  assert summary['seconds'] >= sum(summary['stages'].values()) - 1
  first, last = (summary['heldout']['continued_mlm'][k]
                 for k in ('first', 'last'))
  assert (first['step'], last['step']) == (0, 30)
  # Continued pretraining taught, not merely ran.
  assert (last['metrics']['mlm_accuracy'] >=
          first['metrics']['mlm_accuracy'] + 0.02), (first, last)
  assert (last['metrics']['mlm_loss'] <=
          first['metrics']['mlm_loss'] - 0.5), (first, last)
  assert '| continued_mlm − released | released − random |' in result.stdout
  # The continued encoder fine-tuned from its own export, the random one
  # from no checkpoint at all.
  runs = {}
  for name in ('continued_mlm', 'random'):
    with open(os.path.join(out, 'finetune', name, 'results.csv')) as f:
      row = next(csv.DictReader(f))
    with open(os.path.join(row['run_dir'], 'run.json')) as f:
      runs[name] = json.load(f)
  assert runs['continued_mlm']['encoder']['checkpoint'].startswith(
      os.path.join(out, 'encoders', 'continued_mlm'))
  assert runs['random']['encoder']['checkpoint'] == ''
  assert runs['random']['restored_variables'] == 0
