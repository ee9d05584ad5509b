"""Run by mirrored_test.py in a fresh process: splits the CPU into two
logical devices (before TF initialises them), then trains a few steps under
one_device and under mirrored on the same data, and prints
`RESULT {strategy: {"replicas", "losses": [{name: value}], "weights"}}`.

  python -m tests.official_ext.trainer.mirrored_worker toy STEPS
  python -m tests.official_ext.trainer.mirrored_worker teams STEPS RECORDS

toy: `RegressionTask` through TaskTrainer and the real AdamW (seconds).
teams: teams_tiny.gin on `write_uniform_records` records (a minute).
"""
import json
import sys

import numpy as np
import tensorflow as tf

_CPU = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(
    _CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

# pylint: disable=g-import-not-at-top,wrong-import-position
from official_ext.trainer import gin_setup
from official_ext.trainer import optimizer_builder
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from official_ext.trainer import task_trainer
from tests.official_ext.trainer import trainer_fixtures as fx

BATCH = 8


def toy_trainer(strategy, unused_records):
  xs = np.random.default_rng(0).normal(size=(64, 1, 1)).astype(np.float32)

  def train_fn(start_step):
    return lambda ctx: tf.data.Dataset.from_tensor_slices(
        {'x': xs.reshape(-1, 1)}).skip(start_step * BATCH).batch(
            ctx.get_per_replica_batch_size(BATCH))

  task = fx.RegressionTask(params=None)
  with strategy.scope():
    model = task.build_model()
    optimizer = optimizer_builder.adamw(decay_steps=10, learning_rate=0.1,
                                        warmup_steps=0)
  return task_trainer.TaskTrainer(task, model, optimizer, strategy,
                                  train_dataset_fn=train_fn,
                                  global_batch_size=BATCH)


def teams_trainer(strategy, records):
  fx.parse('gin/teams_tiny.gin', 'DATA_MANIFEST = None',
           f'pretrain_data.input_path = {records!r}',
           'pretrain_data.seq_length = 64',
           'pretrain_data.max_predictions_per_seq = 10',
           'pretrain_data.vocab_size = 7027')
  return runner.build_trainer(gin_setup.build_experiment(), strategy)


def train(build, strategy_name, steps, records):
  strategy = strategy_builder.build_strategy(strategy_name)
  trainer = build(strategy, records)
  losses = []
  for _ in range(steps):
    logs = trainer.train(tf.constant(1))
    losses.append({k: float(v) for k, v in logs.items() if 'loss' in k})
  weights = [v.numpy().ravel()[:50].tolist()
             for v in trainer.model.trainable_variables]
  return dict(replicas=strategy.num_replicas_in_sync, losses=losses,
              weights=weights)


def main():
  build = {'toy': toy_trainer, 'teams': teams_trainer}[sys.argv[1]]
  steps = int(sys.argv[2])
  records = sys.argv[3] if len(sys.argv) > 3 else None
  out = {name: train(build, name, steps, records)
         for name in ('one_device', 'mirrored')}
  print('RESULT ' + json.dumps(out))


if __name__ == '__main__':
  main()
