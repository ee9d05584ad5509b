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
  # The whole held-out set, whatever the arm binds.
  assert stages[1].args[-2:] == ('--gin_bindings=LEARNING_RATE = 1e-3',
                                 '--gin_bindings=EVAL_STEPS = -1')
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
  assert stages[0][2] == ['tfrecords_tools.s0_prep.heldout_split',
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


def _finish(stage_dir, record):
  os.makedirs(stage_dir, exist_ok=True)
  with open(os.path.join(stage_dir, 'stage.json'), 'w') as f:
    json.dump(dict(record, stage='s', seconds=12.0, finished=1.0), f)


def test_report_from_finished_stage_records(tmp_path):
  # The leaderboard reads each arm's stage.json records: budget, held-out
  # metrics (accuracies and AUCs only), runs and their predictions.
  from official_ext.compare import pipeline  # pylint: disable=g-import-not-at-top
  out = str(tmp_path)
  comparison = _comparison(seeds=(0,), streams={}, baseline='random')
  arms = comparison.resolved_arms()
  plan = comparison.plan()
  for arm in arms:
    for stage in arm_stages.arm_stages(comparison, arm, 200, out,
                                       comparison.tasks, comparison.seeds):
      stage_dir = arm_stages.stage_dir(out, arm.name, stage.name)
      record = {}
      if stage.kind == 'pretrain':
        record = {'steps': 200, 'flops': 5e12}
      elif stage.kind == 'heldout_eval':
        record = {'metrics': {'mlm_accuracy': 0.25, 'mlm_loss': 4.0}}
      elif stage.kind == 'finetune':
        run_dir = os.path.join(out, arm.name, 'finetune', 'run')
        os.makedirs(run_dir)
        right = 3 if arm.name == 'mlm' else 1
        with open(os.path.join(run_dir, 'predictions.tsv'), 'w') as f:
          f.write('example_id\tlabel\tprediction\n' + ''.join(
              f'{i}\t1\t{int(i < right)}\n' for i in range(4)))
        record = {'runs': [{'run_dir': run_dir, 'run': {
            'task': 'glue/sst2', 'config': 'c', 'learning_rate': 1e-3,
            'batch_size': 32, 'epochs': 1, 'seed': 0, 'status': 'ok',
            'metrics': {'accuracy': 25.0 * right}, 'score': 25.0 * right}}]}
      _finish(stage_dir, record)
  paths = pipeline.write_report(comparison, arms, plan, out,
                                log=lambda _: None)
  with open(paths['markdown']) as f:
    table = f.read()
  assert table.splitlines()[0] == ('| Arm | Steps | Train FLOPs | Wall | '
                                   'held-out mlm_accuracy | glue/sst2 | Avg |'
                                   ' vs random (avg) |')
  assert '| mlm | 200 | 5e+12 | 0:00:12 | 0.250 | 75.0 (75.0–75.0, n=1) |' \
      in table
  # Per task: over the 4 dev examples of the predictions.
  assert '| mlm | glue/sst2 | +50.0 ' in table and '4 dev examples |' in table
  for path in paths.values():
    assert os.path.getsize(path) > 100


def test_report_waits_for_unfinished_arms(tmp_path):
  from official_ext.compare import pipeline  # pylint: disable=g-import-not-at-top
  comparison = _comparison()
  lines = []
  assert pipeline.write_report(comparison, comparison.resolved_arms(),
                               comparison.plan(), str(tmp_path),
                               log=lines.append) is None
  assert lines == ["not finished yet (left out of the leaderboard): "
                   "['mlm', 'random']"]


def test_finetune_stage_keeps_every_configuration(tmp_path, monkeypatch):
  """A learning-rate grid writes one run per configuration and seed; the
  stage's record holds them all (the leaderboard picks the best median)."""
  from official_ext.compare import pipeline  # pylint: disable=g-import-not-at-top
  out = str(tmp_path)
  comparison = _comparison(seeds=(0,), streams={}, baseline='random')
  arm = comparison.resolved_arms()[0]
  stage = [s for s in arm_stages.arm_stages(comparison, arm, 200, out,
                                            comparison.tasks,
                                            comparison.seeds)
           if s.kind == 'finetune'][0]
  for config, score in (('lr0.001', 70.0), ('lr0.0003', 72.0)):
    run_dir = os.path.join(out, arm.name, 'finetune', 'glue_sst2', config,
                           'seed0')
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, 'run.json'), 'w') as f:
      json.dump({'config': config, 'score': score}, f)
  monkeypatch.setattr(pipeline.stage_process, 'run_module',
                      lambda *args, **kwargs: 0.0)
  record = pipeline._work(stage, out, comparison, arm, None)(str(tmp_path))  # pylint: disable=protected-access
  assert sorted((r['run']['config'], r['run']['score'])
                for r in record['runs']) == [('lr0.0003', 72.0),
                                             ('lr0.001', 70.0)]
