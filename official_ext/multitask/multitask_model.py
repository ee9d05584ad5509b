"""One shared encoder, one head per head name, routed by task.

  model = build_multitask_model(encoder, prepared_tasks)
  outputs = model(features, task='sst2', training=True)
  loss = model.loss('sst2', features, outputs)

`features` is the task's batch dict (`supervised_data`): `input_word_ids`,
`input_mask`, `input_type_ids` int32 `[B, S]` (`[B, C, S]` for multiple
choice, flattened to `[B * C, S]` for the encoder) plus the labels. Outputs
per kind: classification logits `[B, C]`; regression `[B]`; span
{'start_logits', 'end_logits'} `[B, S]`; multiple choice scores `[B, C]`.

Several tasks may share a head (span -> 'mrc', multiple choice ->
'commonsense'): the head object is the same, so one update moves every task
that uses it.

R3F: `model(features, task=..., embedding_noise=noise_fn)` runs the noisy
pass (noise added to the word embeddings by `embedding_noise_hook`);
`r3f_penalty_for` runs it and returns the symmetric KL against a clean pass.
"""

import types
from typing import Any, Dict, Mapping, Optional

import tensorflow as tf
import tf_keras

from official_ext.multitask import embedding_noise_hook
from official_ext.multitask import r3f
from official_ext.multitask.heads import base
from official_ext.multitask.heads import registry

ENCODER_INPUTS = ('input_word_ids', 'input_mask', 'input_type_ids')


@tf_keras.utils.register_keras_serializable(package='OfficialExtMultitask')
class MultiTaskModel(tf_keras.Model):
  """Shared encoder + supervised heads.

  Args:
    encoder: a Model Garden encoder taking a dict of `ENCODER_INPUTS` and
      returning `sequence_output` `[rows, S, H]` and `pooled_output`
      `[rows, H]` (`EncoderScaffold`, `BertEncoderV2`).
    heads: head name -> `SupervisedHead`.
    task_heads: task name -> head name.
    task_kinds: task name -> kind; default: each head's `kind`.

  Raises:
    ValueError: a task names an unknown head, or a head that does not serve
      its kind.
  """

  def __init__(self, encoder, heads: Mapping[str, base.SupervisedHead],
               task_heads: Mapping[str, str],
               task_kinds: Optional[Mapping[str, str]] = None, **kwargs):
    super().__init__(**kwargs)
    if not task_heads:
      raise ValueError('MultiTaskModel needs at least one task in task_heads.')
    task_kinds = dict(task_kinds or {})
    for task, head_name in task_heads.items():
      if head_name not in heads:
        raise ValueError(f'task {task!r} uses head {head_name!r}, which is '
                         f'not among the heads: {sorted(heads)}.')
      head = heads[head_name]
      kind = task_kinds.setdefault(task, head.kind)
      registry.check_head(head_name, head, task, kind)
    unknown = sorted(set(task_kinds) - set(task_heads))
    if unknown:
      raise ValueError(f'task_kinds names tasks without a head: {unknown}.')
    self.encoder = encoder
    self.heads = dict(heads)
    # Read-only mappings of strings: nothing for Keras to track.
    self._task_heads = types.MappingProxyType(dict(task_heads))
    self._task_kinds = types.MappingProxyType(task_kinds)
    self._noise_hook = None

  @property
  def task_heads(self) -> Mapping[str, str]:
    return self._task_heads

  @property
  def task_kinds(self) -> Mapping[str, str]:
    return self._task_kinds

  @property
  def tasks(self):
    return tuple(self._task_heads)

  def head_for(self, task: str) -> base.SupervisedHead:
    """The head that trains `task`."""
    if task not in self._task_heads:
      raise ValueError(f'unknown task {task!r}; the model has tasks: '
                       f'{", ".join(self._task_heads)}.')
    return self.heads[self._task_heads[task]]

  @property
  def noise_hook(self) -> embedding_noise_hook.EmbeddingNoiseHook:
    """The encoder's word-embedding noise hook (found on first use)."""
    if self._noise_hook is None:
      hook = embedding_noise_hook.EmbeddingNoiseHook(self.encoder)
      object.__setattr__(self, '_noise_hook', hook)
    return self._noise_hook

  def encoder_inputs(self, task: str, features) -> Dict[str, tf.Tensor]:
    """The encoder's id tensors `[rows, S]` (multiple choice: B * C rows)."""
    missing = [k for k in ENCODER_INPUTS if k not in features]
    if missing:
      raise KeyError(f'task {task!r}: features lack {missing}; got '
                     f'{sorted(features)}.')
    inputs = {k: features[k] for k in ENCODER_INPUTS}
    if self._task_kinds[task] == 'multiple_choice':
      for key, ids in inputs.items():
        if ids.shape.rank != 3:
          raise ValueError(f'task {task!r} (multiple choice): {key} must be '
                           f'[batch, choices, seq_len], got {ids.shape}.')
      inputs = {k: tf.reshape(v, [-1, tf.shape(v)[-1]])
                for k, v in inputs.items()}
    return inputs

  def call(self, features, task: Optional[str] = None, training=None,
           embedding_noise: Optional[embedding_noise_hook.NoiseFn] = None):
    """Runs the encoder and the task's head.

    Args:
      features: the task's batch dict (see module doc).
      task: the task name (required).
      training: dropout on/off.
      embedding_noise: None, or noise_fn(shape, dtype) -> noise added to the
        word embeddings for this pass (R3F).

    Returns:
      The head's outputs (see module doc).
    """
    if task is None:
      raise ValueError('MultiTaskModel needs task=<name>; tasks: '
                       f'{", ".join(self._task_heads)}.')
    head = self.head_for(task)
    inputs = self.encoder_inputs(task, features)
    if embedding_noise is None:
      encoder_outputs = self.encoder(inputs, training=training)
    else:
      with self.noise_hook.noise(embedding_noise):
        encoder_outputs = self.encoder(inputs, training=training)
    return head.head_outputs(encoder_outputs, features, training=training)

  def per_example_loss(self, task: str, features, outputs) -> tf.Tensor:
    """The task's loss per example, `[B]` float32."""
    return self.head_for(task).per_example_loss(features, outputs)

  def loss(self, task: str, features, outputs) -> tf.Tensor:
    """The task's mean loss over the batch, float32 scalar (unscaled).

    (This model is trained by the multi-task trainer, not `compile`/`fit`,
    whose `loss` attribute this method takes the place of.)
    """
    return tf.reduce_mean(self.per_example_loss(task, features, outputs))

  def predictions(self, task: str, outputs) -> tf.Tensor:
    return self.head_for(task).predictions(outputs)

  def r3f_logits(self, task: str, outputs) -> tf.Tensor:
    return self.head_for(task).r3f_logits(outputs)

  def num_predictions(self, task: str, features=None) -> Optional[int]:
    """Muppet's n from the head (None for regression or when unknown)."""
    return self.head_for(task).num_predictions(features)

  def checkpoint_items(self) -> Dict[str, Any]:
    """`{'encoder': ..., 'head_<name>': head}` for `tf.train.Checkpoint`.

    A fine-tuning run restores the encoder and, to reuse a head, e.g.
    `tf.train.Checkpoint(encoder=enc, head_mrc=head).read(path)
    .expect_partial()`.
    """
    items = {'encoder': self.encoder}
    items.update({f'head_{name}': head for name, head in self.heads.items()})
    return items

  def get_config(self):
    # Holds the encoder and head objects (as Model Garden's models do):
    # from_config rebuilds the routing around the same layers.
    return {'encoder': self.encoder, 'heads': dict(self.heads),
            'task_heads': dict(self._task_heads),
            'task_kinds': dict(self._task_kinds), 'name': self.name}

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)


