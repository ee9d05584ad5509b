"""MultiTaskStep: accumulated task gradients make one optimizer update.

Checked against gradients taken by hand with a GradientTape on the same
weights: the update of k sub-batches is the mean over them of
scale_t * grad(L_t); a head without a sub-batch in an update is not moved
(even by Adam's momentum); R3F adds its penalty; MirroredStrategy over two
logical CPUs takes the same update as one device (in a subprocess, since
the logical devices must be set before TensorFlow initialises them).

The first test runs the tiny TEAMS encoder; the others a one-layer
`ToyEncoder` (same interface, much faster to trace), as the step does not
depend on what the encoder is.
"""

import json
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask import multitask_model as mtm
from official_ext.multitask import multitask_step as mts
from official_ext.multitask import task_spec
from tests.official_ext.multitask import tiny_encoders

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
B, S = 4, 8


def _info(name, kind, num_classes=None, head=None):
  spec = task_spec.TaskSpec(name, kind, 'train.jsonl', 'dev.jsonl', head=head)
  return types.SimpleNamespace(spec=spec, num_classes=num_classes,
                               num_choices=None)


INFOS = {'cls': _info('cls', 'classification', 3),
         'span': _info('span', 'span'),
         'mc': _info('mc', 'multiple_choice')}


def features(task, seed=0):
  """A fixed batch of `task` (B examples, S tokens, 2 padding positions)."""
  if task == 'mc':
    return dict(tiny_encoders.inputs(B, S, seed, choices=2),
                label=tf.constant([0, 1, 1, 0]))
  batch = tiny_encoders.inputs(B, S, seed)
  if task == 'cls':
    batch['label'] = tf.constant([0, 2, 1, 2])
  else:
    batch['start_positions'] = tf.constant([1, 2, 0, 4])
    batch['end_positions'] = tf.constant([3, 2, 0, 5])
  return batch


class ToyEncoder(tf_keras.Model):
  """A one-layer stand-in for an encoder (fast to trace): word and type
  embeddings, a tanh projection, and a masked-mean pooler. Its embedding
  layer is named 'word_embeddings', which the R3F noise hook finds."""

  def __init__(self, vocab=tiny_encoders.VOCAB, hidden=16, **kwargs):
    super().__init__(**kwargs)
    self.word_embeddings = tf_keras.layers.Embedding(
        vocab, hidden, name='word_embeddings')
    self.type_embeddings = tf_keras.layers.Embedding(2, hidden, name='types')
    self.transform = tf_keras.layers.Dense(hidden, activation='tanh',
                                           name='transform')
    self.pooler = tf_keras.layers.Dense(hidden, activation='tanh',
                                        name='pooler')

  def call(self, inputs, training=None):
    x = (self.word_embeddings(inputs['input_word_ids']) +
         self.type_embeddings(inputs['input_type_ids']))
    mask = tf.cast(inputs['input_mask'], x.dtype)[..., None]
    sequence = self.transform(x) * mask
    pooled = self.pooler(tf.reduce_sum(sequence, 1) /
                         tf.maximum(tf.reduce_sum(mask, 1), 1.0))
    return {'sequence_output': sequence, 'pooled_output': pooled}


ENCODERS = {'toy': ToyEncoder, 'teams': tiny_encoders.teams_encoder}


def build_model(tasks=('cls', 'span'), seed=0, encoder='toy'):
  """A built MultiTaskModel (dropout 0) over `tasks`: the toy encoder, or
  the tiny TEAMS `EncoderScaffold` (2 layers, hidden 32)."""
  tf_keras.utils.set_random_seed(seed)
  model = mtm.build_multitask_model(ENCODERS[encoder](),
                                    [INFOS[t] for t in tasks],
                                    dropout_rate=0.0)
  for task in tasks:
    model(features(task), task=task, training=False)
  return model


def values(variables):
  return [v.numpy().copy() for v in variables]


