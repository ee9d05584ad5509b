"""Another architecture's checkpoint is refused before training, naming the
differing variables."""
import os

import pytest
import tensorflow as tf
import tf_keras

from official_ext.trainer import checkpointing
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from tests.official_ext.trainer import trainer_fixtures as fx


def _model(width, layers=1):
  model = tf_keras.Sequential(
      [tf_keras.layers.Dense(width, name=f'd{i}') for i in range(layers)])
  model.build((None, 2))
  return model


def test_check_compatible_names_each_difference(tmp_path):
  path = tf.train.Checkpoint(model=_model(3)).write(str(tmp_path / 'ckpt'))
  checkpointing.check_compatible(path, tf.train.Checkpoint(model=_model(3)))
  with pytest.raises(checkpointing.CheckpointMismatchError) as e:
    checkpointing.check_compatible(path, tf.train.Checkpoint(model=_model(4)))
  assert ('model/layer_with_weights-0/kernel (d0/kernel:0): checkpoint '
          '[2, 3] vs model [2, 4]') in str(e.value)
  with pytest.raises(checkpointing.CheckpointMismatchError,
                     match=r'2 model variable\(s\) are not in the checkpoint: '
                     r'model/layer_with_weights-1/bias \(d1/bias:0\)'):
    checkpointing.check_compatible(
        path, tf.train.Checkpoint(model=_model(3, layers=2)))


def test_run_refuses_a_checkpoint_of_another_architecture(tiny_manifest,
                                                          tmp_path):
  model_dir = str(tmp_path)
  strategy = tf.distribute.get_strategy()
  fx.parse('gin/electra_tiny.gin', f'DATA_MANIFEST = {tiny_manifest!r}')
  electra = runner.build_trainer(gin_setup.build_experiment(), strategy)
  electra.checkpoint.save(os.path.join(model_dir, 'ckpt'))
  fx.parse('gin/teams_tiny.gin', f'DATA_MANIFEST = {tiny_manifest!r}')
  with pytest.raises(checkpointing.CheckpointMismatchError) as e:
    runner.run(gin_setup.build_experiment(), model_dir, 'train', strategy)
  message = str(e.value)
  assert 'written by another architecture' in message
  assert 'differ in shape' in message and 'not in the checkpoint' in message
  assert not os.path.exists(os.path.join(model_dir, 'train'))  # No step ran.
  assert tf.train.latest_checkpoint(model_dir).endswith('ckpt-1')
