"""One optimizer step shared by the pretraining tasks.

Divides the loss by the number of replicas (gradients are summed across
replicas), applies dynamic loss scaling under `mixed_float16`, and skips
variables without a gradient (e.g. the encoder pooler in pretraining).
"""

import tensorflow as tf
import tf_keras


def minimize(optimizer, variables, compute_loss):
  """Runs `compute_loss` under a tape and applies its gradients.

  Args:
    optimizer: a tf_keras optimizer (possibly a LossScaleOptimizer).
    variables: the trainable variables.
    compute_loss: `() -> (total_loss, extras)`; the global-batch loss of this
      replica and anything the caller wants back (outputs, loss parts).

  Returns:
    `(total_loss, extras)` as `compute_loss` returned them.
  """
  replicas = tf.distribute.get_strategy().num_replicas_in_sync
  scaled = isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer)
  with tf.GradientTape() as tape:
    total, extras = compute_loss()
    loss = total / replicas
    if scaled:
      loss = optimizer.get_scaled_loss(loss)
  grads = tape.gradient(loss, variables)
  if scaled:
    grads = optimizer.get_unscaled_gradients(grads)
  optimizer.apply_gradients(
      [(g, v) for g, v in zip(grads, variables) if g is not None])
  return total, extras
