"""multitask_trainer.train end to end on tiny encoders and tasks.

- Four tasks of four kinds (the bundled SST-2 and AG News samples, written
  span and multiple-choice tasks), uniform sampling, heterogeneous updates of
  4 sub-batches: every task trains, summary / evals / TensorBoard / export
  are written, and the exported encoder fine-tunes: in process through the
  fine-tuning library, and (slow) with `python -m official_ext.finetune` in
  a subprocess (its absl flags would clash with other CLIs' here).
- Resume after a crash and a rerun of a finished run; early stopping;
  initialisation from an export; dataset-homogeneous composition; errors.
"""

import dataclasses
import glob
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from official.nlp.configs import encoders
from official.projects.teams import teams
from official_ext.finetuning import encoder_init
from official_ext.interchange import encoder_export
from official_ext.modeling.models import size_presets
from official_ext.multitask import multitask_encoder
from official_ext.multitask import multitask_step
from official_ext.multitask import multitask_trainer as mt
from official_ext.multitask import supervised_formats
from official_ext.multitask import task_spec
from official_ext.multitask.heads import spectral_dense
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.multitask import multitask_fixtures as mfx

MAX_LEN = 64


def _config(**overrides):
  """Small, fast settings: batch 4, 2 sub-batches, no dropout."""
  fields = dict(composition='batch_heterogeneous', tasks_per_update=2,
                sampling='uniform', batch_size=4, total_updates=4,
                learning_rate=1e-2, warmup_proportion=0.0, eval_interval=0,
                eval_batch_size=32, log_interval=1, dropout_rate=0.0, seed=0)
  fields.update(overrides)
  return mt.TrainerConfig(**fields)


def _events(folder):
  """{tag: {step: value}} of the TensorBoard event files in `folder`."""
  out = {}
  for path in sorted(glob.glob(os.path.join(folder, 'events.out.tfevents.*'))):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        number = float(tf.make_ndarray(value.tensor))
        out.setdefault(value.tag, {})[event.step] = number
  return out


def _read_jsonl(path):
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _read_json(path):
  with open(path) as f:
    return json.load(f)


class Interrupted(Exception):
  """Stands for a crash (or a kill) in the middle of a run."""


class _Recorder:
  """Patches MultiTaskStep to record the model, its weights when the step is
  built (before any update), the accumulated tasks and applied updates."""

  def __init__(self, monkeypatch, fail_at_apply=None):
    self.model = None
    self.encoder_at_start = self.heads_at_start = None
    self.tasks, self.applies = [], 0
    init = multitask_step.MultiTaskStep.__init__
    accumulate = multitask_step.MultiTaskStep.accumulate
    apply = multitask_step.MultiTaskStep.apply
    recorder = self

    def patched_init(step, model, *args, **kwargs):
      recorder.model = model
      recorder.encoder_at_start = [v.numpy().copy()
                                   for v in model.encoder.variables]
      recorder.heads_at_start = {
          name: [v.numpy().copy() for v in head.trainable_variables]
          for name, head in model.heads.items()}
      init(step, model, *args, **kwargs)

    def patched_accumulate(step, task, features):
      recorder.tasks.append(task)
      return accumulate(step, task, features)

    def patched_apply(step):
      recorder.applies += 1
      if fail_at_apply is not None and recorder.applies >= fail_at_apply:
        raise Interrupted(f'interrupted at update {recorder.applies}')
      return apply(step)

    monkeypatch.setattr(multitask_step.MultiTaskStep, '__init__',
                        patched_init)
    monkeypatch.setattr(multitask_step.MultiTaskStep, 'accumulate',
                        patched_accumulate)
    monkeypatch.setattr(multitask_step.MultiTaskStep, 'apply', patched_apply)


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
  """Tiny written tasks, their vocab, and a feature cache shared by tests."""
  root = tmp_path_factory.mktemp('tiny')
  data = root / 'data'
  return dict(
      root=root, vocab=mfx.tiny_vocab(root), cache=str(root / 'cache'),
      topic=mfx.write_classification_tsv(data),
      similarity=mfx.write_regression_jsonl(data),
      span=mfx.write_span_task(data, max_seq_length=MAX_LEN),
      choice=mfx.write_multiple_choice_task(data))


# --------------------------------------------------------------- end to end

