"""One run from a Model Garden BERT checkpoint on SQuAD 2.0."""

import json
import os

import pytest
import tensorflow as tf

from official.nlp.configs import encoders
from official.nlp.tools import squad_evaluate_v2_0

from official_ext.finetuning import encoder_init
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import runner
from official_ext.finetuning import squad_data
from official_ext.finetuning import task_names
from tests.official_ext.finetuning import finetuning_fixtures as ffx


def test_squad_v2_run_from_model_garden_bert_checkpoint(tmp_path):
  bert = encoders.BertEncoderConfig(
      vocab_size=ffx.VOCAB_SIZE, hidden_size=32, num_layers=1,
      num_attention_heads=2, intermediate_size=64)
  encoder = encoders.build_encoder(encoders.EncoderConfig(type='bert',
                                                          bert=bert))
  tf.train.Checkpoint(encoder=encoder).save(str(tmp_path / 'bert' / 'ckpt'))
  config_file = tmp_path / 'bert' / 'bert_config.json'
  config_file.write_text(json.dumps({
      'vocab_size': ffx.VOCAB_SIZE, 'hidden_size': 32,
      'num_hidden_layers': 1, 'num_attention_heads': 2,
      'intermediate_size': 64}))
  source = encoder_init.resolve(str(tmp_path / 'bert'), str(config_file))
  task = glue_tasks.SQUAD_TASKS['v2.0']
  ffx.write_squad(tmp_path / 'data', 'v2.0')
  prepared = squad_data.prepare(task, str(tmp_path / 'data'), ffx.VOCAB_FILE,
                                str(tmp_path / 'cache'), max_seq_length=48,
                                max_query_length=8, doc_stride=16)
  cfg = runner.RunConfig(seed=3, learning_rate=1e-4, batch_size=8, epochs=1,
                         max_seq_length=48, max_query_length=8,
                         doc_stride=16, eval_batch_size=16, log_every=1)
  run_dir = str(tmp_path / 'run')
  record = runner.run(task, cfg, source, prepared, ffx.VOCAB_FILE, run_dir)
  assert record['restored_variables'] == len(encoder.variables)
  assert record['encoder']['type'] == 'bert'
  assert record['config'] == 'lr0.0001_bs8_ep1'
  assert set(record['metrics']) == {
      'exact_match', 'f1', 'best_exact_thresh', 'best_f1_thresh',
      'exact_match_at_0', 'f1_at_0', 'has_ans_exact', 'has_ans_f1',
      'has_ans_total', 'no_ans_exact', 'no_ans_f1', 'no_ans_total', 'total'}
  assert (record['metrics']['has_ans_total'], record['metrics']['no_ans_total'],
          record['metrics']['total']) == (8, 4, 12)
  assert record['score'] == record['metrics']['f1']
  # Abstaining everywhere already scores the 4 unanswerable of 12.
  assert record['metrics']['f1'] >= 100 * 4 / 12 - 1e-6
  with open(os.path.join(run_dir, 'null_odds.json')) as f:
    null_odds = json.load(f)
  assert len(null_odds) == 12
  with open(os.path.join(run_dir, 'predictions.json')) as f:
    predictions = json.load(f)
  assert all(predictions.values())  # best non-null span per question
  # The official v2.0 script on the run's files gives the same numbers:
  # best EM/F1 (threshold search), and the exact/f1/HasAns/NoAns breakdown
  # at the threshold chosen on dev.
  with open(tmp_path / 'data' / 'dev-v2.0.json') as f:
    dataset = json.load(f)['data']
  metrics = record['metrics']
  official = squad_evaluate_v2_0.evaluate(dataset, predictions, null_odds)
  assert metrics['exact_match'] == pytest.approx(official['final_exact'])
  assert metrics['f1'] == pytest.approx(official['final_f1'])
  shifted = {q: v - metrics['best_f1_thresh'] + 1.0
             for q, v in null_odds.items()}
  official = squad_evaluate_v2_0.evaluate(dataset, predictions, shifted)
  assert metrics['f1'] == pytest.approx(official['f1'])
  for key in ('HasAns_exact', 'HasAns_f1', 'NoAns_exact', 'NoAns_f1'):
    ours = key.replace('HasAns', 'has_ans').replace('NoAns', 'no_ans')
    assert metrics[ours] == pytest.approx(official[key]), key
  with open(os.path.join(run_dir, 'run.json')) as f:
    assert json.load(f)['settings']['seed'] == 3


def test_trimming_follows_the_runs_strategy_not_the_ambient_one(monkeypatch):
  """`run` gets its strategy as an argument and builds the streams outside
  its scope: whether batches are trimmed (never on a TPU strategy) must be
  read off that strategy. OneDeviceStrategy stands in for a TPU one."""
  monkeypatch.setattr(runner, 'SHAPE_COMPILING_STRATEGIES',
                      (tf.distribute.OneDeviceStrategy,))
  one_device = tf.distribute.OneDeviceStrategy('/cpu:0')
  ambient = tf.distribute.get_strategy()
  sst2, squad = (task_names.parse_task(n) for n in ('glue/sst2',
                                                    'squad/v1.1'))
  cfg = runner.RunConfig(seed=0, learning_rate=1e-4, batch_size=8, epochs=1,
                         max_seq_length=32)
  assert not isinstance(ambient, tf.distribute.OneDeviceStrategy)
  assert not runner._trims(sst2, cfg, one_device)
  assert runner._trims(sst2, cfg, ambient)
  assert not runner._trims(
      sst2, runner.RunConfig(**{**cfg.__dict__, 'trim_padding': False}),
      ambient)
  assert not runner._trims(squad, cfg, ambient)  # GLUE only
