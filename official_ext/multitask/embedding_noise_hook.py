"""Adds R3F noise to an encoder's word embeddings, for one forward pass.

R3F runs the model twice: clean, and with noise z added to the input token
embeddings (`r3f.embedding_noise`). Model Garden encoders build the
embedding lookup inside the network, so there is no input to add z to.
`EmbeddingNoiseHook` finds the encoder's word-embedding layer and wraps that
layer's `call`: while a `with hook.noise(noise_fn):` block is active (in the
current thread), the layer returns `embeddings + noise_fn(shape, dtype)`;
otherwise it returns the embeddings unchanged. Functional Keras models
(`EncoderScaffold`, its `PackedSequenceEmbedding`) and subclassed ones
(`BertEncoderV2`) both re-invoke each layer's `__call__`, which reads
`layer.call`, at run time, so this works eagerly and inside `tf.function`.

The switch is read in Python, i.e. when a `tf.function` is traced: a trace
made inside the block has the noise, one made outside it has not, and one
function may trace a clean and a noisy pass side by side:

  hook = EmbeddingNoiseHook(encoder)
  clean = encoder(inputs, training=True)
  with hook.noise(lambda shape, dtype: r3f.embedding_noise(shape, dtype=dtype)):
    noisy = encoder(inputs, training=True)

The wrapper is installed on entering the first block and removed when the
last one (over all threads) exits, so the layer is untouched otherwise
(checkpoints, SavedModel export). The state is per thread, so replicas of
`MirroredStrategy` (one thread each) switch noise independently.

Word-embedding layer lookup (`find_word_embedding_layer`): `BertEncoderV2`
/ `BertEncoder` `get_embedding_layer()`; `EncoderScaffold` with the default
embedding, or its `embedding_network` (TEAMS: `PackedSequenceEmbedding`;
ours: `TaskConditionedEmbedding`); else the one sub-layer named
'word_embeddings'.
"""

import contextlib
import threading
from typing import Callable

import tensorflow as tf
import tf_keras

from official.nlp.modeling import layers as nlp_layers
from official_ext.multitask import r3f

# noise_fn(shape: int32 [rank] tensor, dtype: tf.DType) -> noise of `shape`.
NoiseFn = Callable[[tf.Tensor, tf.DType], tf.Tensor]
WORD_EMBEDDING_NAME = 'word_embeddings'
_HOOK_ATTR = '_official_ext_noise_hook'
_EMBEDDING_LAYERS = (nlp_layers.OnDeviceEmbedding, tf_keras.layers.Embedding)


def _own_attr(obj, name):
  try:
    return vars(obj).get(name)
  except TypeError:
    return None


def _direct_layer(encoder):
  """The word-embedding layer an encoder exposes itself, or None."""
  getter = getattr(encoder, 'get_embedding_layer', None)
  if callable(getter):
    layer = getter()
    if layer is not None:
      return layer
  for name in ('_embedding_layer', '_word_layer'):
    layer = _own_attr(encoder, name)
    if isinstance(layer, tf_keras.layers.Layer):
      return layer
  network = _own_attr(encoder, '_embedding_network')
  if isinstance(network, tf_keras.layers.Layer):
    return _direct_layer(network)
  return None


def find_word_embedding_layer(encoder) -> tf_keras.layers.Layer:
  """The layer mapping `input_word_ids` `[B, S]` to `[B, S, E]` embeddings.

  Raises:
    ValueError: no (or more than one) word-embedding layer was found.
  """
  layer = _direct_layer(encoder)
  if layer is not None:
    return layer
  found = {id(m): m for m in getattr(encoder, 'submodules', ())
           if isinstance(m, tf_keras.layers.Layer)
           and m.name == WORD_EMBEDDING_NAME}
  if len(found) == 1:
    return next(iter(found.values()))
  raise ValueError(
      f'cannot find the word-embedding layer of {type(encoder).__name__} '
      f'{getattr(encoder, "name", "")!r}: it has no get_embedding_layer(), '
      'no _embedding_layer / embedding_network, and '
      f'{len(found)} sub-layers named {WORD_EMBEDDING_NAME!r} (need exactly '
      'one). Pass the layer to EmbeddingNoiseHook directly.')