E2E_TASKS = ('sst2', 'agnews', 'tiny_squad', 'tiny_mc')
E2E_UPDATES, E2E_EVAL = 4, 2


@pytest.fixture(scope='module')
def e2e(tmp_path_factory, tiny):
  root = tmp_path_factory.mktemp('e2e')
  specs = [mfx.sst2_spec(max_seq_length=MAX_LEN),
           mfx.agnews_spec(max_seq_length=MAX_LEN),
           tiny['span'], tiny['choice']]
  config = _config(tasks_per_update=4, total_updates=E2E_UPDATES,
                   eval_interval=E2E_EVAL, eval_batch_size=256,
                   learning_rate=1e-3, dropout_rate=0.1)
  model_dir = str(root / 'run')
  summary = mt.train(specs, config, vocab_file=mfx.VOCAB_FILE,
                     model_dir=model_dir, max_seq_length=MAX_LEN,
                     cache_dir=tiny['cache'])
  return dict(summary=summary, model_dir=model_dir,
              export=os.path.join(model_dir, mt.EXPORT_SUBDIR), root=root)


def test_end_to_end_four_kinds(e2e):
  summary, model_dir = e2e['summary'], e2e['model_dir']
  assert summary == _read_json(os.path.join(model_dir, mt.SUMMARY_FILE))
  assert summary['updates'] == E2E_UPDATES
  assert summary['stopped_early'] == ''
  tasks = summary['tasks']
  assert list(tasks) == list(E2E_TASKS)
  # Uniform sampling, 4 sub-batches of 4 tasks: each update holds one
  # sub-batch of every task (stratified composition).
  for name in E2E_TASKS:
    assert tasks[name]['probability'] == pytest.approx(0.25)
    assert tasks[name]['sub_batches_trained'] == E2E_UPDATES
  assert (tasks['sst2']['num_train'], tasks['sst2']['num_dev']) == (2000, 872)
  assert (tasks['agnews']['num_train'], tasks['agnews']['num_dev']) == (
      1200, 400)
  assert [tasks[t]['head'] for t in E2E_TASKS] == [
      'sst2', 'agnews', 'mrc', 'commonsense']
  # Muppet scaling 1 / ln n: 2 and 4 classes, 64 positions, 3 candidates.
  for name, n in (('sst2', 2), ('agnews', 4), ('tiny_squad', MAX_LEN),
                  ('tiny_mc', 3)):
    assert tasks[name]['loss_scale'] == pytest.approx(1 / math.log(n))

  # One evals.jsonl line per check, every task scored.
  evals = _read_jsonl(os.path.join(model_dir, mt.EVALS_FILE))
  assert [e['update'] for e in evals] == [2, 4]
  for record in evals:
    assert sorted(record['tasks']) == sorted(E2E_TASKS)
    scores = [record['tasks'][t]['score'] for t in E2E_TASKS]
    assert all(0 <= s <= 100 for s in scores)
    assert record['mean_score'] == pytest.approx(np.mean(scores))
    assert set(record['tasks']['tiny_squad']) == {'exact_match', 'f1',
                                                  'score'}
    # SST-2 names its GLUE task: GLUE's metric (accuracy) is its score.
    assert set(record['tasks']['sst2']) == {'accuracy', 'score'}
    assert record['tasks']['sst2']['score'] == record['tasks']['sst2'][
        'accuracy']
    assert set(record['tasks']['agnews']) == {'accuracy', 'score'}
  assert evals[0]['improved'] is True
  assert summary['last_eval'] == evals[-1]

  # TensorBoard: train losses of every task at every update, eval metrics.
  board = os.path.join(model_dir, 'tensorboard')
  train = _events(os.path.join(board, 'train'))
  for name in E2E_TASKS:
    steps = train[f'{name}/loss']
    assert sorted(steps) == list(range(1, E2E_UPDATES + 1))
    assert all(math.isfinite(v) and v > 0 for v in steps.values())
  assert sorted(train['learning_rate']) == list(range(1, E2E_UPDATES + 1))
  evals_board = _events(os.path.join(board, 'eval'))
  for record in evals:
    at = record['update']
    assert evals_board['mean_score'][at] == pytest.approx(
        record['mean_score'], abs=1e-4)
    for name in E2E_TASKS:
      for metric, value in record['tasks'][name].items():
        assert evals_board[f'{name}/{metric}'][at] == pytest.approx(
            value, abs=1e-4), (name, metric)

  # Export of the best check: encoder + config, heads, best.json.
  export = e2e['export']
  config = _read_json(os.path.join(export, encoder_export.CONFIG_FILE))
  assert (config['hidden_size'], config['num_layers']) == (64, 2)
  assert config['vocab_size'] == ffx.VOCAB_SIZE
  assert config['max_position_embeddings'] == MAX_LEN
  assert tf.train.latest_checkpoint(os.path.join(export, 'encoder'))
  best = _read_json(os.path.join(export, 'best.json'))
  best_check = max(evals, key=lambda r: (r['mean_score'], -r['update']))
  assert best['update'] == best_check['update']
  assert summary['best']['best_step'] == best_check['update']
  heads = tf.train.latest_checkpoint(os.path.join(export, multitask_encoder.HEADS_SUBDIR))
  names = {key.split('/')[0] for key, _ in tf.train.list_variables(heads)}
  assert {'sst2', 'agnews', 'mrc', 'commonsense'} <= names
  # Checkpoints of the run: the last update.
  assert tf.train.latest_checkpoint(model_dir).endswith(f'ckpt-{E2E_UPDATES}')