def _task_list(prepared_or_infos):
  if isinstance(prepared_or_infos, Mapping):
    infos = list(prepared_or_infos.values())
  else:
    infos = list(prepared_or_infos)
  if not infos:
    raise ValueError('build_multitask_model needs at least one task.')
  for info in infos:
    if not hasattr(info, 'spec'):
      raise TypeError('build_multitask_model takes PreparedTask-like objects '
                      f'(with .spec, .num_classes); got {info!r}.')
  return infos


def build_multitask_model(encoder, prepared_or_infos, dropout_rate: float = 0.1,
                          initializer_range: float = 0.02,
                          name: str = 'multitask_model',
                          spectral_norm: bool = False) -> MultiTaskModel:
  """A `MultiTaskModel` with one head per distinct `spec.head_name`.

  Args:
    encoder: the shared encoder.
    prepared_or_infos: `PreparedTask`s (or any objects with `.spec` and
      `.num_classes`), as a sequence or a task name -> object mapping.
    dropout_rate: dropout of the classification and multiple-choice heads.
    initializer_range: stddev of the heads' kernel initializers.
    name: the model's name.
    spectral_norm: spectrally normalised classification/regression heads
      (R4F).

  Raises:
    ValueError: a task name used twice, a head shared by tasks of different
      kinds, or a shared classification head with different class counts.
  """
  heads, task_heads, task_kinds = {}, {}, {}
  for info in _task_list(prepared_or_infos):
    spec = info.spec
    if spec.name in task_heads:
      raise ValueError(f'task name {spec.name!r} is used twice.')
    head_name = spec.head_name
    head = heads.get(head_name)
    if head is None:
      kwargs = dict(name=head_name, initializer_range=initializer_range)
      if spec.kind != 'span':
        kwargs['dropout_rate'] = dropout_rate
      if spec.kind in ('classification', 'regression'):
        kwargs['spectral_norm'] = spectral_norm
      head = heads[head_name] = registry.build_head_for(info, **kwargs)
    registry.check_head(head_name, head, spec.name, spec.kind)
    if spec.kind == 'classification':
      num_classes = getattr(info, 'num_classes', None) or len(spec.labels or ())
      if num_classes != head.num_classes:
        raise ValueError(
            f'head {head_name!r} has {head.num_classes} classes but task '
            f'{spec.name!r} has {num_classes}; tasks sharing a '
            'classification head need the same label set.')
    task_heads[spec.name] = head_name
    task_kinds[spec.name] = spec.kind
  return MultiTaskModel(encoder, heads, task_heads, task_kinds, name=name)


def r3f_penalty_for(model: MultiTaskModel, task: str, features, clean_outputs,
                    noise_fn: Optional[embedding_noise_hook.NoiseFn] = None,
                    training=True) -> tf.Tensor:
  """R3F's KL between a clean pass and a noisy pass of the same batch.

  Args:
    model: the MultiTaskModel.
    task: the task name.
    features: the batch the clean pass ran on.
    clean_outputs: `model(features, task=task, training=training)`.
    noise_fn: noise_fn(shape, dtype); default uniform on [-1e-5, 1e-5]
      (`embedding_noise_hook.r3f_noise_fn()`).
    training: dropout of the noisy pass (True, as fairseq's R3F).

  Returns:
    float32 scalar `r3f.r3f_penalty(head.r3f_logits(clean),
    head.r3f_logits(noisy))`; gradients flow through both passes.
  """
  noise_fn = noise_fn or embedding_noise_hook.r3f_noise_fn()
  noisy = model(features, task=task, training=training,
                embedding_noise=noise_fn)
  head = model.head_for(task)
  return r3f.r3f_penalty(head.r3f_logits(clean_outputs),
                         head.r3f_logits(noisy))
