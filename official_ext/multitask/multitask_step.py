"""One multi-task optimiser update from one or more task sub-batches.

    step = MultiTaskStep(model, optimizer, strategy, loss_scales,
                         sub_batches_per_update=k, r3f=R3FConfig(...))
    for task, features in sub_batches:        # k of them, any tasks
      losses = step.accumulate(task, features)
    step.apply()                              # one optimizer update

`accumulate` runs the task's forward and backward pass (under
`strategy.run`, on distributed `features`) and adds

    grad( scale_task * (L_task + lambda * R3F_task) / k )

to per-variable gradient sums (one per trainable variable; `ON_READ` / `SUM`
variables, so each replica sums its own). With `k` sub-batches an update is
the mean over them of the scaled task losses: Muppet's heterogeneous batch
when they come from several tasks, a batch-homogeneous update when `k = 1`.
Under a multi-replica strategy each replica's loss is also divided by the
number of replicas, because the optimizer sums gradients over replicas: the
update equals the one-device update on the global batch.

`apply` hands the sums to the optimizer — only the encoder's variables and
those of the heads that received a gradient since the last `apply` (a head
with no data in an update is not moved, as when PyTorch skips a `None`
gradient; Keras would otherwise apply its stale Adam moments), then zeroes
the sums. One `tf.function` per task for `accumulate`, one per set of
updated heads for `apply`.

R3F (`R3FConfig.lam > 0`): the noisy pass adds i.i.d. noise (uniform on
[-eps, eps] or normal with std eps) to the token embeddings and penalises
the symmetric KL between the clean and noisy outputs
(`multitask_model.r3f_penalty_for`).
"""

import dataclasses
from typing import Dict, Mapping, Sequence

import tensorflow as tf
import tf_keras

from official_ext.multitask import embedding_noise_hook
from official_ext.multitask import multitask_model as model_lib
from official_ext.multitask import r3f as r3f_lib


@dataclasses.dataclass(frozen=True)
class R3FConfig:
  """R3F settings; `lam = 0` turns it off."""
  lam: float = 0.0
  noise: str = 'uniform'
  eps: float = 1e-5

  def check(self) -> 'R3FConfig':
    if not self.lam >= 0:
      raise ValueError(f'r3f lambda must be >= 0, got {self.lam!r}.')
    if self.noise not in r3f_lib.NOISE_KINDS:
      raise ValueError(f'unknown R3F noise {self.noise!r}; known: '
                       f'{", ".join(sorted(r3f_lib.NOISE_KINDS))}.')
    if not self.eps > 0:
      raise ValueError(f'R3F eps must be > 0, got {self.eps!r}.')
    return self