def hand_gradients(model, task, scale=1.0):
  """(loss, {id(var): scale * dL/dvar}) on the model's current weights."""
  batch = features(task)
  with tf.GradientTape() as tape:
    outputs = model(batch, task=task, training=True)
    loss = model.loss(task, batch, outputs)
    scaled = scale * loss
  variables = model.trainable_variables
  grads = tape.gradient(scaled, variables)
  return float(loss), {id(v): (np.zeros(v.shape, np.float32) if g is None
                               else tf.convert_to_tensor(g).numpy())
                       for v, g in zip(variables, grads)}


@pytest.fixture(scope='module')
def cls_model():
  return build_model(('cls',))


def _strategy():
  return tf.distribute.get_strategy()


def test_heterogeneous_update_is_mean_of_scaled_task_gradients():
  model = build_model(encoder='teams')  # the real (tiny) TEAMS encoder
  scales = {'cls': 0.7, 'span': 1.3}
  loss_cls, g_cls = hand_gradients(model, 'cls', scales['cls'])
  loss_span, g_span = hand_gradients(model, 'span', scales['span'])
  before = values(model.trainable_variables)

  optimizer = tf_keras.optimizers.SGD(learning_rate=1.0)
  step = mts.MultiTaskStep(model, optimizer, _strategy(), scales,
                           sub_batches_per_update=2)
  out_cls = step.accumulate('cls', features('cls'))
  out_span = step.accumulate('span', features('span'))
  # Accumulating alone moves nothing.
  for v, b in zip(model.trainable_variables, before):
    np.testing.assert_array_equal(v.numpy(), b)
  step.apply()

  # Returned losses: the task's unscaled mean loss and the scaled one.
  np.testing.assert_allclose(float(out_cls['loss']), loss_cls, rtol=1e-5)
  np.testing.assert_allclose(float(out_span['loss']), loss_span, rtol=1e-5)
  np.testing.assert_allclose(float(out_cls['scaled_loss']),
                             0.7 * loss_cls, rtol=1e-5)
  np.testing.assert_allclose(float(out_span['scaled_loss']),
                             1.3 * loss_span, rtol=1e-5)
  assert float(out_cls['r3f_penalty']) == 0.0

  assert int(optimizer.iterations) == 1  # one update for two sub-batches
  for v, b in zip(model.trainable_variables, before):
    expected = -(g_cls[id(v)] + g_span[id(v)]) / 2
    np.testing.assert_allclose(v.numpy() - b, expected, rtol=1e-4,
                               atol=1e-6, err_msg=v.name)
  # Both heads and the shared encoder moved; a head only by its own task.
  start = {id(v): b for v, b in zip(model.trainable_variables, before)}
  for variables, grads in ((model.heads['cls'].trainable_variables, g_span),
                           (model.heads['mrc'].trainable_variables, g_cls)):
    assert variables
    for v in variables:
      assert not np.any(grads[id(v)])
      assert np.abs(v.numpy() - start[id(v)]).max() > 0
  word = model.encoder.trainable_variables[0]
  assert 'word_embeddings' in word.name
  assert np.abs(word.numpy() - before[0]).max() > 0


def test_loss_scale_two_doubles_the_sgd_update():
  model = build_model(('cls',))
  start = values(model.trainable_variables)
  deltas = []
  for scale in (1.0, 2.0):
    for v, s in zip(model.trainable_variables, start):
      v.assign(s)
    step = mts.MultiTaskStep(model, tf_keras.optimizers.SGD(0.5), _strategy(),
                             {'cls': scale})
    step.accumulate('cls', features('cls'))
    step.apply()
    deltas.append([v.numpy() - s
                   for v, s in zip(model.trainable_variables, start)])
  total = 0.0
  for d1, d2 in zip(*deltas):
    np.testing.assert_allclose(d2, 2 * d1, rtol=1e-4, atol=1e-6)
    total += float(np.abs(d1).sum())
  assert total > 0


