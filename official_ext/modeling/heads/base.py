"""Common interface of the auxiliary-task heads, and their shared transform.

Every head is a `tf_keras` layer with

  call(sequence_output, pooled_output, batch, training=None) -> dict
      sequence_output `[rows, seq_len, hidden]`, pooled_output `[rows, hidden]`
      (rows = B, or 2B for the QT/FS pair layout); `batch` is the reader's
      dict. Returns the head's predictions/logits, keys prefixed by its task
      name (e.g. `tf_idf_predictions`, `cap_logits`).
  loss(batch, outputs) -> scalar float32, a weighted mean over the valid
      positions/rows (0 when nothing is valid).
  build_metrics() -> list of tf_keras metrics named `<task>_<metric>`.
  update_metrics(metrics, batch, outputs) -> None.

Losses are computed in float32 whatever the compute dtype (mixed precision).
"""

import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official_ext.data import features as F
from official_ext.modeling.losses import pretrain_losses

# Which builder switch writes a feature: a hint for the missing-feature error.
_FEATURE_SOURCE = {spec.name: f"the builder's --aux_labels={label} (and the "
                               f"reader's aux_labels)"
                   for label, specs in F.AUX_FEATURES.items()
                   for spec in specs}
_FEATURE_SOURCE[F.AUX_TOKEN_WEIGHTS] = "any --aux_labels (written with them)"
_FEATURE_SOURCE[F.NEXT_SENTENCE_LABELS] = (
    "a --pair_mode of the task (nsp/asp/so/sdp) and the reader's "
    "use_next_sentence_label=True")


def check_features(head, batch_keys, keys=None):
  """Raises ValueError when `batch_keys` lacks a feature the head reads.

  Args:
    head: an AuxHead instance or class (needs `task_name`,
      `required_features`).
    batch_keys: the keys of the batch dict (any iterable of str).
    keys: the features to check; default `head.required_features`.

  Raises:
    ValueError naming the task, the missing key(s) and what writes them.
  """
  keys = head.required_features if keys is None else keys
  present = set(batch_keys)
  missing = [k for k in keys if k not in present]
  if missing:
    hints = "; ".join(f"{k!r} comes from {_FEATURE_SOURCE[k]}"
                      for k in missing if k in _FEATURE_SOURCE)
    raise ValueError(
        f"Auxiliary task {head.task_name!r} needs batch feature(s) {missing}, "
        f"missing from the batch (keys: {sorted(present)}). Build and read "
        f"records that carry them" + (f": {hints}." if hints else "."))


# Weighted mean over the global batch (one definition, in pretrain_losses).
weighted_mean = pretrain_losses.weighted_mean


def sparse_ce(labels, logits):
  """Per-element softmax CE in float32; labels `[...]`, logits `[..., C]`."""
  return tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32))


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class HeadTransform(tf_keras.layers.Layer):
  """olfmlm's HeadTransform: `LayerNorm(act(Dense(x)))`.

  Args:
    width: output width of the dense layer.
    activation: activation after the dense layer.
    initializer: kernel initializer.
    layer_norm_epsilon: epsilon of the LayerNorm.

  Input `[..., in_width]`, output `[..., width]`.
  """

  def __init__(self, width, activation='gelu', initializer='glorot_uniform',
               layer_norm_epsilon=1e-12, name='transform', **kwargs):
    super().__init__(name=name, **kwargs)
    self._width = width
    self._activation = tf_keras.activations.get(activation)
    self._initializer = tf_keras.initializers.get(initializer)
    self._layer_norm_epsilon = layer_norm_epsilon
    self.dense = tf_keras.layers.Dense(
        width, activation=self._activation,
        kernel_initializer=tf_utils.clone_initializer(self._initializer),
        name='dense')
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=layer_norm_epsilon, name='layer_norm')

  def call(self, inputs):
    return self.layer_norm(self.dense(inputs))

  def get_config(self):
    config = super().get_config()
    config.update({
        'width': self._width,
        'activation': tf_keras.activations.serialize(self._activation),
        'initializer': tf_keras.initializers.serialize(self._initializer),
        'layer_norm_epsilon': self._layer_norm_epsilon,
    })
    return config


class AuxHead(tf_keras.layers.Layer):
  """Base class of the auxiliary heads (see the module docstring).

  Class attributes:
    task_name: registry name (set by `registry.register`).
    required_features: batch keys `loss`/`update_metrics` read.
    call_features: the subset `call` reads.
  """

  task_name = ''
  required_features = ()
  call_features = ()

  def __init__(self, name=None, **kwargs):
    super().__init__(name=name or self.task_name, **kwargs)

  def _check(self, batch, keys=None):
    check_features(self, batch.keys(), keys)

  def call(self, sequence_output, pooled_output, batch, training=None):
    raise NotImplementedError

  def loss(self, batch, outputs):
    raise NotImplementedError

  @classmethod
  def build_metrics(cls):
    raise NotImplementedError

  def update_metrics(self, metrics, batch, outputs):
    raise NotImplementedError

  def _metric(self, metrics, suffix):
    """The metric named `<task>_<suffix>` among `metrics` (list or dict)."""
    name = f'{self.task_name}_{suffix}'
    items = metrics.values() if isinstance(metrics, dict) else metrics
    for metric in items:
      if metric.name == name:
        return metric
    raise ValueError(f'Metric {name!r} of task {self.task_name!r} is not in '
                     f'the metrics given; pass the list build_metrics() made.')


class TransformedHead(AuxHead):
  """An auxiliary head built on `HeadTransform`s of one width.

  Holds the transform hyper-parameters the token and pair heads share and
  serialises them.

  Args:
    hidden_size: width of the transform (the encoder's hidden size).
    activation: activation of the transform.
    initializer: kernel initializer.
    layer_norm_epsilon: epsilon of the transform's LayerNorm.
  """

  def __init__(self, hidden_size, activation='gelu',
               initializer='glorot_uniform', layer_norm_epsilon=1e-12,
               name=None, **kwargs):
    super().__init__(name=name, **kwargs)
    self._hidden_size = hidden_size
    self._activation = tf_keras.activations.get(activation)
    self._initializer = tf_keras.initializers.get(initializer)
    self._layer_norm_epsilon = layer_norm_epsilon

  def make_transform(self, name=None):
    """A `HeadTransform` `[..., in] -> [..., hidden_size]`."""
    return HeadTransform(
        self._hidden_size, activation=self._activation,
        initializer=self._initializer,
        layer_norm_epsilon=self._layer_norm_epsilon, name=name)

  def get_config(self):
    config = super().get_config()
    config.update({
        'hidden_size': self._hidden_size,
        'activation': tf_keras.activations.serialize(self._activation),
        'initializer': tf_keras.initializers.serialize(self._initializer),
        'layer_norm_epsilon': self._layer_norm_epsilon,
    })
    return config
