"""Stops training at the first non-finite loss, before it is checkpointed.

`NanGuard.record(step, losses)` runs inside the compiled training loop (in
the cross-replica context, on replica-averaged scalar losses) and remembers
the first step whose losses are not all finite, with their values.
`NanGuard.check()` runs eagerly at the end of each inner loop -- before Orbit
writes any checkpoint -- and raises `NonFiniteLossError` naming that step and
its losses. So the newest checkpoint on disk is always the last good one.
The guard's variables are not checkpointed.
"""

from typing import Dict, Optional

import tensorflow as tf

_MAX_LOSSES = 32


class NonFiniteLossError(FloatingPointError):
  """A loss became NaN or Inf; the message names the step and the losses.

  Attributes:
    step: the (1-based) step whose loss was not finite, when known.
  """

  def __init__(self, message: str, step: Optional[int] = None):
    super().__init__(message)
    self.step = step


class NanGuard:
  """See module docstring. Create it inside the strategy scope."""

  def __init__(self):
    agg = tf.VariableAggregation.ONLY_FIRST_REPLICA
    self._first_bad_step = tf.Variable(-1, dtype=tf.int64, trainable=False,
                                       aggregation=agg, name='nan_guard_step')
    self._bad_values = tf.Variable(tf.zeros([_MAX_LOSSES]), trainable=False,
                                   aggregation=agg, name='nan_guard_values')
    self._names = None

  def record(self, step, losses: Dict[str, tf.Tensor]) -> None:
    """Notes `step` if it is the first with a non-finite loss (graph-safe)."""
    self._names = sorted(losses)[:_MAX_LOSSES]
    values = tf.stack([tf.cast(tf.reshape(losses[k], []), tf.float32)
                       for k in self._names])
    first = tf.logical_and(
        tf.logical_not(tf.reduce_all(tf.math.is_finite(values))),
        self._first_bad_step < 0)
    padded = tf.pad(values, [[0, _MAX_LOSSES - len(self._names)]])
    self._bad_values.assign(tf.where(first, padded, self._bad_values))
    self._first_bad_step.assign(
        tf.where(first, tf.cast(step, tf.int64), self._first_bad_step))

  def reset(self) -> None:
    """Forgets a recorded step (after a rollback restored a good state)."""
    self._first_bad_step.assign(-1)

  def bad_step(self) -> Optional[int]:
    step = int(self._first_bad_step.numpy())
    return None if step < 0 else step

  def check(self) -> None:
    """Raises NonFiniteLossError if a non-finite loss was recorded."""
    step = self.bad_step()
    if step is None:
      return
    values = self._bad_values.numpy()
    shown = ', '.join(f'{name}={values[i]:.6g}'
                      for i, name in enumerate(self._names or []))
    raise NonFiniteLossError(
        f'non-finite loss at step {step}: {shown}. Training stopped; the '
        f'newest checkpoint (before step {step}) is the last good one. Lower '
        'the learning rate, check the data, use float32, or rerun with '
        '--on_nonfinite=rollback.', step=step)
