"""MultiTaskModel on tiny TEAMS / BertEncoderV2 encoders: routing, shapes,
shared heads, checkpoints and the R3F penalty."""

import types

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.multitask import multitask_model as mtm
from official_ext.multitask import r3f
from official_ext.multitask import task_spec
from official_ext.multitask.heads import classification_head
from official_ext.multitask.heads import span_head
from tests.official_ext.multitask import tiny_encoders

B, S = 3, 8


def _info(name, kind, num_classes=None, head=None):
  spec = task_spec.TaskSpec(name, kind, 'train.jsonl', 'dev.jsonl', head=head)
  return types.SimpleNamespace(spec=spec, num_classes=num_classes,
                               num_choices=None)


INFOS = [_info('sst2', 'classification', 3), _info('stsb', 'regression', 1),
         _info('squad', 'span'), _info('newsqa', 'span'),
         _info('piqa', 'multiple_choice'), _info('csqa', 'multiple_choice')]


def _features(task, seed=0):
  if task in ('piqa', 'csqa'):
    choices = 2 if task == 'piqa' else 3
    return dict(tiny_encoders.inputs(B, S, seed, choices=choices),
                label=tf.constant([0, 1, 1]))
  features = tiny_encoders.inputs(B, S, seed)
  if task == 'sst2':
    features['label'] = tf.constant([0, 2, 1])
  elif task == 'stsb':
    features['label'] = tf.constant([0.5, 2.0, 4.5])
  else:
    features['start_positions'] = tf.constant([1, 2, 0])
    features['end_positions'] = tf.constant([3, 2, 0])
  return features


SHAPES = {'sst2': (B, 3), 'stsb': (B,), 'piqa': (B, 2), 'csqa': (B, 3)}


def _build(kind):
  encoder = tiny_encoders.ENCODERS[kind]()
  return mtm.build_multitask_model(encoder, INFOS, dropout_rate=0.0)


@pytest.fixture(scope='module', params=sorted(tiny_encoders.ENCODERS))
def model(request):
  return _build(request.param)


@pytest.fixture(scope='module')
def teams_model():
  return _build('teams')


def test_heads_built_once_per_head_name(teams_model):
  assert sorted(teams_model.heads) == ['commonsense', 'mrc', 'sst2', 'stsb']
  assert teams_model.head_for('squad') is teams_model.head_for('newsqa')
  assert teams_model.head_for('piqa') is teams_model.heads['commonsense']
  assert dict(teams_model.task_heads) == {
      'sst2': 'sst2', 'stsb': 'stsb', 'squad': 'mrc', 'newsqa': 'mrc',
      'piqa': 'commonsense', 'csqa': 'commonsense'}
  assert teams_model.task_kinds['stsb'] == 'regression'
  assert teams_model.tasks == tuple(info.spec.name for info in INFOS)


def test_every_kind_runs(model):
  for task in model.tasks:
    features = _features(task)
    outputs = model(features, task=task, training=True)
    if task in ('squad', 'newsqa'):
      assert outputs['start_logits'].shape == (B, S)
      assert outputs['end_logits'].shape == (B, S)
      np.testing.assert_array_equal(outputs['start_logits'][:, -2:],
                                    span_head.MASKED_LOGIT)
      assert model.predictions(task, outputs).shape == (B, 2)
    else:
      assert outputs.shape == SHAPES[task]
      assert model.predictions(task, outputs).shape == (B,)
    loss = model.loss(task, features, outputs)
    assert loss.shape == () and loss.dtype == tf.float32
    assert np.isfinite(float(loss)) and float(loss) >= 0
    np.testing.assert_allclose(
        loss, tf.reduce_mean(model.per_example_loss(task, features, outputs)))


def test_num_predictions(teams_model):
  got = {t: teams_model.num_predictions(t, _features(t))
         for t in teams_model.tasks}
  assert got == {'sst2': 3, 'stsb': None, 'squad': S, 'newsqa': S,
                 'piqa': 2, 'csqa': 3}


