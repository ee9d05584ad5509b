"""`python -m official_ext.prefinetune` on the gin files in gin/multitask/."""

import json
import os
import re

import pytest

from official_ext import prefinetune
from official_ext.multitask import configurables
from official_ext.multitask import pipeline
from official_ext.multitask import supervised_data
from official_ext.trainer import gin_setup
from tests import cli_harness
from tests.official_ext.multitask import multitask_fixtures as mfx
from tests.official_ext.trainer import fault_fixtures as faults

FLAGS = prefinetune.FLAGS
SHRINK = [
    'muppet/TrainerConfig.total_updates = 4',
    'muppet/TrainerConfig.eval_interval = 2',
    'muppet/TrainerConfig.batch_size = 4',
    'muppet/TrainerConfig.eval_batch_size = 256',
    'MAX_SEQ_LENGTH = 32',
]


def _run(capsys, monkeypatch, bindings, **flags):
  """Runs the CLI in-process from the repo root; (exit code, out, err)."""
  monkeypatch.chdir(mfx.REPO)
  argv = (['prefinetune', '--gin_file=gin/multitask/muppet_tiny.gin'] +
          [f'--gin_bindings={b}' for b in bindings] +
          [f'--{k}={v}' for k, v in flags.items()])
  return cli_harness.run_main(prefinetune.main, FLAGS, argv, capsys)


def test_muppet_gin_trains_both_bundled_tasks(capsys, monkeypatch, tmp_path):
  model_dir = str(tmp_path / 'run')
  code, out, err = _run(capsys, monkeypatch, SHRINK, model_dir=model_dir)
  assert code == 0, err
  assert 'stage muppet: best mean dev score' in out
  # The spine's progress lines, one per loop (ends at each check, every 2).
  assert re.findall(r'^1-muppet: step (\d+)/4 \| agnews/loss \S+ sst2/loss '
                    r'\S+ \| \S+ ex/s \| ETA (?:\?|\d+:\d\d:\d\d)$',
                    out, re.M) == ['2', '4'], out
  with open(os.path.join(model_dir, '1-muppet', 'summary.json')) as f:
    summary = json.load(f)
  assert summary['updates'] == 4
  assert set(summary['tasks']) == {'sst2', 'agnews'}
  # Natural sampling: p proportional to the 2,000 and 1,200 examples.
  assert summary['tasks']['sst2']['probability'] == pytest.approx(0.625)
  # Muppet scaling: 1 / ln 2 and 1 / ln 4.
  assert summary['tasks']['agnews']['loss_scale'] == pytest.approx(
      0.7213475, rel=1e-6)
  assert os.path.exists(os.path.join(model_dir, '1-muppet', 'export',
                                     'encoder_config.json'))
  with open(os.path.join(model_dir, 'pipeline.json')) as f:
    assert json.load(f)['final_encoder'].endswith('1-muppet/export')
  with open(os.path.join(model_dir, 'operative_config.gin')) as f:
    assert 'MultiTaskRun.stages' in f.read()


@pytest.mark.parametrize('bindings, message', [
    (['sst2/TaskSpec.weight = 0.0', 'agnews/TaskSpec.weight = 0.0'],
     'every task has sampling weight 0'),
    (["agnews/TaskSpec.head = 'mrc'", "sst2/TaskSpec.head = 'mrc'",
      "sst2/TaskSpec.kind = 'regression'"],
     "head 'mrc' does not match the data of task 'agnews'"),
    (["agnews/TaskSpec.dev_file = 'data/agnews/missing.tsv'"],
     'missing.tsv'),
    (['muppet/TrainerConfig.no_such_setting = 1'], 'no_such_setting'),
])
def test_bad_input_is_one_clear_line(capsys, monkeypatch, tmp_path, bindings,
                                     message):
  code, _, err = _run(capsys, monkeypatch, SHRINK + bindings,
                      model_dir=str(tmp_path / 'run'))
  assert code == 1
  assert 'official_ext.prefinetune: error:' in err
  assert message in err


def test_no_gin_file(capsys, tmp_path):
  FLAGS(['prefinetune', f'--model_dir={tmp_path}'])
  try:
    with pytest.raises(SystemExit) as e:
      prefinetune.main(['prefinetune'])
  finally:
    FLAGS.unparse_flags()
  assert e.value.code == 1
  assert 'no --gin_file given' in capsys.readouterr().err


def test_corrupt_cached_record_is_skipped_with_the_flag(capsys, monkeypatch,
                                                        tmp_path):
  """The stage's feature cache (written as a run would, then one byte of a
  training record flipped) trains with --skip_corrupt_records, the record
  counted; without it the stage stops naming the file (the same line as the
  other CLIs: trainer/fault_cli_test.py)."""
  monkeypatch.chdir(mfx.REPO)
  model_dir = str(tmp_path / 'run')
  gin_setup.parse(['gin/multitask/muppet_tiny.gin'], SHRINK)
  config = configurables.multitask_run()  # pylint: disable=no-value-for-parameter
  stage = config.stages[0]
  features = os.path.join(pipeline.stage_dir(model_dir, 1, stage), 'features')
  prepared = supervised_data.prepare_task(stage.tasks[0], config.vocab_file,
                                          features)
  record = prepared.record_path('train')
  offset = faults.flip_record(record, 7)
  code, _, err = _run(capsys, monkeypatch, SHRINK, model_dir=model_dir)
  assert code == 1
  assert (f'error: corrupt record in {record} at byte offset {offset} (data '
          'CRC mismatch), met after step 0;') in err
  code, out, err = _run(capsys, monkeypatch, SHRINK, model_dir=model_dir,
                        skip_corrupt_records=True)
  assert code == 0, err
  assert (f'1-muppet: skipping 1 corrupt record(s) of {record} at byte offset '
          f'{offset} (data CRC mismatch): training goes on from step 0') in out
  assert re.findall(r'^1-muppet: step (\d+)/4 ', out, re.M) == ['2', '4']
