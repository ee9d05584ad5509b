"""One real (tiny TEAMS) run through runner.run: TensorBoard has every loss
and metric, a console line per log interval, checkpoints at multiples of the
interval, the operative config in model_dir. (Exact resume after SIGKILL on
the same model: train_cli_test.py, slow; on a toy task: task_trainer_test.)
"""
import os

import pytest
import tensorflow as tf

from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from tests.official_ext.trainer import trainer_fixtures as fx

TEAMS_SCALARS = {'loss', 'total_loss', 'mlm_loss', 'rtd_loss', 'mws_loss',
                 'mlm_accuracy', 'rtd_accuracy', 'rtd_auc', 'mws_accuracy',
                 'learning_rate', 'examples_per_second', 'steps_per_second'}


@pytest.fixture(scope='module', name='run')
def fixture_run(tiny_manifest, tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp('teams'))
  fx.parse('gin/teams_tiny.gin', f'DATA_MANIFEST = {tiny_manifest!r}',
           'TRAIN_STEPS = 10', 'CHECKPOINT_INTERVAL = 5')
  lines = []
  runner.run(gin_setup.build_experiment(), model_dir, 'train',
             strategy_builder.build_strategy('one_device'),
             operative_config=gin_setup.operative_config,
             print_fn=lines.append)
  return model_dir, lines


def test_tensorboard_has_every_loss_and_metric(run):
  model_dir, _ = run
  tags, steps = set(), set()
  for path in tf.io.gfile.glob(os.path.join(model_dir, 'train',
                                            'events.out.tfevents.*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        tags.add(value.tag)
        steps.add(event.step)
  assert TEAMS_SCALARS <= tags, TEAMS_SCALARS - tags
  assert {5, 10} <= steps


def test_console_line_per_log_interval(run):
  _, lines = run
  assert [l.split(' |')[0] for l in lines] == ['step 5/10', 'step 10/10']
  losses = lines[-1].split(' | ')[1].split()[::2]
  assert losses == ['loss', 'mlm_loss', 'mws_loss', 'rtd_loss', 'total_loss']
  assert ' ex/s | ETA ' in lines[-1]


def test_checkpoints_and_operative_config(run):
  model_dir, _ = run
  state = tf.train.get_checkpoint_state(model_dir)
  assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
      'ckpt-5', 'ckpt-10']
  config = open(os.path.join(model_dir, 'operative_config.gin')).read()
  assert 'teams_model.size = %SIZE' in config and "SIZE = 'tiny'" in config
  assert 'TRAIN_STEPS = 10' in config
  assert 'adamw.warmup_steps = %WARMUP_STEPS' in config
