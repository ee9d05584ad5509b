"""The pretraining Task: reads our records, trains, per-row seeds."""

import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.data import pretrain_reader
from official_ext.tasks import generator_discriminator_task as gdt
from tests.official_ext.modeling import modeling_fixtures as mfx
from tests.tfrecords_tools import builder_fixtures as bfx

VOCAB_SIZE = 7027  # data/wikitext2/vocab_uncased_8k.txt


@pytest.fixture(scope='module')
def records(tmp_path_factory):
  corpus = bfx.write_corpus(str(tmp_path_factory.mktemp('c') / 'c.txt'),
                            num_docs=4, lines_per_doc=10)
  out = str(tmp_path_factory.mktemp('records'))
  proc = bfx.run_cli(f'--input_file={corpus}', f'--output_dir={out}',
                     '--num_workers=1')
  assert proc.returncode == 0, proc.stderr[-3000:]
  return out


def _task(data=None, **overrides):
  config = mfx.tiny_teams_config(**overrides)
  config.generator.vocab_size = config.discriminator.vocab_size = VOCAB_SIZE
  return gdt.GeneratorDiscriminatorTask(config, train_data=data,
                                        sampler_seed=3)


def test_train_step_on_our_records_reports_every_loss_and_metric(records):
  data = pretrain_reader.config_from_manifest(
      os.path.join(records, 'manifest.json'), global_batch_size=4,
      is_training=True, use_next_sentence_label=False)
  task = _task(data)
  model = task.build_model()
  metrics = task.build_metrics()
  batch = next(iter(task.build_inputs(data)))
  assert batch['input_word_ids'].shape == (4, 64)
  logs = task.train_step(batch, model, tf_keras.optimizers.Adam(1e-3),
                         metrics)
  for name in ('mlm_loss', 'rtd_loss', 'mws_loss', 'total_loss'):
    assert np.isfinite(float(logs[name])) and float(logs[name]) > 0, name
  np.testing.assert_allclose(
      float(logs['total_loss']),
      float(logs['mlm_loss']) + 5 * float(logs['rtd_loss']) +
      2 * float(logs['mws_loss']), rtol=1e-5)
  results = {m.name: float(m.result()) for m in metrics}
  assert set(results) == {'mlm_loss', 'rtd_loss', 'mws_loss', 'total_loss',
                          'mlm_accuracy', 'rtd_accuracy', 'rtd_auc',
                          'mws_accuracy'}
  for name in ('mlm_accuracy', 'rtd_accuracy', 'rtd_auc', 'mws_accuracy'):
    assert 0.0 <= results[name] <= 1.0
  np.testing.assert_allclose(results['total_loss'], logs['total_loss'],
                             rtol=1e-6)


def test_row_seeds_do_not_depend_on_the_batch_split():
  batch = mfx.tiny_batch()
  whole = gdt.sampler_seeds(batch, 3, 7).numpy()
  halves = np.concatenate([
      gdt.sampler_seeds({k: v[:1] for k, v in batch.items()}, 3, 7),
      gdt.sampler_seeds({k: v[1:] for k, v in batch.items()}, 3, 7)])
  np.testing.assert_array_equal(whole, halves)
  assert len({tuple(r) for r in whole}) == mfx.BATCH  # rows differ
  assert not np.array_equal(whole, gdt.sampler_seeds(batch, 3, 8).numpy())
  assert not np.array_equal(whole, gdt.sampler_seeds(batch, 4, 7).numpy())


def test_model_outputs_per_row_equal_whatever_the_split():
  """What makes MirroredStrategy equal one device: each row's draws."""
  config = mfx.tiny_teams_config()
  task = gdt.GeneratorDiscriminatorTask(config, sampler_seed=1)
  model = task.build_model()
  batch = mfx.tiny_batch()
  seeds = gdt.sampler_seeds(batch, 1, 0)
  whole = model(dict(batch, sampler_seeds=seeds))
  parts = [model({**{k: v[s] for k, v in batch.items()},
                  'sampler_seeds': seeds[s]})
           for s in (slice(0, 1), slice(1, None))]
  for key in ('corrupted_ids', 'candidate_ids'):
    np.testing.assert_array_equal(
        whole[key], tf.concat([p[key] for p in parts], axis=0))
  np.testing.assert_allclose(
      whole['mws_logits'], tf.concat([p['mws_logits'] for p in parts], 0),
      atol=1e-5)


def test_validation_step_is_repeatable():
  task = gdt.GeneratorDiscriminatorTask(mfx.tiny_teams_config())
  model = task.build_model()
  batch = mfx.tiny_batch()
  first = task.validation_step(batch, model)
  second = task.validation_step(batch, model)
  assert float(first['total_loss']) == float(second['total_loss'])
