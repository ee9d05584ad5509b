"""Task-id embedding (ERNIE 2.0 / olfmlm) driven by the step's active tasks.

A learned table `[num_tasks, width]`. Each step the trainer sets which tasks
are active (the combination schedule's loss weights); the layer adds the mean
of the active tasks' rows to every token's embedding sum (before the
embedding LayerNorm, like the token, position and segment embeddings).

olfmlm gives every example the id of the last task of the active set and uses
a never-trained row 0 at fine-tuning. Here the active set's mean row is used
while pretraining and, at export, the mean of all rows (every task active, as
after CMTL's last stage) is folded into the position table, so the exported
encoder is a plain Model Garden encoder that needs no task id.
"""

import tensorflow as tf
import tf_keras


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class TaskEmbedding(tf_keras.layers.Layer):
  """Adds the active tasks' mean embedding to `[batch, seq_len, width]`.

  Args:
    num_tasks: rows of the table (one per task, base objective included).
    initializer: table initializer.
  """

  def __init__(self, num_tasks, initializer='glorot_uniform', **kwargs):
    super().__init__(**kwargs)
    if num_tasks < 1:
      raise ValueError(f'num_tasks={num_tasks} must be >= 1')
    self._num_tasks = num_tasks
    self._initializer = tf_keras.initializers.get(initializer)

  def build(self, input_shape):
    width = int(input_shape[-1])
    self.table = self.add_weight(
        'task_embeddings', shape=[self._num_tasks, width],
        initializer=self._initializer, trainable=True)
    # Which tasks this step trains; set by the trainer, saved with the model.
    self.active = self.add_weight(
        'active_tasks', shape=[self._num_tasks],
        initializer=tf_keras.initializers.Ones(), trainable=False,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    super().build(input_shape)

  def mean_vector(self, weights=None):
    """`[width]` mean of the rows selected by `weights` (default: active)."""
    weights = self.active if weights is None else weights
    weights = tf.cast(weights > 0, self.table.dtype)
    return tf.math.divide_no_nan(
        tf.linalg.matvec(self.table, weights, transpose_a=True),
        tf.reduce_sum(weights))

  def set_active(self, weights):
    """Marks the tasks with weight > 0 as active for the next call."""
    self.active.assign(tf.cast(weights, self.active.dtype))

  def call(self, embeddings):
    vector = tf.cast(self.mean_vector(), embeddings.dtype)
    return embeddings + vector

  def get_config(self):
    config = super().get_config()
    config.update({
        'num_tasks': self._num_tasks,
        'initializer': tf_keras.initializers.serialize(self._initializer),
    })
    return config
