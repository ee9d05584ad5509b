"""The whole chain on a remote filesystem (TensorFlow's in-memory `ram://`),
with no local path anywhere: build records, train, resume, export, fine-tune.

`ram://` stands in for `gs://`: both are reached only through `tf.io.gfile`,
so a builtin `open`/`os.*` call left on the way fails here (see
`test_a_local_only_call_fails_on_ram`). The test runs in an empty working
directory that must stay empty (a path mangled into a local one, e.g. by
`os.path.abspath('ram://x')`, would create `ram:/...` there).
"""
import os

import pytest
import tensorflow as tf

from official_ext import finetune
from official_ext.export import __main__ as export_main
from official_ext.trainer import data_setup
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.trainer import trainer_fixtures as fx
from tests.tfrecords_tools import builder_fixtures as bfx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data
from tfrecords_tools.s1_sources import corpus_reader

ROOT = 'ram://chain'


def _write(path, text):
  with tf.io.gfile.GFile(path, 'w') as f:
    f.write(text)


def _train(manifest, model_dir, steps):
  fx.parse('gin/teams_tiny.gin', f'DATA_MANIFEST = {manifest!r}',
           f'TRAIN_STEPS = {steps}', 'CHECKPOINT_INTERVAL = 2',
           'LOG_INTERVAL = 2')
  lines = []
  runner.run(gin_setup.build_experiment(), model_dir, 'train',
             strategy_builder.build_strategy('one_device'),
             operative_config=gin_setup.operative_config,
             print_fn=lines.append)
  return lines


@pytest.fixture(scope='module', name='chain')
def fixture_chain(tmp_path_factory):
  """Runs the chain once in an empty cwd; returns (cwd, outputs)."""
  cwd = tmp_path_factory.mktemp('cwd')
  old = os.getcwd()
  os.chdir(cwd)
  try:
    tf.io.gfile.makedirs(ROOT)
    vocab = f'{ROOT}/vocab.txt'
    tf.io.gfile.copy(bfx.VOCAB, vocab, overwrite=True)
    docs = bfx.corpus_documents(12)[:6]
    _write(f'{ROOT}/corpus.txt', '\n\n'.join('\n'.join(d) for d in docs))
    config = build_config.BuildConfig(
        max_seq_length=64, max_predictions_per_seq=10, dupe_factor=2,
        pair_mode='so', num_shards=2, docs_per_chunk=4)
    manifest = create_pretraining_data.run(
        config, f'{ROOT}/corpus.txt', vocab, f'{ROOT}/data', num_workers=1)
    model_dir = f'{ROOT}/pretrain'
    first = _train(f'{ROOT}/data/manifest.json', model_dir, 2)
    resumed = _train(f'{ROOT}/data/manifest.json', model_dir, 4)
    export_main.export(model_dir, f'{ROOT}/export', saved_model=False)
    data_dir = f'{ROOT}/glue/SST-2'
    tf.io.gfile.makedirs(data_dir)
    for name, seed in (('train.tsv', 0), ('dev.tsv', 1)):
      _write(f'{data_dir}/{name}', '\n'.join(ffx.glue_rows(
          'sst2', ffx.classification_examples(8, seed=seed))) + '\n')
    code, out, err = cli_harness.run_main(
        finetune.main, finetune.FLAGS,
        ['finetune', '--task=glue/sst2', f'--init_checkpoint={ROOT}/export',
         f'--vocab_file={vocab}', f'--data_dir={ROOT}/glue',
         f'--model_dir={ROOT}/finetune', '--seeds=1', '--learning_rates=1e-4',
         '--batch_sizes=8', '--epochs=1', '--max_seq_length=32',
         '--eval_batch_size=8'], _Capsys())
    yield cwd, dict(manifest=manifest, first=first, resumed=resumed,
                    finetune=(code, out, err))
  finally:
    os.chdir(old)
    tf.io.gfile.rmtree(ROOT)


class _Capsys:
  """`cli_harness.run_main` wants pytest's capsys; stdout stays visible."""

  @staticmethod
  def readouterr():
    return type('Out', (), {'out': '', 'err': ''})()


def test_records_are_built_on_ram(chain):
  _, out = chain
  files = sorted(tf.io.gfile.listdir(f'{ROOT}/data'))
  assert files == ['manifest.json', 'pretrain-00000-of-00002.tfrecord',
                   'pretrain-00001-of-00002.tfrecord']
  assert out['manifest']['totals']['instances'] > 0
  sizes = [tf.io.gfile.stat(f'{ROOT}/data/{s["file"]}').length
           for s in out['manifest']['shards']]
  assert sizes == [s['bytes'] for s in out['manifest']['shards']]


def test_training_writes_and_resumes_on_ram(chain):
  _, out = chain
  assert tf.train.latest_checkpoint(f'{ROOT}/pretrain').endswith('ckpt-4')
  assert tf.io.gfile.exists(f'{ROOT}/pretrain/operative_config.gin')
  assert tf.io.gfile.glob(f'{ROOT}/pretrain/train/events.out.tfevents.*')
  # The second run started from step 2: its only progress line is step 4.
  assert [l.split(' |')[0] for l in out['first']] == ['step 2/2']
  assert [l.split(' |')[0] for l in out['resumed']] == ['step 4/4']


def test_export_and_finetune_on_ram(chain):
  _, out = chain
  assert tf.io.gfile.exists(f'{ROOT}/export/encoder_config.json')
  code, _, _ = out['finetune']
  assert code in (0, None)
  assert tf.io.gfile.exists(f'{ROOT}/finetune/summary.json')
  assert tf.io.gfile.glob(f'{ROOT}/finetune/results.*')


def test_no_local_file_was_written(chain):
  cwd, _ = chain
  assert os.listdir(cwd) == []


def test_a_local_only_call_fails_on_ram():
  """What the chain above proves: a builtin call cannot reach `ram://`."""
  _write('ram://probe.txt', 'x')
  assert tf.io.gfile.exists('ram://probe.txt')
  with pytest.raises(FileNotFoundError, match='ram://probe.txt'):
    open('ram://probe.txt', encoding='utf-8')
  assert not os.path.exists('ram://probe.txt')
  tf.io.gfile.remove('ram://probe.txt')


def test_a_missing_remote_input_names_the_path_and_the_flag():
  with pytest.raises(corpus_reader.InputError) as info:
    corpus_reader.expand_inputs('ram://nowhere/*.txt')
  assert str(info.value) == ("No file matches the input pattern "
                             "'ram://nowhere/*.txt' (--input_file).")
  with pytest.raises(data_setup.DataError) as info:
    data_setup.pretrain_data(manifest='ram://nowhere/manifest.json')
  assert str(info.value).startswith(
      "data manifest 'ram://nowhere/manifest.json' does not exist; pass "
      '--data_manifest=')
  assert '\n' not in str(info.value)