def test_head_without_sub_batch_is_not_moved_even_with_adam_momentum():
  model = build_model(('cls', 'span', 'mc'))
  optimizer = tf_keras.optimizers.Adam(learning_rate=1e-2)
  step = mts.MultiTaskStep(model, optimizer, _strategy(),
                           {'cls': 1.0, 'span': 1.0, 'mc': 1.0},
                           sub_batches_per_update=2)
  heads = model.heads
  initial = {name: values(h.trainable_variables) for name, h in heads.items()}
  assert all(initial.values())
  # Update 1: cls + span, so both heads have Adam momentum.
  step.accumulate('cls', features('cls'))
  step.accumulate('span', features('span'))
  step.apply()
  after_one = {name: values(h.trainable_variables)
               for name, h in heads.items()}
  encoder_one = values(model.encoder.trainable_variables)
  # The multiple-choice head had no data yet: untouched by update 1.
  for a, b in zip(initial['commonsense'], after_one['commonsense']):
    np.testing.assert_array_equal(a, b)
  for name in ('cls', 'mrc'):
    assert any(np.abs(a - b).max() > 0
               for a, b in zip(initial[name], after_one[name])), name

  # Update 2: cls twice. 'mrc' has momentum but no sub-batch: not moved.
  step.accumulate('cls', features('cls', seed=1))
  step.accumulate('cls', features('cls', seed=2))
  step.apply()
  assert int(optimizer.iterations) == 2
  for a, b in zip(after_one['mrc'], values(heads['mrc'].trainable_variables)):
    np.testing.assert_array_equal(a, b)
  for a, b in zip(after_one['commonsense'],
                  values(heads['commonsense'].trainable_variables)):
    np.testing.assert_array_equal(a, b)
  assert any(np.abs(a - b).max() > 0 for a, b in zip(
      after_one['cls'], values(heads['cls'].trainable_variables)))
  assert any(np.abs(a - b).max() > 0 for a, b in zip(
      encoder_one, values(model.encoder.trainable_variables)))

  # Update 3: only mc; now its head moves, cls and mrc stay.
  before = {name: values(h.trainable_variables) for name, h in heads.items()}
  step.accumulate('mc', features('mc'))
  step.accumulate('mc', features('mc', seed=3))
  step.apply()
  for name, moved in (('commonsense', True), ('cls', False), ('mrc', False)):
    now = values(heads[name].trainable_variables)
    changed = any(np.abs(a - b).max() > 0 for a, b in zip(before[name], now))
    assert changed == moved, name


def test_sums_are_zeroed_between_updates():
  """Update 2 uses only its own sub-batch, not what update 1 summed."""
  model = build_model(('cls',))
  step = mts.MultiTaskStep(model, tf_keras.optimizers.SGD(1.0), _strategy(),
                           {'cls': 1.0})
  step.accumulate('cls', features('cls'))
  step.apply()
  _, grads = hand_gradients(model, 'cls')
  before = values(model.trainable_variables)
  step.accumulate('cls', features('cls'))
  step.apply()
  for v, b in zip(model.trainable_variables, before):
    np.testing.assert_allclose(v.numpy() - b, -grads[id(v)], rtol=1e-4,
                               atol=1e-6, err_msg=v.name)
  # reset() drops a pending sub-batch: apply() then has nothing to apply.
  step.accumulate('cls', features('cls'))
  step.reset()
  with pytest.raises(RuntimeError, match='without any accumulate'):
    step.apply()


def test_r3f_penalty_positive_and_in_the_loss():
  model = build_model(('cls',))
  step = mts.MultiTaskStep(model, tf_keras.optimizers.SGD(0.0), _strategy(),
                           {'cls': 0.5},
                           r3f=mts.R3FConfig(lam=2.0, noise='normal',
                                             eps=1e-2))
  out = step.accumulate('cls', features('cls'))
  step.apply()
  penalty = float(out['r3f_penalty'])
  assert math.isfinite(penalty) and penalty > 0
  loss, _ = hand_gradients(model, 'cls')
  np.testing.assert_allclose(float(out['loss']), loss, rtol=1e-5)
  np.testing.assert_allclose(float(out['scaled_loss']),
                             0.5 * (loss + 2.0 * penalty), rtol=1e-5)

  plain = mts.MultiTaskStep(model, tf_keras.optimizers.SGD(0.0), _strategy(),
                            {'cls': 0.5}, r3f=mts.R3FConfig(lam=0.0))
  out = plain.accumulate('cls', features('cls'))
  assert float(out['r3f_penalty']) == 0.0
  np.testing.assert_allclose(float(out['scaled_loss']), 0.5 * loss,
                             rtol=1e-5)


