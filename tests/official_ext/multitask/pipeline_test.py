"""jiant-style stages: each starts from the previous stage's best encoder."""

import dataclasses
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from official.nlp.configs import encoders
from official_ext.finetuning import encoder_init
from official_ext.multitask import multitask_trainer
from official_ext.multitask import pipeline
from tests.official_ext.multitask import multitask_fixtures as mfx

FAST = dict(batch_size=4, total_updates=4, eval_interval=2,
            learning_rate=1e-3, log_interval=2, dropout_rate=0.0)


def _encoder_kernel(export_dir):
  """The trainable weights of an exported encoder, in order."""
  source = encoder_init.resolve(export_dir)
  encoder = encoders.build_encoder(source.encoder_config)
  encoder([tf.zeros((1, 2), tf.int32)] * 3)
  tf.train.Checkpoint(encoder=encoder).read(source.checkpoint).expect_partial()
  return [v.numpy() for v in encoder.trainable_variables]


@pytest.fixture(scope='module')
def two_stages(tmp_path_factory):
  root = tmp_path_factory.mktemp('pipeline')
  vocab = mfx.tiny_vocab(str(root))
  topic = mfx.write_classification_tsv(str(root / 'data'))
  choice = mfx.write_multiple_choice_task(str(root / 'data'))
  stages = [
      pipeline.Stage('topic', [topic], multitask_trainer.TrainerConfig(
          composition='batch_homogeneous', tasks_per_update=1, **FAST)),
      pipeline.Stage('choice', [choice], multitask_trainer.TrainerConfig(
          composition='batch_homogeneous', tasks_per_update=1, **FAST)),
  ]
  model_dir = str(root / 'run')
  outcome = pipeline.run_pipeline(stages, model_dir, vocab,
                                  max_seq_length=64)
  return stages, model_dir, vocab, outcome


def test_stages_chain_their_encoders(two_stages):
  _, model_dir, _, outcome = two_stages
  first, second = (os.path.join(model_dir, d) for d in ('1-topic',
                                                         '2-choice'))
  assert [s['stage'] for s in outcome['stages']] == ['topic', 'choice']
  with open(os.path.join(second, 'summary.json')) as f:
    summary = json.load(f)
  # Stage 2 started from stage 1's export and trained only its own task.
  assert summary['init_checkpoint'] == os.path.join(first, 'export')
  assert list(summary['tasks']) == ['tiny_mc']
  assert outcome['final_encoder'] == os.path.join(second, 'export')
  with open(os.path.join(model_dir, 'pipeline.json')) as f:
    assert json.load(f)['final_encoder'] == outcome['final_encoder']


def test_second_stage_changes_the_first_stages_encoder(two_stages):
  _, model_dir, _, _ = two_stages
  before = _encoder_kernel(os.path.join(model_dir, '1-topic', 'export'))
  after = _encoder_kernel(os.path.join(model_dir, '2-choice', 'export'))
  assert [a.shape for a in before] == [a.shape for a in after]
  assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_rerun_skips_finished_stages(two_stages):
  stages, model_dir, vocab, outcome = two_stages
  summary = os.path.join(model_dir, '2-choice', 'summary.json')
  mtime = os.path.getmtime(summary)
  again = pipeline.run_pipeline(stages, model_dir, vocab, max_seq_length=64)
  assert os.path.getmtime(summary) == mtime
  assert again['stages'] == outcome['stages']


@pytest.mark.parametrize('names, message', [
    ([], 'no stages'),
    (['a', 'a'], 'unique'),
    (['a/b'], 'without "/"'),
])
def test_bad_stage_names(tmp_path, names, message):
  topic = mfx.write_classification_tsv(str(tmp_path))
  stages = [pipeline.Stage(n, [topic]) for n in names]
  with pytest.raises(pipeline.PipelineError, match=message):
    pipeline.run_pipeline(stages, str(tmp_path / 'run'), 'vocab.txt')


def test_bad_stage_names_the_stage(tmp_path):
  topic = mfx.write_classification_tsv(str(tmp_path))
  stage = pipeline.Stage('first', [topic], multitask_trainer.TrainerConfig(
      composition='zigzag'))
  with pytest.raises(pipeline.PipelineError,
                     match="stage 'first': unknown composition 'zigzag'"):
    pipeline.run_pipeline([stage], str(tmp_path / 'run'), 'vocab.txt')


def test_every_weight_zero_is_refused(tmp_path):
  topic = mfx.write_classification_tsv(str(tmp_path))
  stage = pipeline.Stage('s', [dataclasses.replace(topic, weight=0.0)])
  with pytest.raises(pipeline.PipelineError, match='weight 0'):
    pipeline.run_pipeline([stage], str(tmp_path / 'run'), 'vocab.txt')


@pytest.mark.parametrize('task,args,message', [
    ('squad/v1.1', (), "target 'squad/v1.1': --max_seq_length=384 (the "
     "squad/v1.1 default) exceeds the new encoder's 64 position embeddings "
     '(MultiTaskRun.max_seq_length)'),
    ('glue/sst2', ('--seeds=1', '--max_seq_length=65'),
     "target 'glue/sst2': --max_seq_length=65 exceeds"),
])
def test_a_target_longer_than_the_encoder_stops_before_stage_one(
    tmp_path, task, args, message):
  topic = mfx.write_classification_tsv(str(tmp_path))
  target = pipeline.FinetuneTarget(task, str(tmp_path), args)
  with pytest.raises(pipeline.PipelineError, match=re.escape(message)):
    pipeline.run_pipeline([pipeline.Stage('s', [topic])],
                          str(tmp_path / 'run'), 'vocab.txt',
                          max_seq_length=64, target=target)
  assert not os.path.exists(tmp_path / 'run')


def test_a_target_longer_than_the_start_encoder_is_refused(tmp_path):
  export = tmp_path / 'export'
  export.mkdir()
  (export / 'encoder_config.json').write_text(json.dumps(
      {'hidden_size': 16, 'num_layers': 1, 'max_position_embeddings': 64}))
  tf.train.Checkpoint(v=tf.Variable(1.0)).save(str(export / 'encoder' /
                                                  'ckpt'))
  with pytest.raises(pipeline.PipelineError, match=re.escape(
      "target 'glue/sst2': --max_seq_length=128 (the glue/sst2 default) "
      "exceeds the encoder's 64 position embeddings (max_position_embeddings"
      f" in {export / 'encoder_config.json'}); use --max_seq_length=64 or "
      'less')):
    pipeline._check_target(pipeline.FinetuneTarget('glue/sst2', 'data'),
                           str(export), 512)
