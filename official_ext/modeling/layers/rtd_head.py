"""Replaced-token-detection (RTD) head with optional task-specific layers.

ELECTRA's head is `Dense(hidden, act) -> Dense(1)` on the discriminator's last
layer (`num_task_layers=0`). TEAMS gives RTD its own transformer layer(s) fed
by a lower layer of the shared trunk (`head_type='attention'`); the paper's
ablation replaces them by feed-forward blocks (`head_type='ffn'`).

Task-specific layers are applied in sequence, each to the previous one's
output. (Model Garden's TEAMS head feeds every task layer the head's input, so
with more than one layer only the last one counts; with exactly one layer, the
paper's design, the two agree.)
"""

import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official.nlp.modeling import layers

HEAD_TYPES = ('attention', 'ffn')


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class FeedForwardBlock(tf_keras.layers.Layer):
  """Transformer FFN sub-block without attention: `LN(x + W2 act(W1 x))`.

  Input and output `[batch, seq_len, hidden]`.
  """

  def __init__(self, intermediate_size, activation='gelu', dropout_rate=0.0,
               initializer='glorot_uniform', name='ffn_block', **kwargs):
    super().__init__(name=name, **kwargs)
    self._intermediate_size = intermediate_size
    self._activation = tf_keras.activations.get(activation)
    self._dropout_rate = dropout_rate
    self._initializer = tf_keras.initializers.get(initializer)

  def build(self, input_shape):
    hidden = int(input_shape[-1])
    self.inner = tf_keras.layers.Dense(
        self._intermediate_size, activation=self._activation,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='intermediate')
    self.outer = tf_keras.layers.Dense(
        hidden, kernel_initializer=tf_utils.clone_initializer(
            self._initializer), name='output')
    self.dropout = tf_keras.layers.Dropout(self._dropout_rate)
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=1e-12, name='output_layer_norm')
    super().build(input_shape)

  def call(self, inputs, training=None):
    update = self.dropout(self.outer(self.inner(inputs)), training=training)
    return self.layer_norm(inputs + update)

  def get_config(self):
    config = super().get_config()
    config.update({
        'intermediate_size': self._intermediate_size,
        'activation': tf_keras.activations.serialize(self._activation),
        'dropout_rate': self._dropout_rate,
        'initializer': tf_keras.initializers.serialize(self._initializer),
    })
    return config


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class ReplacedTokenDetectionHead(tf_keras.layers.Layer):
  """Per-token "was this token replaced?" logits.

  Args:
    hidden_size: width of the discriminator.
    num_task_layers: task-specific layers before the classifier (0: ELECTRA).
    head_type: "attention" (transformer layers) or "ffn" (FFN blocks).
    num_attention_heads, intermediate_size, dropout_rate,
    attention_dropout_rate: hyper-parameters of the task-specific layers.
    activation: activation of the layers and of the projection dense layer.
    initializer: kernel initializer.
  """

  def __init__(self, hidden_size, num_task_layers=0, head_type='attention',
               num_attention_heads=1, intermediate_size=None,
               activation='gelu', dropout_rate=0.0,
               attention_dropout_rate=0.0, initializer='glorot_uniform',
               name='rtd', **kwargs):
    super().__init__(name=name, **kwargs)
    if head_type not in HEAD_TYPES:
      raise ValueError(f'RTD head_type {head_type!r} is not one of '
                       f'{HEAD_TYPES}')
    if num_task_layers < 0:
      raise ValueError(f'num_task_layers={num_task_layers} must be >= 0')
    self._hidden_size = hidden_size
    self._num_task_layers = num_task_layers
    self._head_type = head_type
    self._num_attention_heads = num_attention_heads
    self._intermediate_size = intermediate_size or 4 * hidden_size
    self._activation = tf_keras.activations.get(activation)
    self._dropout_rate = dropout_rate
    self._attention_dropout_rate = attention_dropout_rate
    self._initializer = tf_keras.initializers.get(initializer)
    self.task_layers = [self._make_task_layer(i)
                        for i in range(num_task_layers)]
    self.dense = tf_keras.layers.Dense(
        hidden_size, activation=self._activation,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='transform/rtd_dense')
    self.classifier = tf_keras.layers.Dense(
        1, kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='transform/rtd_head')

  def _make_task_layer(self, index):
    if self._head_type == 'ffn':
      return FeedForwardBlock(
          self._intermediate_size, activation=self._activation,
          dropout_rate=self._dropout_rate, initializer=self._initializer,
          name=f'task_ffn_{index}')
    return layers.Transformer(
        num_attention_heads=self._num_attention_heads,
        intermediate_size=self._intermediate_size,
        intermediate_activation=self._activation,
        dropout_rate=self._dropout_rate,
        attention_dropout_rate=self._attention_dropout_rate,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name=f'task_transformer_{index}')

  def call(self, sequence_data, input_mask, training=None):
    """Logits.

    Args:
      sequence_data: `[batch, seq_len, hidden]` trunk output feeding the head.
      input_mask: `[batch, seq_len]` 1 for real tokens, 0 for padding.
      training: dropout switch.

    Returns:
      `[batch, seq_len]` logits.
    """
    data = sequence_data
    if self._num_task_layers:
      attention_mask = layers.SelfAttentionMask()(data, input_mask)
      for layer in self.task_layers:
        if self._head_type == 'ffn':
          data = layer(data, training=training)
        else:
          data = layer([data, attention_mask], training=training)
    return tf.squeeze(self.classifier(self.dense(data)), axis=-1)

  def get_config(self):
    config = super().get_config()
    config.update({
        'hidden_size': self._hidden_size,
        'num_task_layers': self._num_task_layers,
        'head_type': self._head_type,
        'num_attention_heads': self._num_attention_heads,
        'intermediate_size': self._intermediate_size,
        'activation': tf_keras.activations.serialize(self._activation),
        'dropout_rate': self._dropout_rate,
        'attention_dropout_rate': self._attention_dropout_rate,
        'initializer': tf_keras.initializers.serialize(self._initializer),
    })
    return config
