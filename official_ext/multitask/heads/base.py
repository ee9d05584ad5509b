"""Common interface of the supervised multi-task heads (`SupervisedHead`).

A head is a `tf_keras` layer that maps the shared encoder's outputs to one
task family's predictions. The model (`multitask_model.MultiTaskModel`) runs
the encoder and hands its outputs to the head through `head_outputs`:

  head_outputs(encoder_outputs, features, training=None) -> outputs
      encoder_outputs: the encoder's dict, `sequence_output`
      `[rows, seq_len, hidden]` and `pooled_output` `[rows, hidden]` (rows =
      B, or B * C for multiple choice); features: the task's batch dict.
  per_example_loss(features, outputs) -> [B] float32
  predictions(outputs) -> the decoded prediction per example
  r3f_logits(outputs) -> [N, K] the logits R3F's symmetric KL compares
  num_predictions(features) -> Muppet's n (L / ln n), or None

`kinds` lists the task kinds (`task_spec.KINDS`) a head serves; `kind` is the
first. Losses and logits handed to losses are float32 whatever the compute
dtype (mixed precision).
"""

from typing import Any, Dict, Mapping, Optional, Tuple

import tensorflow as tf
import tf_keras

from official_ext.multitask import task_spec

Features = Mapping[str, tf.Tensor]


def require_features(head, features: Features, keys) -> None:
  """Raises KeyError naming the head and the missing feature keys."""
  missing = [k for k in keys if k not in features]
  if missing:
    raise KeyError(
        f'{type(head).__name__} {head.name!r} needs feature(s) {missing}; '
        f'the batch has {sorted(features)}.')


def sparse_ce(labels, logits) -> tf.Tensor:
  """Softmax CE per row in float32; labels `[...]`, logits `[..., K]`."""
  return tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32))


class SupervisedHead(tf_keras.layers.Layer):
  """Abstract head; subclasses set `kinds` and implement the methods below.

  Attributes:
    kinds: tuple of task kinds the head serves (subset of `task_spec.KINDS`).
  """

  kinds: Tuple[str, ...] = ()

  @property
  def kind(self) -> str:
    """The (first) task kind this head serves."""
    return self.kinds[0]

  def serves(self, kind: str) -> bool:
    return kind in self.kinds

  def check_serves(self, kind: str, task: Optional[str] = None,
                   head_name: Optional[str] = None) -> None:
    """Raises ValueError when this head cannot train a task of `kind`.

    Args:
      kind: the task's kind.
      task: the task's name, for the message.
      head_name: the head's name in the model, for the message (default the
        layer name).
    """
    if kind not in task_spec.KINDS:
      raise ValueError(f'unknown task kind {kind!r}; known: '
                       f'{", ".join(task_spec.KINDS)}.')
    if not self.serves(kind):
      head_name = head_name or self.name
      task = f'task {task!r}' if task else 'the task'
      raise ValueError(
          f'head {head_name!r} is a {" / ".join(self.kinds)} head but '
          f'{task} is {kind}.')

  def head_outputs(self, encoder_outputs: Dict[str, tf.Tensor],
                   features: Features, training=None) -> Any:
    """Runs the head on the encoder outputs of `features` (see module doc)."""
    raise NotImplementedError

  def per_example_loss(self, features: Features, outputs) -> tf.Tensor:
    """The loss of each example, `[B]` float32."""
    raise NotImplementedError

  def loss(self, features: Features, outputs) -> tf.Tensor:
    """Mean of `per_example_loss` over the batch, float32 scalar."""
    return tf.reduce_mean(self.per_example_loss(features, outputs))

  def predictions(self, outputs) -> tf.Tensor:
    """The decoded prediction of each example."""
    raise NotImplementedError

  def r3f_logits(self, outputs) -> tf.Tensor:
    """The logits `[N, K]` R3F compares between the clean and noisy pass."""
    raise NotImplementedError

  def num_predictions(self, features: Features) -> Optional[int]:
    """Muppet's n for `L / ln n` (static), or None (regression / unknown)."""
    return None
