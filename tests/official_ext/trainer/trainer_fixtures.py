"""Tiny records and gin helpers shared by the trainer tests."""
import json
import os

import numpy as np
import tensorflow as tf
import tf_keras

from official.core import base_task

from official_ext.trainer import gin_setup
from official_ext.trainer import task_trainer
from tests.tfrecords_tools import builder_fixtures as bfx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data

REPO = bfx.REPO
VOCAB = bfx.VOCAB  # 7027 tokens


def build_records(out_dir, num_docs=6, seq_length=64, predictions=10):
  """Builder output (3 shards, ~64 records of `seq_length`); the manifest."""
  corpus = bfx.write_corpus(os.path.join(out_dir, 'corpus.txt'),
                            num_docs=num_docs, lines_per_doc=12)
  config = build_config.BuildConfig(
      max_seq_length=seq_length, max_predictions_per_seq=predictions,
      dupe_factor=2, pair_mode='so', num_shards=3, docs_per_chunk=4)
  data_dir = os.path.join(out_dir, 'data')
  create_pretraining_data.run(config, corpus, VOCAB, data_dir, num_workers=1)
  return os.path.join(data_dir, 'manifest.json')


def write_uniform_records(path, num_records, seq_length, predictions,
                          vocab_size, seed=0):
  """Records with no padding and exactly `predictions` masked positions each,
  so every replica's share of a batch has the same loss weights."""
  rng = np.random.default_rng(seed)
  with tf.io.TFRecordWriter(path) as writer:
    for _ in range(num_records):
      ids = rng.integers(5, vocab_size, seq_length)
      positions = np.sort(rng.choice(np.arange(1, seq_length), predictions,
                                     replace=False))
      labels = ids[positions].copy()
      ids[positions] = 4
      feature = {
          'input_ids': ids, 'input_mask': np.ones(seq_length, np.int64),
          'segment_ids': (np.arange(seq_length) >= seq_length // 2),
          'masked_lm_positions': positions, 'masked_lm_ids': labels}
      feature = {k: tf.train.Feature(int64_list=tf.train.Int64List(
          value=np.asarray(v, np.int64))) for k, v in feature.items()}
      feature['masked_lm_weights'] = tf.train.Feature(
          float_list=tf.train.FloatList(value=[1.0] * predictions))
      writer.write(tf.train.Example(features=tf.train.Features(
          feature=feature)).SerializeToString())
  return path


def parse(gin_file, *bindings):
  """Parses a repo gin file (path relative to the repo) plus bindings."""
  gin_setup.parse([os.path.join(REPO, gin_file)], list(bindings))


def manifest_copy(manifest, out_dir, **changes):
  """A copy of a manifest (same shards, by absolute path) with changes."""
  with open(manifest) as f:
    info = json.load(f)
  for key, value in changes.items():
    section, field = key.split('__')
    info[section][field] = value
  os.makedirs(out_dir, exist_ok=True)
  src = os.path.dirname(manifest)
  for shard in info['shards']:
    link = os.path.join(out_dir, shard['file'])
    if not os.path.exists(link):
      os.symlink(os.path.join(src, shard['file']), link)
  path = os.path.join(out_dir, 'manifest.json')
  with open(path, 'w') as f:
    json.dump(info, f)
  return path


class RegressionTask(base_task.Task):
  """Fits y = 2x with one weight; an input of inf makes the loss NaN.

  The loss is the mean over a replica's rows; its gradient is divided by the
  replica count (replicas' gradients are summed), as in the real tasks.
  """

  def build_model(self):
    model = tf_keras.Sequential([tf_keras.layers.Dense(
        1, use_bias=False, kernel_initializer='zeros')])
    model.build((None, 1))
    return model

  def build_inputs(self, params, input_context=None):
    raise NotImplementedError('the test passes datasets to TaskTrainer')

  def build_metrics(self, training=None):
    return [tf_keras.metrics.Mean('mse_loss')]

  def _loss(self, inputs, model):
    x = inputs['x']
    return tf.reduce_mean(tf.square(model(x) - 2.0 * x))

  def train_step(self, inputs, model, optimizer, metrics=None):
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    with tf.GradientTape() as tape:
      loss = self._loss(inputs, model)
      replica_loss = loss / replicas
    grads = tape.gradient(replica_loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    metrics[0].update_state(loss)
    return {'loss': loss, 'mse_loss': loss}

  def validation_step(self, inputs, model, metrics=None):
    loss = self._loss(inputs, model)
    metrics[0].update_state(loss)
    return {'loss': loss}


def regression_trainer(xs, learning_rate=0.01):
  """A TaskTrainer of RegressionTask whose step k (1-based) reads xs[k - 1]
  (the dataset is built from the restored step, as the real jobs do)."""
  xs = np.asarray(xs, np.float32).reshape(-1, 1, 1)

  def train_fn(start_step):
    return lambda ctx: tf.data.Dataset.from_tensor_slices(
        {'x': xs}).skip(start_step)

  task = RegressionTask(params=None)
  return task_trainer.TaskTrainer(
      task, task.build_model(), tf_keras.optimizers.SGD(learning_rate),
      tf.distribute.get_strategy(), train_dataset_fn=train_fn,
      eval_dataset_fn=train_fn(0), global_batch_size=1)