class _LayerPatch:
  """The wrapper on one layer's `call`, shared by every hook on the layer."""

  def __init__(self, layer):
    self.layer = layer
    self.local = threading.local()
    self.lock = threading.Lock()
    self.users = 0
    self.original_call = None
    self.had_own_call = False

  def active_noise(self):
    stack = getattr(self.local, 'stack', None)
    return stack[-1] if stack else None

  @tf.autograph.experimental.do_not_convert
  def wrapped_call(self, *args, **kwargs):
    outputs = self.original_call(*args, **kwargs)
    noise_fn = self.active_noise()
    if noise_fn is None:
      return outputs
    noise = noise_fn(tf.shape(outputs), outputs.dtype)
    return outputs + tf.cast(noise, outputs.dtype)

  def install(self):
    with self.lock:
      if self.users == 0:
        self.had_own_call = 'call' in vars(self.layer)
        self.original_call = self.layer.call
        # Not through Layer.__setattr__: a function needs no tracking.
        object.__setattr__(self.layer, 'call', self.wrapped_call)
      self.users += 1

  def uninstall(self):
    with self.lock:
      self.users -= 1
      if self.users == 0:
        if self.had_own_call:
          object.__setattr__(self.layer, 'call', self.original_call)
        else:
          object.__delattr__(self.layer, 'call')
        # original_call stays set: a clean call that read the wrapper just
        # before this still runs it.

  @contextlib.contextmanager
  def active(self, noise_fn):
    self.install()
    stack = getattr(self.local, 'stack', None)
    if stack is None:
      stack = self.local.stack = []
    stack.append(noise_fn)
    try:
      yield
    finally:
      stack.pop()
      self.uninstall()


def _patch_for(layer) -> _LayerPatch:
  patch = _own_attr(layer, _HOOK_ATTR)
  if patch is None:
    patch = _LayerPatch(layer)
    object.__setattr__(layer, _HOOK_ATTR, patch)
  return patch


class EmbeddingNoiseHook:
  """Switchable noise on an encoder's word-embedding output.

  Args:
    encoder: a Model Garden encoder (see module doc), or the word-embedding
      layer itself (an `OnDeviceEmbedding` or `tf_keras.layers.Embedding`).
  """

  def __init__(self, encoder):
    if isinstance(encoder, _EMBEDDING_LAYERS):
      self.layer = encoder
    else:
      self.layer = find_word_embedding_layer(encoder)
    self._patch = _patch_for(self.layer)

  @property
  def is_active(self) -> bool:
    """Whether this thread is inside a `noise` block of this layer."""
    return self._patch.active_noise() is not None

  def noise(self, noise_fn: NoiseFn):
    """Context manager: calls of the layer add `noise_fn(shape, dtype)`.

    Args:
      noise_fn: callable (shape int32 tensor `[3]` = [batch, seq_len,
        embedding_width], dtype) -> noise of that shape, e.g.
        `lambda shape, dtype: r3f.embedding_noise(shape, dtype=dtype)`.
        Nested blocks use the innermost `noise_fn`.
    """
    if not callable(noise_fn):
      raise TypeError(f'noise_fn must be callable (shape, dtype) -> noise, '
                      f'got {noise_fn!r}.')
    return self._patch.active(noise_fn)


def embedding_noise(encoder, noise_fn: NoiseFn):
  """Shortcut: `EmbeddingNoiseHook(encoder).noise(noise_fn)`."""
  return EmbeddingNoiseHook(encoder).noise(noise_fn)


def r3f_noise_fn(kind: str = 'uniform', eps: float = 1e-5,
                 seed=None) -> NoiseFn:
  """A `noise_fn` drawing `r3f.embedding_noise(shape, kind, eps, seed)`.

  Args:
    kind: 'uniform' on [-eps, eps] or 'normal' with std eps.
    eps: the noise scale (> 0).
    seed: None (stateful draw, new noise on every run of the graph) or an int
      / [2] pair for a stateless, reproducible draw (vary it per step).
  """
  if kind not in r3f.NOISE_KINDS:
    raise ValueError(f'unknown R3F noise kind {kind!r}; known kinds: '
                     f'{", ".join(sorted(r3f.NOISE_KINDS))}.')
  if not eps > 0:
    raise ValueError(f'R3F noise eps must be > 0, got {eps!r}.')

  def noise_fn(shape, dtype):
    return r3f.embedding_noise(shape, kind, eps, seed, dtype=dtype)

  return noise_fn