def _run_json(model_dir):
  paths = glob.glob(os.path.join(model_dir, '**', 'run.json'), recursive=True)
  assert len(paths) == 1, paths
  return _read_json(paths[0])


def _finetune_command(export, data_dir, model_dir, *extra):
  """`python -m official_ext.finetune` in a subprocess (its absl flags would
  clash with other CLIs' in this process) -> run.json."""
  proc = subprocess.run(
      [sys.executable, '-m', 'official_ext.finetune', '--task=glue/sst2',
       f'--init_checkpoint={export}', f'--vocab_file={mfx.VOCAB_FILE}',
       f'--data_dir={data_dir}', f'--model_dir={model_dir}', '--seeds=1',
       '--epochs=1', '--learning_rates=1e-3', f'--max_seq_length={MAX_LEN}',
       *extra],
      cwd=mfx.REPO, capture_output=True, text=True, timeout=900,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES=''))
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert '| glue/sst2 |' in proc.stdout
  record = _run_json(model_dir)
  assert record['status'] == 'ok'
  assert record['restored_variables'] > 0
  assert record['encoder']['hidden_size'] == 64
  assert record['encoder']['checkpoint'].startswith(export)
  return record


def test_export_fine_tunes_through_the_finetune_command(e2e, tmp_path,
                                                       capsys):
  """`official_ext.finetune`'s main, in process, on a small SST-2 file."""
  from official_ext import finetune  # pylint: disable=g-import-not-at-top
  data_dir = tmp_path / 'glue'
  ffx.write_glue(data_dir, 'sst2', ffx.classification_examples(16),
                 ffx.classification_examples(8, seed=1))
  model_dir = str(tmp_path / 'ft')
  argv = ['finetune', '--task=glue/sst2', f"--init_checkpoint={e2e['export']}",
          f'--vocab_file={mfx.VOCAB_FILE}', f'--data_dir={data_dir}',
          f'--model_dir={model_dir}', '--seeds=1', '--epochs=1',
          '--learning_rates=1e-3', '--batch_sizes=8',
          f'--max_seq_length={MAX_LEN}', '--eval_batch_size=16']
  code, out, err = cli_harness.run_main(finetune.main, finetune.FLAGS, argv,
                                        capsys)
  assert code == 0, err
  assert '| glue/sst2 |' in out
  record = _run_json(model_dir)
  assert record['status'] == 'ok'
  # Every encoder variable comes from the multi-task export.
  assert record['restored_variables'] == len(_export_encoder(e2e).variables)
  assert record['restored_variables'] > 0
  assert record['encoder']['checkpoint'].startswith(e2e['export'])
  assert (record['num_train'], record['train_steps']) == (16, 2)


@pytest.mark.slow
def test_export_fine_tunes_on_the_sst2_sample(e2e, tmp_path):
  record = _finetune_command(e2e['export'],
                             os.path.join(mfx.REPO, 'data', 'sst2'),
                             str(tmp_path / 'ft'))
  assert record['num_train'] == 2000
  assert record['restored_variables'] == len(_export_encoder(e2e).variables)


