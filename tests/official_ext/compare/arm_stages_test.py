"""official_ext/compare/arm_stages.py + record_sets.py: each stage's module
and flags, the data stages, and the same-corpus check."""
import json
import os

import pytest

from official_ext.compare import arm_stages
from official_ext.compare import arms as arms_lib
from official_ext.compare import record_sets
from official_ext.compare import spec

OUT = '/out'


def _comparison(**kwargs):
  fields = dict(
      arms=(spec.arm('mlm', gin_files=['gin/bert_tiny_mlm.gin'],
                     bindings=['LEARNING_RATE = 1e-3'], objective='mlm',
                     size='tiny'),
            spec.arm('random', init='random', gin_files=['gin/x.gin'])),
      tasks=('glue/sst2',), seeds=(3, 4), budget_value=200,
      record_sets={'main': ['--pair_mode=so'], 'so': ['--pair_mode=so']},
      records='main', streams={'so': 'so'}, vocab='v.txt', seq_length=64,
      max_predictions=10, checkpoints=4,
      finetune_flags=('--data_dir=d', '--epochs=1'))
  fields.update(kwargs)
  return spec.Comparison(**fields)


def test_pretrain_arm_stages():
  comparison = _comparison()
  mlm = comparison.resolved_arms()[0]
  stages = arm_stages.arm_stages(comparison, mlm, 200, OUT,
                                 comparison.tasks, comparison.seeds)
  assert [s.name for s in stages] == [
      'pretrain', 'heldout_eval', 'export', 'finetune_glue_sst2_seed3',
      'finetune_glue_sst2_seed4']
  # 200 steps: a log line every 20, 4 checkpoints (every 50 -> 40, a
  # multiple of 20), warm-up 10% = 20; the arm's bindings come last.
  assert stages[0].args == (
      'official_ext.train', '--data_manifest=/out/data/main/manifest.json',
      '--model_dir=/out/mlm/pretrain', '--mode=train',
      '--gin_file=gin/bert_tiny_mlm.gin', '--gin_bindings=TRAIN_STEPS = 200',
      '--gin_bindings=LOG_INTERVAL = 20',
      '--gin_bindings=CHECKPOINT_INTERVAL = 40',
      '--gin_bindings=EVAL_INTERVAL = 200',
      '--gin_bindings=WARMUP_STEPS = 20',
      "--gin_bindings=SO_DATA_MANIFEST = '/out/data/so/manifest.json'",
      '--gin_bindings=LEARNING_RATE = 1e-3')
  # Held-out: the held-out builds of the arm's set and of each stream.
  assert stages[1].args[:6] == (
      'official_ext.train', '--data_manifest=/out/data/main/manifest.json',
      '--eval_data_manifest=/out/data/heldout/main/manifest.json',
      '--model_dir=/out/mlm/pretrain', '--mode=eval',
      '--metrics_json=/out/mlm/stages/heldout_eval/metrics.json')
  assert ("--gin_bindings=SO_DATA_MANIFEST = "
          "'/out/data/heldout/so/manifest.json'") in stages[1].args
  assert stages[1].args[-2:] == ('--gin_bindings=EVAL_STEPS = -1',
                                 '--gin_bindings=LEARNING_RATE = 1e-3')
  assert stages[2].args == ('official_ext.export',
                            '--model_dir=/out/mlm/pretrain',
                            '--output_dir=/out/mlm/export')
  assert stages[4].args == (
      'official_ext.finetune', '--task=glue/sst2',
      '--init_checkpoint=/out/mlm/export', '--model_dir=/out/mlm/finetune',
      '--seeds=1', '--first_seed=4', '--vocab_file=v.txt', '--data_dir=d',
      '--epochs=1')
  assert (stages[4].task, stages[4].seed) == ('glue/sst2', 4)


def test_random_and_checkpoint_arms():
  comparison = _comparison()
  random = comparison.resolved_arms()[1]
  stages = arm_stages.arm_stages(comparison, random, None, OUT,
                                 comparison.tasks, (0,))
  assert [s.name for s in stages] == ['export', 'finetune_glue_sst2_seed0']
  assert stages[0].args == ('official_ext.export',
                            '--model_dir=/out/random/architecture',
                            '--output_dir=/out/random/export',
                            '--random_init')
  assert arm_stages.architecture_config(comparison, random, OUT) == (
      "include 'gin/x.gin'\n"
      "DATA_MANIFEST = '/out/data/main/manifest.json'\n")
  imported = spec.arm('hf', init='checkpoint', init_checkpoint='/ckpt')
  stages = arm_stages.arm_stages(comparison, imported, None, OUT,
                                 comparison.tasks, (0,))
  assert [s.name for s in stages] == ['finetune_glue_sst2_seed0']
  assert '--init_checkpoint=/ckpt' in stages[0].args


def test_data_stages():
  comparison = _comparison(vocab=None, vocab_size=500, heldout_every=5,
                           record_sets={'main': ['--dupe_factor=3']})
  stages = record_sets.build_stages(comparison, OUT)
  assert [s[0] for s in stages] == ['data_split', 'data_main',
                                    'data_main_heldout']
  assert stages[0][2] == ['tfrecords_tools.heldout_split',
                          f'--corpus={record_sets.BUNDLED_CORPUS}',
                          '--output_dir=/out/data', '--heldout_every=5',
                          '--vocab_size=500']
  assert stages[2][2] == [
      'tfrecords_tools.create_pretraining_data',
      '--input_file=/out/data/corpus/heldout.bert.txt',
      '--output_dir=/out/data/heldout/main', '--vocab_file=/out/data/vocab.txt',
      '--max_seq_length=64', '--max_predictions_per_seq=10',
      '--idf_file=/out/data/idf.json', '--num_shards=4', '--dupe_factor=3',
      '--dupe_factor=1']  # the last flag wins: held-out records once
  assert record_sets.build_stages(_comparison(record_sets={}), OUT) == []


def _manifest(tmp_path, name, sha='abc', inputs=(('c.txt', 10),), docs=5):
  path = tmp_path / f'{name}.json'
  path.write_text(json.dumps({
      'vocab': {'sha256': sha},
      'inputs': [{'path': f'/x/{p}', 'bytes': b} for p, b in inputs],
      'totals': {'documents': docs}}))
  return str(path)


def test_same_corpus_check(tmp_path):
  a = _manifest(tmp_path, 'a')
  record_sets.check_same_corpus([("arm 'a'", a), ('arm b', _manifest(
      tmp_path, 'b')), ('arm c', str(tmp_path / 'not_built.json'))])
  other = _manifest(tmp_path, 'o', inputs=(('other.txt', 10),))
  with pytest.raises(arms_lib.ArmError, match=(
      f"^arm 'o' reads {other} and arm 'a' reads {a}: their inputs differ")):
    record_sets.check_same_corpus([("arm 'a'", a), ("arm 'o'", other)])
  with pytest.raises(arms_lib.ArmError, match='their vocab sha256 differ'):
    record_sets.check_same_corpus([('a', a),
                                   ('b', _manifest(tmp_path, 's', sha='d'))])
  with pytest.raises(arms_lib.ArmError, match='their documents differ'):
    record_sets.check_same_corpus([('a', a),
                                   ('b', _manifest(tmp_path, 'n', docs=6))])
  assert os.path.exists(a)
