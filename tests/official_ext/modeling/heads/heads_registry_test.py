"""Registry, feature checks, and properties every head shares (config
round-trip, output shapes, gradients, empty masks)."""

import numpy as np
import pytest
import tensorflow as tf

from official_ext.modeling import heads
from official_ext.modeling.heads import base
from official_ext.modeling.heads import registry

B, L, P, H, V = 4, 6, 3, 4, 7  # B rows = 2 pairs for QT/FS
ALL = ('asp', 'cap', 'fs', 'nsp', 'qt', 'sbo', 'scp', 'sdp', 'so', 'tcp',
       'tf', 'tf_idf', 'tgs', 'tlp')
# Non-default options where a head has them, to round-trip them too.
OPTIONS = {'tf': {'integer_labels': True}, 'tf_idf': {'regression_loss': 'l1'},
           'sbo': {'context': 'olfmlm'}, 'fs': {'loss': 'mse'},
           'qt': {'temperature': 0.5}}
OUTPUT_SHAPES = {
    'tf': {'tf_predictions': (B, L)}, 'tf_idf': {'tf_idf_predictions': (B, L)},
    'tlp': {'tlp_predictions': (B, L)}, 'cap': {'cap_logits': (B, L, 2)},
    'tcp': {'tcp_logits': (B, L, 2)}, 'tgs': {'tgs_logits': (B, L, 6)},
    'sbo': {'sbo_logits': (B, P, V)}, 'nsp': {'nsp_logits': (B, 2)},
    'asp': {'asp_logits': (B, 3)}, 'so': {'so_logits': (B, 2)},
    'sdp': {'sdp_logits': (B, 3)}, 'scp': {'scp_logits': (B, 2)},
    'qt': {'qt_cosine': (B // 2, B // 2)}, 'fs': {'fs_cosine': (B, L)}}

_TABLE = tf.Variable(tf.random.normal([V, H], seed=6))


def _build(name, **extra):
  kwargs = dict(OPTIONS.get(name, {}), **extra)
  if name == 'sbo':
    return registry.build(name, embedding_table=_TABLE, **kwargs)
  if name in registry.SENTENCE_TASKS:
    return registry.build(name, **kwargs)
  return registry.build(name, hidden_size=H, **kwargs)


def _batch(weight=1.0):
  rng = np.random.default_rng(0)
  ones = np.full([B, L], weight, np.float32)
  return {
      'input_mask': tf.constant(ones),
      'aux_token_weights': tf.constant(ones),
      'tf_labels': tf.constant(rng.uniform(0, 10, [B, L]), tf.float32),
      'tf_idf_labels': tf.constant(rng.uniform(0, 10, [B, L]), tf.float32),
      'token_length_labels': tf.constant(rng.integers(0, 9, [B, L]),
                                         tf.float32),
      'cap_labels': tf.constant(rng.integers(0, 2, [B, L]), tf.int32),
      'tcp_labels': tf.constant(rng.integers(0, 2, [B, L]), tf.int32),
      'tgs_labels': tf.constant(rng.integers(0, 6, [B, L]), tf.int32),
      'tgs_weights': tf.constant(ones),
      'masked_lm_positions': tf.constant(rng.integers(0, L, [B, P]),
                                         tf.int32),
      'masked_lm_ids': tf.constant(rng.integers(0, V, [B, P]), tf.int32),
      'masked_lm_weights': tf.constant(np.full([B, P], weight, np.float32)),
      'next_sentence_labels': tf.constant([[0], [1], [1], [0]], tf.int32),
      'scp_labels': tf.constant([[1], [0], [0], [1]], tf.int32),
  }


def test_names_and_groups():
  assert registry.names() == ALL
  groups = registry.TOKEN_TASKS + registry.SENTENCE_TASKS + registry.PAIR_TASKS
  assert sorted(groups) == list(ALL)
  assert registry.PAIR_TASKS == ('qt', 'fs')
  for name in ALL:
    cls = registry.get(name)
    assert issubclass(cls, base.AuxHead) and cls.task_name == name
  assert heads.get('qt') is registry.get('qt')


def test_unknown_name_lists_known_names():
  with pytest.raises(ValueError) as err:
    registry.get('mlm')
  assert "'mlm'" in str(err.value)
  for name in ALL:
    assert name in str(err.value)


def test_olfmlm_code_name_gets_a_hint():
  with pytest.raises(ValueError, match=r"olfmlm's 'rg' is 'qt'"):
    registry.get('rg')


def test_register_rejects_a_second_class_under_a_taken_name():
  with pytest.raises(ValueError, match="'tf' is already registered"):
    registry.register('tf')(type('Other', (base.AuxHead,), {}))


def test_check_features_names_task_and_missing_keys():
  head = _build('tgs')
  registry.check_features(head, _batch().keys())  # complete: no error
  with pytest.raises(ValueError) as err:
    registry.check_features(head, ['input_word_ids', 'tgs_labels'])
  message = str(err.value)
  assert "'tgs'" in message and "['tgs_weights']" in message
  assert '--aux_labels=tgs' in message
  # Classes work too (the trainer can check before building).
  with pytest.raises(ValueError, match=r"'nsp'.*next_sentence_labels"):
    registry.check_features(registry.get('nsp'), ['input_mask'])


@pytest.mark.parametrize('name', ALL)
def test_get_config_round_trips(name):
  head = _build(name)
  config = head.get_config()
  for key, value in OPTIONS.get(name, {}).items():
    assert config[key] == value
  clone = type(head).from_config(config)
  assert clone.get_config() == config
  assert clone.task_name == name and clone.name == name


@pytest.mark.parametrize('name', ALL)
def test_shapes_loss_metrics_and_gradients(name):
  head = _build(name)
  seq = tf.Variable(tf.random.normal([B, L, H], seed=7))
  pooled = tf.Variable(tf.random.normal([B, H], seed=8))
  batch = _batch()
  with tf.GradientTape() as tape:
    outputs = head(seq, pooled, batch)
    loss = head.loss(batch, outputs)
  assert {k: tuple(v.shape) for k, v in outputs.items()} == OUTPUT_SHAPES[name]
  assert loss.shape == () and loss.dtype == tf.float32
  assert np.isfinite(float(loss)) and float(loss) > 0
  features = seq if name not in registry.SENTENCE_TASKS + ('qt',) else pooled
  assert head.trainable_variables
  grads = tape.gradient(loss, [features] + head.trainable_variables)
  for var, grad in zip([features] + head.trainable_variables, grads):
    assert grad is not None, var.name
  metrics = head.build_metrics()
  assert metrics and all(m.name.startswith(name + '_') for m in metrics)
  head.update_metrics(metrics, batch, outputs)
  assert all(np.isfinite(float(m.result())) for m in metrics)


@pytest.mark.parametrize('name', [n for n in ALL if n not in (
    'qt', 'nsp', 'asp', 'so', 'sdp', 'scp')])
def test_empty_masks_give_zero_loss(name):
  head = _build(name)
  batch = _batch(weight=0.0)
  outputs = head(tf.random.normal([B, L, H]), tf.random.normal([B, H]), batch)
  assert float(head.loss(batch, outputs)) == 0.0