def _export_encoder(e2e):
  """The e2e export's encoder, rebuilt and restored as fine-tuning does."""
  if 'encoder' not in e2e:
    source = encoder_init.resolve(e2e['export'])
    encoder = encoders.build_encoder(source.encoder_config)
    encoder([tf.zeros((1, 2), tf.int32)] * 3)
    tf.train.Checkpoint(encoder=encoder).read(
        source.checkpoint).assert_existing_objects_matched()
    e2e['encoder'] = encoder
  return e2e['encoder']


# ------------------------------------------- init from export, composition

def test_init_from_export_and_dataset_homogeneous(e2e, tiny, tmp_path,
                                                  monkeypatch):
  recorder = _Recorder(monkeypatch)
  specs = [tiny['topic'], tiny['similarity']]
  summary = mt.train(
      specs, _config(composition='dataset_homogeneous', total_updates=4),
      vocab_file=mfx.VOCAB_FILE, model_dir=str(tmp_path / 'run'),
      init_checkpoint=e2e['export'], cache_dir=tiny['cache'])
  # Restored before training: every encoder weight equals the export's.
  exported = _export_encoder(e2e).variables
  assert len(recorder.encoder_at_start) == len(exported)
  first_kernel = [i for i, v in enumerate(exported) if 'kernel' in v.name][0]
  for got, want in zip(recorder.encoder_at_start, exported):
    np.testing.assert_array_equal(got, want.numpy())
  np.testing.assert_array_equal(recorder.encoder_at_start[first_kernel],
                                exported[first_kernel].numpy())
  assert summary['init_checkpoint'] == e2e['export']

  # Dataset-homogeneous: the tasks one after another, 2 updates each.
  assert recorder.tasks == ['tiny_topic'] * 2 + ['tiny_similarity'] * 2
  assert recorder.applies == 4
  assert [summary['tasks'][t]['sub_batches_trained']
          for t in ('tiny_topic', 'tiny_similarity')] == [2, 2]
  assert summary['updates'] == 4
  # Training moved the encoder and both heads (their variables exist and
  # get gradients, not only the encoder's).
  model = recorder.model
  assert any(np.abs(a - v.numpy()).max() > 0 for a, v in
             zip(recorder.encoder_at_start, model.encoder.variables))
  for name, start in recorder.heads_at_start.items():
    assert start, name
    now = [v.numpy() for v in model.heads[name].trainable_variables]
    assert any(np.abs(a - b).max() > 0 for a, b in zip(start, now)), name


# ----------------------------------------------------------------- resume

def test_resume_after_interruption_and_rerun_after_the_end(tiny, tmp_path,
                                                          monkeypatch):
  model_dir = str(tmp_path / 'run')
  config = _config(composition='batch_homogeneous', total_updates=6,
                   checkpoint_interval=3)
  args = dict(vocab_file=tiny['vocab'], model_dir=model_dir,
              max_seq_length=32, cache_dir=tiny['cache'])
  specs = [tiny['topic']]

  with monkeypatch.context() as patch:
    crashed = _Recorder(patch, fail_at_apply=5)
    with pytest.raises(Interrupted, match='update 5'):
      mt.train(specs, config, **args)
  assert crashed.applies == 5
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-3')
  assert not os.path.exists(os.path.join(model_dir, mt.SUMMARY_FILE))

  with monkeypatch.context() as patch:
    resumed = _Recorder(patch)
    summary = mt.train(specs, config, **args)
  assert resumed.applies == 3  # updates 4, 5, 6
  assert summary['updates'] == 6
  assert summary['tasks']['tiny_topic']['sub_batches_trained'] == 3
  last = tf.train.latest_checkpoint(model_dir)
  assert last.endswith('ckpt-6')
  reader = tf.train.load_checkpoint(last)
  assert int(reader.get_tensor('update/.ATTRIBUTES/VARIABLE_VALUE')) == 6
  # The optimizer's step (the schedule's position) went on from 3 to 6.
  assert int(reader.get_tensor(
      'optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE')) == 6
  evals = _read_jsonl(os.path.join(model_dir, mt.EVALS_FILE))
  assert [e['update'] for e in evals] == [6]

  # The same command again: nothing left to train, nothing re-scored.
  with monkeypatch.context() as patch:
    rerun = _Recorder(patch, fail_at_apply=1)
    again = mt.train(specs, config, **args)
  assert rerun.applies == 0
  assert again['updates'] == 6
  assert again['tasks']['tiny_topic']['sub_batches_trained'] == 0
  assert again['last_eval'] == evals[-1]
  assert len(_read_jsonl(os.path.join(model_dir, mt.EVALS_FILE))) == 1