def test_multiple_choice_flattens_per_candidate(teams_model):
  features = _features('csqa')
  scores = teams_model(features, task='csqa')
  # Each candidate is scored on its own: permuting them permutes the scores.
  order = [2, 0, 1]
  permuted = {k: tf.gather(v, order, axis=1) if v.shape.rank == 3 else v
              for k, v in features.items()}
  np.testing.assert_allclose(teams_model(permuted, task='csqa'),
                             tf.gather(scores, order, axis=1), atol=1e-5)
  # And candidate (b, c) scores as row b * C + c of the flattened batch.
  flat = teams_model.encoder_inputs('csqa', features)
  assert flat['input_word_ids'].shape == (B * 3, S)
  pooled = teams_model.encoder(flat)['pooled_output']
  head = teams_model.heads['commonsense']
  np.testing.assert_allclose(tf.reshape(head.scorer(pooled), [B, 3]), scores,
                             atol=1e-5)


def test_a_shared_head_update_moves_both_tasks_only(teams_model):
  squad, newsqa, sst2 = (_features('squad', 1), _features('newsqa', 2),
                         _features('sst2', 3))
  before = {t: teams_model(f, task=t) for t, f in
            (('newsqa', newsqa), ('sst2', sst2))}
  head = teams_model.head_for('squad')
  with tf.GradientTape() as tape:
    loss = teams_model.loss('squad', squad, teams_model(squad, task='squad'))
  grads = tape.gradient(loss, head.trainable_variables)
  tf_keras.optimizers.SGD(1.0).apply_gradients(
      zip(grads, head.trainable_variables))
  after_newsqa = teams_model(newsqa, task='newsqa')
  assert np.abs(after_newsqa['start_logits'][:, :-2]
                - before['newsqa']['start_logits'][:, :-2]).max() > 1e-4
  np.testing.assert_array_equal(teams_model(sst2, task='sst2'),
                                before['sst2'])


def test_checkpoint_items_restore_encoder_and_head(teams_model, tmp_path):
  items = teams_model.checkpoint_items()
  assert sorted(items) == ['encoder', 'head_commonsense', 'head_mrc',
                           'head_sst2', 'head_stsb']
  assert items['encoder'] is teams_model.encoder
  path = tf.train.Checkpoint(**items).save(str(tmp_path / 'ckpt'))
  fresh = _build('teams')
  features = _features('squad')
  assert not np.allclose(fresh(features, task='squad')['end_logits'],
                         teams_model(features, task='squad')['end_logits'])
  # A fine-tuning run restores the encoder and the one head it reuses.
  tf.train.Checkpoint(encoder=fresh.encoder,
                      head_mrc=fresh.heads['mrc']).read(path).expect_partial()
  np.testing.assert_allclose(fresh(features, task='squad')['end_logits'],
                             teams_model(features, task='squad')['end_logits'],
                             atol=1e-5)


def _symmetric_kl_by_hand(p_logits, q_logits):
  def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))
  lp, lq = log_softmax(np.float64(p_logits)), log_softmax(np.float64(q_logits))
  kl_pq = (np.exp(lp) * (lp - lq)).sum(-1)
  kl_qp = (np.exp(lq) * (lq - lp)).sum(-1)
  return float(np.mean(kl_pq + kl_qp))


def _noise(shape, dtype):
  return tf.random.stateless_uniform(shape, [5, 0], -0.05, 0.05, dtype=dtype)


def test_r3f_penalty_equals_the_kl_of_both_passes(model):
  for task in model.tasks:
    features = _features(task)
    clean = model(features, task=task)
    penalty = mtm.r3f_penalty_for(model, task, features, clean, _noise,
                                  training=False)
    noisy = model(features, task=task, embedding_noise=_noise)
    head = model.head_for(task)
    a, b = head.r3f_logits(clean).numpy(), head.r3f_logits(noisy).numpy()
    if task == 'stsb':
      expected = float(np.mean((a - b) ** 2))     # Gaussian form, [B, 1]
    else:
      expected = _symmetric_kl_by_hand(a, b)
      np.testing.assert_allclose(penalty, r3f.symmetric_kl(a, b), rtol=1e-5)
    assert float(penalty) > 0
    assert float(penalty) == pytest.approx(expected, rel=1e-3, abs=1e-9)
    zero = mtm.r3f_penalty_for(model, task, features, clean,
                               lambda shape, dtype: tf.zeros(shape, dtype),
                               training=False)
    assert float(zero) == pytest.approx(0.0, abs=1e-6)


