"""Task-id embedding: active-task mean, and folding it away for export."""

import numpy as np
import pytest
import tensorflow as tf

from official.projects.teams import teams

from official_ext.modeling.layers import task_embedding
from official_ext.modeling.networks import task_conditioned_embedding as tce
from tests.official_ext.modeling import modeling_fixtures as fx


def test_adds_the_mean_of_the_active_rows():
  layer = task_embedding.TaskEmbedding(3)
  x = tf.zeros((1, 2, 2))
  layer(x)
  layer.table.assign([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]])
  layer.set_active([1.0, 0.0, 1.0])
  # mean of rows 0 and 2 = [2.5, 2.0], added at every token.
  np.testing.assert_allclose(layer(x), [[[2.5, 2.0], [2.5, 2.0]]])
  layer.set_active([0.0, 0.0, 0.0])
  np.testing.assert_allclose(layer(x), np.zeros((1, 2, 2)))
  assert task_embedding.TaskEmbedding.from_config(
      layer.get_config()).get_config() == layer.get_config()
  with pytest.raises(ValueError, match='num_tasks=0'):
    task_embedding.TaskEmbedding(0)


def test_gradient_reaches_only_active_rows():
  layer = task_embedding.TaskEmbedding(3)
  x = tf.ones((1, 2, 2))
  layer(x)
  layer.set_active([0.0, 1.0, 0.0])
  with tf.GradientTape() as tape:
    y = tf.reduce_sum(layer(x))
  grad = tape.gradient(y, layer.table).numpy()
  np.testing.assert_allclose(grad, [[0, 0], [2, 2], [0, 0]])


def test_folding_gives_a_plain_encoder_with_equal_outputs():
  cfg = fx.no_dropout(fx.tiny_teams_config().discriminator)
  conditioned = teams.get_encoder(cfg, embedding_network=tce.build(cfg, 3))
  batch = fx.tiny_batch()
  inputs = [batch['input_word_ids'], batch['input_mask'],
            batch['input_type_ids']]
  conditioned(inputs)
  task = conditioned.embedding_network.task_embedding
  task.table.assign(tf.random.normal(task.table.shape, seed=1))
  task.set_active([1.0, 1.0, 1.0])
  expected = conditioned(inputs)
  plain = teams.get_encoder(cfg)
  plain(inputs)
  tce.fold_task_embedding(conditioned, plain)
  got = plain(inputs)
  np.testing.assert_allclose(got['sequence_output'],
                             expected['sequence_output'], atol=1e-5)
  np.testing.assert_allclose(got['pooled_output'], expected['pooled_output'],
                             atol=1e-5)
  task.set_active([1.0, 0.0, 0.0])  # a different task set differs
  assert not np.allclose(conditioned(inputs)['sequence_output'],
                         got['sequence_output'], atol=1e-4)