# ---------------------------------------------------------- early stopping

def test_early_stopping_with_constant_scores(tiny, tmp_path, monkeypatch):
  model_dir = str(tmp_path / 'run')
  config = _config(composition='batch_homogeneous', total_updates=6,
                   eval_interval=1, patience=1, learning_rate=0.0)
  args = dict(vocab_file=tiny['vocab'], model_dir=model_dir,
              max_seq_length=32, cache_dir=tiny['cache'])
  specs = [tiny['topic']]
  summary = mt.train(specs, config, **args)
  assert summary['updates'] == 2
  assert 'stop' in summary['stopped_early']
  evals = _read_jsonl(os.path.join(model_dir, mt.EVALS_FILE))
  assert [e['update'] for e in evals] == [1, 2]
  assert [e['improved'] for e in evals] == [True, False]
  assert evals[0]['mean_score'] == evals[1]['mean_score']  # lr 0
  state = _read_json(os.path.join(model_dir, mt.STOPPING_FILE))
  assert state['stopped'] and state['best_step'] == 1
  assert state['bad_checks'] == 1
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-2')
  assert _read_json(os.path.join(model_dir, 'export', 'best.json'))[
      'update'] == 1

  # A rerun of the stopped run does not train on.
  with monkeypatch.context() as patch:
    rerun = _Recorder(patch, fail_at_apply=1)
    again = mt.train(specs, config, **args)
  assert rerun.applies == 0
  assert again['updates'] == 2
  assert again['stopped_early'] == summary['stopped_early']
  assert len(_read_jsonl(os.path.join(model_dir, mt.EVALS_FILE))) == 2


# ------------------------------------------------------------------ errors

def _train(specs, tiny, tmp_path, config=None, **kwargs):
  kwargs.setdefault('vocab_file', tiny['vocab'])
  kwargs.setdefault('max_seq_length', MAX_LEN)
  return mt.train(specs, config or _config(), model_dir=str(tmp_path / 'run'),
                  cache_dir=tiny['cache'], **kwargs)


def test_task_longer_than_the_encoder_positions(tiny, tmp_path):
  with pytest.raises(task_spec.TaskSpecError,
                     match="task 'tiny_squad': max_seq_length=64 exceeds the "
                     "encoder's 32 position embeddings"):
    _train([tiny['topic'], tiny['span']], tiny, tmp_path, max_seq_length=32)


def test_task_longer_than_the_init_encoder_stops_before_data_work(e2e, tiny,
                                                                  tmp_path):
  spec = dataclasses.replace(tiny['topic'], max_seq_length=2 * MAX_LEN)
  with pytest.raises(task_spec.TaskSpecError,
                     match=f"task 'tiny_topic': max_seq_length={2 * MAX_LEN} "
                     f"exceeds the encoder's {MAX_LEN} position embeddings"):
    mt.train([spec], _config(), vocab_file=mfx.VOCAB_FILE,
             model_dir=str(tmp_path / 'run'), init_checkpoint=e2e['export'],
             cache_dir=str(tmp_path / 'cache'))
  assert not os.path.exists(tmp_path / 'cache')  # nothing was tokenized
  assert not os.path.exists(tmp_path / 'run')


def test_every_weight_zero(tiny, tmp_path):
  specs = [dataclasses.replace(tiny['topic'], weight=0.0),
           dataclasses.replace(tiny['choice'], weight=0)]
  with pytest.raises(task_spec.TaskSpecError,
                     match='every task has sampling weight 0'):
    _train(specs, tiny, tmp_path)
  assert not os.path.exists(str(tmp_path / 'run'))