def test_r3f_train_step_in_tf_function(teams_model):
  features = _features('sst2')
  variables = (teams_model.encoder.trainable_variables
               + teams_model.heads['sst2'].trainable_variables)

  @tf.function
  def step(features):
    with tf.GradientTape() as tape:
      clean = teams_model(features, task='sst2', training=True)
      penalty = mtm.r3f_penalty_for(teams_model, 'sst2', features, clean)
      loss = r3f.r3f_loss(teams_model.loss('sst2', features, clean), clean,
                          teams_model(features, task='sst2', training=True,
                                      embedding_noise=_noise))
    return loss, penalty, tape.gradient(loss, variables)

  loss, penalty, grads = step(features)
  assert np.isfinite(float(loss)) and float(penalty) >= 0
  assert all(g is not None for g in grads)
  layer = teams_model.noise_hook.layer
  assert 'call' not in vars(layer)


def test_config_round_trip(teams_model):
  clone = mtm.MultiTaskModel.from_config(teams_model.get_config())
  assert dict(clone.task_heads) == dict(teams_model.task_heads)
  features = _features('sst2')
  np.testing.assert_allclose(clone(features, task='sst2'),
                             teams_model(features, task='sst2'))


def test_build_accepts_a_mapping():
  encoder = tiny_encoders.bert_encoder()
  infos = {info.spec.name: info for info in INFOS[:2]}
  model = mtm.build_multitask_model(encoder, infos)
  assert model.tasks == ('sst2', 'stsb')


def test_errors(teams_model):
  encoder = teams_model.encoder
  with pytest.raises(ValueError, match="unknown task 'mnli'"):
    teams_model(_features('sst2'), task='mnli')
  with pytest.raises(ValueError, match='needs task='):
    teams_model(_features('sst2'))
  with pytest.raises(KeyError, match='input_mask'):
    teams_model({'input_word_ids': tf.zeros([1, 4], tf.int32),
                 'input_type_ids': tf.zeros([1, 4], tf.int32)}, task='sst2')
  with pytest.raises(ValueError, match='multiple choice'):
    teams_model(_features('sst2'), task='piqa')
  with pytest.raises(ValueError, match="head 'mrc' is a span head but task "
                                       "'sst2' is classification"):
    mtm.build_multitask_model(encoder, [
        _info('squad', 'span'), _info('sst2', 'classification', 2,
                                      head='mrc')])
  with pytest.raises(ValueError, match="head 'glue' has 2 classes but task "
                                       "'mnli' has 3"):
    mtm.build_multitask_model(encoder, [
        _info('sst2', 'classification', 2, head='glue'),
        _info('mnli', 'classification', 3, head='glue')])
  with pytest.raises(ValueError, match='used twice'):
    mtm.build_multitask_model(encoder, [_info('a', 'span'), _info('a', 'span')])
  with pytest.raises(ValueError, match="uses head 'nope'"):
    mtm.MultiTaskModel(encoder, {}, {'sst2': 'nope'})
  with pytest.raises(ValueError, match='at least one task'):
    mtm.build_multitask_model(encoder, [])
  with pytest.raises(TypeError, match='PreparedTask-like'):
    mtm.build_multitask_model(encoder, ['sst2'])
  cls = classification_head.ClassificationHead(2, name='sst2')
  with pytest.raises(ValueError, match="is a classification head but task "
                                       "'squad' is span"):
    mtm.MultiTaskModel(encoder, {'sst2': cls}, {'squad': 'sst2'},
                       {'squad': 'span'})