@pytest.mark.parametrize('config, message', [
    (mts.R3FConfig(lam=-1.0), 'lambda must be >= 0'),
    (mts.R3FConfig(lam=float('nan')), 'lambda must be >= 0'),
    (mts.R3FConfig(lam=1.0, noise='gaussian'), "unknown R3F noise 'gaussian'"),
    (mts.R3FConfig(lam=1.0, eps=0.0), 'eps must be > 0'),
])
def test_bad_r3f_config_errors(cls_model, config, message):
  with pytest.raises(ValueError, match=message):
    config.check()
  with pytest.raises(ValueError, match=message):
    mts.MultiTaskStep(cls_model, tf_keras.optimizers.SGD(1.0), _strategy(),
                      {'cls': 1.0}, r3f=config)


def test_usage_errors(cls_model):
  model = cls_model
  optimizer = tf_keras.optimizers.SGD(1.0)
  with pytest.raises(ValueError, match='sub_batches_per_update must be >= 1'):
    mts.MultiTaskStep(model, optimizer, _strategy(), {'cls': 1.0}, 0)
  step = mts.MultiTaskStep(model, optimizer, _strategy(), {'cls': 1.0})
  with pytest.raises(KeyError, match="task 'span' has no loss scale"):
    step.accumulate('span', features('span'))
  with pytest.raises(RuntimeError, match='without any accumulate'):
    step.apply()
  # Heads not built yet (never called) would never receive a gradient.
  unbuilt = mtm.build_multitask_model(tiny_encoders.teams_encoder(),
                                      [INFOS['cls']], dropout_rate=0.0)
  with pytest.raises(ValueError, match=r"head\(s\) \['cls'\] have no "
                     'variables yet'):
    mts.MultiTaskStep(unbuilt, optimizer, _strategy(), {'cls': 1.0})
  # An optimizer already built on part of the variables is refused.
  partial = tf_keras.optimizers.Adam()
  partial.build(model.encoder.trainable_variables)
  with pytest.raises(ValueError, match='optimizer was built without 2'):
    mts.MultiTaskStep(model, partial, _strategy(), {'cls': 1.0})


@pytest.mark.parametrize('encoder', [
    'toy', pytest.param('teams', marks=pytest.mark.slow)])
def test_mirrored_matches_one_device(encoder):
  proc = subprocess.run(
      [sys.executable, '-m',
       'tests.official_ext.multitask.mirrored_step_worker', encoder],
      cwd=REPO, capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES=''))
  assert proc.returncode == 0, proc.stderr[-3000:]
  line = [l for l in proc.stdout.splitlines() if l.startswith('RESULT ')][0]
  result = json.loads(line[len('RESULT '):])
  one, mirrored = result['one_device'], result['mirrored']
  assert (one['replicas'], mirrored['replicas']) == (1, 2)
  assert len(one['losses']) == len(mirrored['losses']) == 4
  for a, b in zip(one['losses'], mirrored['losses']):
    assert a['task'] == b['task']
    np.testing.assert_allclose(b['loss'], a['loss'], rtol=1e-5)
  assert len(one['weights']) == len(mirrored['weights']) >= 10
  moved = 0.0
  for name, a, b, s in zip(one['names'], one['weights'], mirrored['weights'],
                           one['start']):
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-5, err_msg=name)
    moved = max(moved, float(np.abs(np.subtract(a, s)).max()))
  assert moved > 1e-3  # the updates moved the weights
