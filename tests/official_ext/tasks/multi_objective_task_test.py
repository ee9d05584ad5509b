"""Multi-objective pretraining: every combination method on BERT and TEAMS
overfits a fixed batch; bad task/data settings fail at start."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official_ext.data import pretrain_reader
from official_ext.modeling.models import multi_objective_config as moc
from official_ext.tasks import multi_objective_task as mot
from tests.official_ext.modeling import modeling_fixtures as fx

RECIPE = ('qt', 'so', 'tf_idf')  # olfmlm's best recipe, with the base task
SCHEDULES = {
    'sum': {},
    'inc': {'epoch_budget': 8},
    'alt': {},
    'alt+': {},
    'cmtl': {'total_budget': 40},
    'cmtl+': {'total_budget': 24},
}
STEPS = 40  # x2 for 'alt' (each task a quarter of the steps) and 'cmtl' (the
# last task joins late in its 40-step budget and is at chance after 40)


def _config(base, aux_tasks=RECIPE, task_embedding=True):
  # With the usual 0.02 initialiser range every row's pooled vector starts
  # almost the same at tiny size, and QT's cosine logits in [-1, 1] barely
  # move in a few dozen steps; a wider initialisation gets them going.
  wide = lambda c: dataclasses.replace(c, initializer_range=0.2)
  teams = fx.tiny_teams_config()
  teams = dataclasses.replace(teams, generator=wide(teams.generator),
                              discriminator=wide(teams.discriminator))
  return moc.MultiObjectiveConfig(
      base=base, encoder=teams.discriminator,
      pretrainer=teams if base != 'mlm' else None, aux_tasks=aux_tasks,
      task_embedding=task_embedding)


def _data(**overrides):
  values = dict(input_path='unused', seq_length=fx.SEQ,
                max_predictions_per_seq=fx.PREDICTIONS,
                aux_labels=('tf_idf',), paired=True)
  values.update(overrides)
  return pretrain_reader.AuxPretrainDataConfig(**values)


CASES = [('mlm', method) for method in sorted(SCHEDULES)] + [
    pytest.param('teams', method, marks=() if method == 'cmtl+' else
                 pytest.mark.slow) for method in sorted(SCHEDULES)]


@pytest.mark.parametrize('base,method', CASES)
def test_every_combination_overfits_a_fixed_batch(base, method):
  """On TEAMS only CMTL+ (our recipe) runs by default; `--runslow` runs all."""
  tf_keras.utils.set_random_seed(1)
  task = mot.MultiObjectiveTask(_config(base), combination=method,
                                schedule_options=SCHEDULES[method],
                                train_data=_data(), sampler_seed=2)
  model = task.build_model()
  batch = fx.aux_batch(seed=3)
  optimizer = tf_keras.optimizers.Adam(3e-3)
  task.validation_step(batch, model)  # builds the heads' variables
  optimizer.build(model.trainable_variables)  # as the trainer does

  @tf.function
  def train():
    return task.train_step(batch, model, optimizer)

  @tf.function
  def evaluate():
    return task.validation_step(batch, model)

  names = [f'{n}_loss' for n in ('teams' if base == 'teams' else 'mlm',)
           + RECIPE]
  first = {k: float(v) for k, v in evaluate().items()}
  active = set()
  for _ in range(2 * STEPS if method in ('alt', 'cmtl') else STEPS):
    logs = train()
    active |= {n for n in names
               if float(logs[n.replace('_loss', '_weight')]) > 0}
  last = {k: float(v) for k, v in evaluate().items()}
  assert active == set(names), (method, active)
  # Every loss falls (a head no gradient reached would stay put) and the
  # sum of all task losses at least halves.
  for name in names:
    assert np.isfinite(last[name]), (name, last[name])
    assert last[name] < first[name], (method, name, first[name], last[name])
  assert last['total_loss'] < 0.5 * first['total_loss'], (first, last)


def test_unknown_task_fails_naming_it():
  with pytest.raises(ValueError, match="'qtt'"):
    mot.MultiObjectiveTask(_config('mlm', aux_tasks=('qtt',)))


def test_unknown_combination_fails_naming_it():
  with pytest.raises(ValueError, match=r"'cmtl\+\+'"):
    mot.MultiObjectiveTask(_config('mlm'), combination='cmtl++')


def test_missing_label_feature_fails_naming_task_and_feature():
  with pytest.raises(ValueError, match=r"'tf_idf'.*tf_idf_labels"):
    mot.MultiObjectiveTask(_config('mlm'), train_data=_data(aux_labels=()))


def test_pair_task_without_paired_records_fails():
  with pytest.raises(ValueError, match=r"'qt'.*consecutive"):
    mot.MultiObjectiveTask(_config('mlm'), train_data=_data(paired=False))


def test_schedule_weights_are_logged_and_used():
  task = mot.MultiObjectiveTask(_config('mlm', task_embedding=False),
                                combination='alt', train_data=_data())
  model = task.build_model()
  batch = fx.aux_batch()
  task.validation_step(batch, model)  # builds the heads' variables
  optimizer = tf_keras.optimizers.SGD(0.0)
  optimizer.build(model.trainable_variables)
  logs = task.train_step(batch, model, optimizer)
  # alt: step 0 trains task 0 (mlm) only; the total is its loss.
  assert [float(logs[f'{n}_weight']) for n in ('mlm',) + RECIPE] == [
      1.0, 0.0, 0.0, 0.0]
  np.testing.assert_allclose(float(logs['total_loss']),
                             float(logs['mlm_loss']), rtol=1e-6)


def test_tasks_on_separate_streams_run_only_when_active():
  """QT reads the paired main stream, SO its own (swapped-pair) stream."""
  config = _config('mlm', aux_tasks=('qt', 'so'), task_embedding=False)
  task = mot.MultiObjectiveTask(
      config, combination='alt', train_data=_data(aux_labels=()),
      streams={'so_pairs': _data(aux_labels=(), paired=False)},
      task_streams={'so': 'so_pairs'})
  assert task.tasks_of('main') == ['qt'] and task.tasks_of('so_pairs') == [
      'so']
  model = task.build_model()
  paired = fx.aux_batch(seed=1)
  single = {k: v for k, v in fx.aux_batch(seed=2).items()}
  single['next_sentence_labels'] = tf.constant([[0], [1], [1], [0]])
  inputs = {'main': paired, 'so_pairs': single}
  task.validation_step(inputs, model)  # builds the heads' variables
  optimizer = tf_keras.optimizers.SGD(0.0)
  optimizer.build(model.trainable_variables)  # as the trainer does
  logs = [task.train_step(inputs, model, optimizer) for _ in range(3)]
  # alt over (mlm, qt, so): step 0 mlm, step 1 qt (main stream), step 2 so.
  assert float(logs[0]['so_loss']) == 0.0 and float(logs[0]['mlm_loss']) > 0
  assert float(logs[1]['qt_loss']) > 0 and float(logs[1]['so_loss']) == 0.0
  assert float(logs[2]['so_loss']) > 0 and float(logs[2]['mlm_loss']) == 0.0
  np.testing.assert_allclose(float(logs[2]['total_loss']),
                             float(logs[2]['so_loss']), rtol=1e-6)


@pytest.mark.parametrize('kwargs,match', [
    ({'streams': {'x': None}, 'task_streams': {}}, r"streams \['x'\] feed no"),
    ({'task_streams': {'so': 'nowhere'}}, "'nowhere'"),
    ({'task_streams': {'nsp': 'x'}}, r"\['nsp'\]"),
    ({'streams': {'main': None}}, "reserved"),
])
def test_bad_stream_settings_fail_naming_them(kwargs, match):
  with pytest.raises(ValueError, match=match):
    mot.MultiObjectiveTask(_config('mlm', aux_tasks=('qt', 'so')),
                           train_data=_data(), **kwargs)
