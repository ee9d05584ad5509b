"""AdamW with linear warm-up and linear decay, global-norm clipping, and
mixed-precision loss scaling, built with Model Garden's optimizer factory.

The optimizer is Keras' (non-legacy) AdamW: gradients are summed over
replicas *before* clipping, so clipping, and the whole update, are the same
under MirroredStrategy as on one device. Weight decay is decoupled
(`w -= lr * weight_decay * w`) and skips variables whose name matches one of
`exclude_from_weight_decay` (LayerNorm and biases, as in BERT/ELECTRA/TEAMS).
The schedule (Model Garden's `LinearWarmup` over `PolynomialDecayWithOffset`
with power 1) is the line from `learning_rate` at step 0 to
`end_learning_rate` at `decay_steps`, except during warm-up, where it rises
linearly from 0 to meet that line at `warmup_steps` (as in BERT/ELECTRA). It
reads `optimizer.iterations`, which is checkpointed, so a resumed run
continues the schedule exactly.
"""

from typing import Sequence

import tensorflow as tf
import tf_keras

from official.modeling import optimization

MIXED_PRECISION = ('float32', 'mixed_bfloat16', 'mixed_float16')
DEFAULT_EXCLUDE = ('LayerNorm', 'layer_norm', 'bias')


def adamw(decay_steps: int, learning_rate: float = 5e-4,
          warmup_steps: int = 10000, end_learning_rate: float = 0.0,
          weight_decay: float = 0.01, beta_1: float = 0.9,
          beta_2: float = 0.999, epsilon: float = 1e-6,
          clip_norm: float = 1.0,
          exclude_from_weight_decay: Sequence[str] = DEFAULT_EXCLUDE,
          jit_compile: bool = False) -> tf_keras.optimizers.Optimizer:
  """The AdamW described in the module docstring.

  Args:
    decay_steps: step at which the rate reaches `end_learning_rate` (the
      experiment passes its `train_steps`).
    learning_rate: the decay line's value at step 0.
    warmup_steps: linear warm-up length (0: none).
    end_learning_rate: rate at `decay_steps`.
    weight_decay: decoupled weight decay rate.
    beta_1, beta_2, epsilon: Adam's.
    clip_norm: clip gradients to this global norm (0: no clipping).
    exclude_from_weight_decay: regexes of variable names not decayed.
    jit_compile: XLA-compile the update (used on GPU only by Keras).

  Returns:
    An unbuilt `tf_keras.optimizers.AdamW`; build it in the strategy scope.
  """
  if decay_steps <= 0:
    raise ValueError(f'adamw: decay_steps must be positive, got {decay_steps}')
  if not 0 <= warmup_steps <= decay_steps:
    raise ValueError(f'adamw: warmup_steps={warmup_steps} must lie in '
                     f'[0, decay_steps={decay_steps}]')
  params = {
      'optimizer': {'type': 'adamw_experimental', 'adamw_experimental': {
          'beta_1': beta_1, 'beta_2': beta_2, 'epsilon': epsilon,
          'weight_decay': weight_decay,
          'global_clipnorm': clip_norm if clip_norm > 0 else None,
          'jit_compile': jit_compile}},
      'learning_rate': {'type': 'polynomial', 'polynomial': {
          'initial_learning_rate': learning_rate, 'decay_steps': decay_steps,
          'end_learning_rate': end_learning_rate, 'power': 1.0}},
  }
  if warmup_steps:
    params['warmup'] = {'type': 'linear', 'linear': {
        'warmup_steps': warmup_steps, 'warmup_learning_rate': 0.0}}
  factory = optimization.OptimizerFactory(
      optimization.OptimizationConfig(params))
  optimizer = factory.build_optimizer(factory.build_learning_rate(),
                                      use_legacy_optimizer=False)
  optimizer.exclude_from_weight_decay(
      var_names=list(exclude_from_weight_decay))
  return optimizer


def set_mixed_precision_policy(policy: str) -> None:
  """Sets the global Keras policy; call before building the model."""
  if policy not in MIXED_PRECISION:
    raise ValueError(f'Experiment.mixed_precision={policy!r} is unknown; '
                     f'choose one of {MIXED_PRECISION}.')
  tf_keras.mixed_precision.set_global_policy(policy)


def with_loss_scaling(optimizer, policy: str):
  """Wraps `optimizer` in a dynamic LossScaleOptimizer for mixed_float16."""
  if policy == 'mixed_float16':
    return tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
  return optimizer


def current_learning_rate(optimizer) -> tf.Tensor:
  """The rate the last step used (float32 scalar)."""
  inner = getattr(optimizer, 'inner_optimizer', optimizer)
  lr = inner.learning_rate
  if callable(lr):
    lr = lr(inner.iterations)
  return tf.cast(tf.convert_to_tensor(lr), tf.float32)
