"""Every evaluation with its step (`eval_history.json`), and the evaluation
before the first step (`Experiment.eval_at_start`)."""

import numpy as np
import tensorflow as tf

from official_ext.trainer import eval_history
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from tests.official_ext.trainer import trainer_fixtures as fx


def test_records_scalars_in_step_order_and_replaces_a_repeated_step(
    tmp_path):
  step = tf.Variable(5, dtype=tf.int64)
  action = eval_history.EvalHistory(str(tmp_path), step)
  action({'loss': np.float32(2.5), 'per_class': np.ones(3)})
  step.assign(0)
  action({'loss': tf.constant(4.0)})
  step.assign(5)
  action({'loss': 1.5})  # a rerun's evaluation at step 5
  assert eval_history.read(str(tmp_path)) == [
      {'step': 0, 'metrics': {'loss': 4.0}},
      {'step': 5, 'metrics': {'loss': 1.5}}]


def test_no_history_reads_as_empty(tmp_path):
  assert eval_history.read(str(tmp_path)) == []


def test_eval_at_start_records_the_model_before_its_first_step(
    tiny_manifest, tmp_path):
  """A tiny masked LM: evaluated at step 0 and at the end, and its held-out
  accuracy rises in between (it learns the frequent tokens)."""
  model_dir = str(tmp_path / 'mlm')
  fx.parse('gin/bert_tiny_mlm.gin', f'DATA_MANIFEST = {tiny_manifest!r}',
           'TRAIN_STEPS = 40', 'WARMUP_STEPS = 4', 'LOG_INTERVAL = 20',
           'CHECKPOINT_INTERVAL = 40', 'EVAL_INTERVAL = 40', 'EVAL_STEPS = 4',
           'BATCH_SIZE = 16', 'LEARNING_RATE = 1e-2',
           'Experiment.eval_at_start = True')
  runner.run(gin_setup.build_experiment(), model_dir, 'train_and_eval',
             strategy_builder.build_strategy('one_device'),
             print_fn=lambda line: None)
  history = eval_history.read(model_dir)
  assert [h['step'] for h in history] == [0, 40]
  first, last = (h['metrics'] for h in history)
  assert first['masked_lm_accuracy'] < 0.01  # 1 in ~7,000 tokens: chance
  assert last['masked_lm_accuracy'] > first['masked_lm_accuracy'] + 0.02
  assert last['loss'] < first['loss']