class MultiTaskStep:
  """Gradient accumulation over task sub-batches; see the module docstring."""

  def __init__(self, model: model_lib.MultiTaskModel,
               optimizer: tf_keras.optimizers.Optimizer,
               strategy: tf.distribute.Strategy,
               loss_scales: Mapping[str, float],
               sub_batches_per_update: int = 1,
               r3f: R3FConfig = R3FConfig()):
    if sub_batches_per_update < 1:
      raise ValueError('sub_batches_per_update must be >= 1, got '
                       f'{sub_batches_per_update}.')
    self._model = model
    self._optimizer = optimizer
    self._strategy = strategy
    self._scales = dict(loss_scales)
    self._k = int(sub_batches_per_update)
    self._r3f = r3f.check()
    unbuilt = sorted(name for name, head in model.heads.items()
                     if not head.built)
    if unbuilt:
      # Their variables would be created inside the first accumulate() and
      # never receive a gradient (nor have optimizer slots).
      raise ValueError(
          f'head(s) {unbuilt} have no variables yet: call the model once on '
          'a batch of every task (building its head) before MultiTaskStep.')
    self._head_vars = {name: list(head.trainable_variables)
                       for name, head in model.heads.items()}
    head_ids = {id(v) for vs in self._head_vars.values() for v in vs}
    self._encoder_vars = [v for v in model.trainable_variables
                          if id(v) not in head_ids]
    self._variables = self._encoder_vars + [
        v for name in sorted(self._head_vars) for v in self._head_vars[name]]
    with strategy.scope():
      # Keras optimizers make slots only for the variables of their first
      # build(): build on every variable an update may touch (no-op when the
      # caller built it already).
      if hasattr(optimizer, 'build'):
        optimizer.build(self._variables)
      self._check_optimizer_knows(optimizer)
      self._sums = [
          tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                      name=f'grad_sum_{i}',
                      synchronization=tf.VariableSynchronization.ON_READ,
                      aggregation=tf.VariableAggregation.SUM)
          for i, v in enumerate(self._variables)]
    self._index = {id(v): i for i, v in enumerate(self._variables)}
    self._accumulate_fns: Dict[str, tf.types.experimental.Function] = {}
    self._apply_fns = {}
    self._pending_heads = set()

  def _check_optimizer_knows(self, optimizer):
    index = getattr(optimizer, '_index_dict', None)
    var_key = getattr(optimizer, '_var_key', None)
    if index is None or var_key is None:
      return
    unknown = [v.name for v in self._variables if var_key(v) not in index]
    if unknown:
      raise ValueError(
          f'the optimizer was built without {len(unknown)} of the model\'s '
          f'trainable variables (e.g. {unknown[:3]}): build it on '
          'model.trainable_variables after every head is built.')

  @property
  def sub_batches_per_update(self) -> int:
    return self._k

  @property
  def optimizer(self) -> tf_keras.optimizers.Optimizer:
    return self._optimizer

  def _loss_fn(self, task):
    model, scale = self._model, self._scales[task]
    replicas = self._strategy.num_replicas_in_sync
    r3f = self._r3f
    noise_fn = (embedding_noise_hook.r3f_noise_fn(r3f.noise, r3f.eps)
                if r3f.lam > 0 else None)

    def step_fn(features):
      with tf.GradientTape() as tape:
        outputs = model(features, task=task, training=True)
        task_loss = model.loss(task, features, outputs)
        total = task_loss
        penalty = tf.constant(0.0)
        if r3f.lam > 0:
          penalty = model_lib.r3f_penalty_for(model, task, features,
                                              outputs, noise_fn)
          total = total + r3f.lam * penalty
        scaled = total * scale / (self._k * replicas)
      head = model.task_heads[task]
      variables = self._encoder_vars + self._head_vars[head]
      grads = tape.gradient(scaled, variables)
      for var, grad in zip(variables, grads):
        if grad is not None:
          self._sums[self._index[id(var)]].assign_add(
              tf.convert_to_tensor(grad))
      return {'loss': task_loss, 'r3f_penalty': penalty,
              'scaled_loss': scaled * self._k * replicas}

    return step_fn

  def accumulate(self, task: str, features) -> Dict[str, tf.Tensor]:
    """Adds one sub-batch's scaled gradients; returns its mean losses."""
    if task not in self._scales:
      raise KeyError(f'task {task!r} has no loss scale; known tasks: '
                     f'{", ".join(sorted(self._scales))}.')
    fn = self._accumulate_fns.get(task)
    if fn is None:
      step_fn = self._loss_fn(task)

      @tf.function
      def fn(features):  # pylint: disable=function-redefined
        per_replica = self._strategy.run(step_fn, args=(features,))
        return {k: self._strategy.reduce('MEAN', v, axis=None)
                for k, v in per_replica.items()}
      self._accumulate_fns[task] = fn
    self._pending_heads.add(self._model.task_heads[task])
    return fn(features)

  def _apply_fn(self, heads: Sequence[str]):
    variables = self._encoder_vars + [v for name in heads
                                      for v in self._head_vars[name]]
    sums = [self._sums[self._index[id(v)]] for v in variables]

    def replica_apply():
      self._optimizer.apply_gradients(
          [(tf.convert_to_tensor(s), v) for s, v in zip(sums, variables)])
      for s in self._sums:
        s.assign(tf.zeros_like(s))

    @tf.function
    def fn():
      self._strategy.run(replica_apply)
    return fn

  def apply(self) -> None:
    """One optimizer update with the accumulated sums; zeroes them."""
    if not self._pending_heads:
      raise RuntimeError('apply() without any accumulate() since the last '
                         'update.')
    key = tuple(sorted(self._pending_heads))
    if key not in self._apply_fns:
      self._apply_fns[key] = self._apply_fn(key)
    self._apply_fns[key]()
    self._pending_heads = set()

  def reset(self) -> None:
    """Drops accumulated gradients (e.g. after restoring a checkpoint)."""
    for s in self._sums:
      s.assign(tf.zeros_like(s))
    self._pending_heads = set()