def test_head_shared_by_different_kinds(tiny, tmp_path):
  span = dataclasses.replace(tiny['span'], head='tiny_topic')
  with pytest.raises(task_spec.TaskSpecError,
                     match="head 'tiny_topic' does not match the data of task "
                     "'tiny_squad': it is a classification head"):
    _train([tiny['topic'], span], tiny, tmp_path)


def test_empty_split(tiny, tmp_path):
  spec = mfx.write_classification_tsv(tmp_path / 'data', name='hollow')
  with open(spec.dev_file, 'w') as f:
    f.write('id\tsentence\ttopic\n')
  with pytest.raises(supervised_formats.SupervisedDataError) as error:
    _train([tiny['topic'], spec], tiny, tmp_path)
  message = str(error.value)
  assert "'hollow'" in message and 'dev' in message
  assert spec.dev_file in message


def test_vocab_larger_than_the_init_encoder(tiny, tmp_path):
  config = size_presets.discriminator_config('tiny', 40, max_seq_length=32)
  encoder = teams.get_encoder(config)
  encoder_export.export_encoder(encoder, config, str(tmp_path / 'export'),
                                saved_model=False)
  with pytest.raises(encoder_init.EncoderInitError,
                     match='has vocab_size=40'):
    _train([tiny['topic']], tiny, tmp_path, max_seq_length=32,
           init_checkpoint=str(tmp_path / 'export'))


def test_bad_trainer_config(tiny, tmp_path):
  with pytest.raises(ValueError, match='batch_size must be >= 1'):
    _train([tiny['topic']], tiny, tmp_path, config=_config(batch_size=0))
  with pytest.raises(ValueError, match="unknown composition 'mixed'"):
    _train([tiny['topic']], tiny, tmp_path,
           config=_config(composition='mixed'))


# ------------------------------------------------- head reuse, R3F + R4F

def test_reuse_heads_starts_from_the_exported_heads(e2e, tiny, tmp_path,
                                                     monkeypatch):
  recorder = _Recorder(monkeypatch)
  spec = mfx.sst2_spec(max_seq_length=MAX_LEN)
  summary = mt.train([spec], _config(composition='batch_homogeneous',
                                     tasks_per_update=1, total_updates=1,
                                     reuse_heads=True),
                     vocab_file=mfx.VOCAB_FILE,
                     model_dir=str(tmp_path / 'run'),
                     init_checkpoint=e2e['export'], cache_dir=tiny['cache'])
  assert summary['reused_heads'] == ['sst2']
  saved = tf.train.latest_checkpoint(os.path.join(
      e2e['export'], multitask_encoder.HEADS_SUBDIR))
  kernel = [name for name, _ in tf.train.list_variables(saved)
            if name.startswith('sst2/') and 'kernel' in name][0]
  start = recorder.heads_at_start['sst2']
  assert any(np.array_equal(a, tf.train.load_variable(saved, kernel))
             for a in start)


def test_reuse_heads_without_a_matching_head(e2e, tiny, tmp_path):
  with pytest.raises(encoder_init.EncoderInitError,
                     match=r"none of the heads \['tiny_topic'\] is saved"):
    mt.train([tiny['topic']], _config(reuse_heads=True, tasks_per_update=1,
                                      composition='batch_homogeneous'),
             vocab_file=mfx.VOCAB_FILE, model_dir=str(tmp_path / 'run'),
             init_checkpoint=e2e['export'], cache_dir=tiny['cache'])


def test_r3f_with_spectrally_normalised_heads(tiny, tmp_path, monkeypatch):
  recorder = _Recorder(monkeypatch)
  summary = mt.train([tiny['topic'], tiny['similarity']],
                     _config(r3f_lambda=1.0, r4f=True),
                     vocab_file=tiny['vocab'],
                     model_dir=str(tmp_path / 'run'), max_seq_length=MAX_LEN,
                     cache_dir=tiny['cache'])
  assert summary['updates'] == 4
  for name in ('tiny_topic', 'tiny_similarity'):
    head = recorder.model.heads[name]
    assert isinstance(head.out_proj, spectral_dense.SpectralDense)
    kernel = head.out_proj.kernel.numpy()
    # The kernel applied is W / sigma: its largest singular value is ~1.
    sigma = float(head.out_proj.sigma())
    assert np.linalg.svd(kernel / sigma, compute_uv=False)[0] == (
        pytest.approx(1.0, abs=0.05))
