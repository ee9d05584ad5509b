"""Only the chief writes model_dir; another worker writes (and removes)
`model_dir/workertemp_<task id>`."""
import os
import types

import tensorflow as tf

from official_ext.trainer import worker_dirs


def _worker(index, chief):
  """A stand-in for a MultiWorkerMirroredStrategy as task worker:`index`."""
  return types.SimpleNamespace(
      extended=types.SimpleNamespace(should_checkpoint=chief),
      cluster_resolver=types.SimpleNamespace(task_id=index))


def test_chief_and_single_process_write_model_dir():
  for strategy in (None, tf.distribute.get_strategy(), _worker(0, True)):
    assert worker_dirs.is_chief(strategy)
    assert worker_dirs.write_dir('ram://m', strategy) == 'ram://m'


def test_other_workers_write_a_temp_dir_and_remove_it():
  strategy = _worker(1, False)
  model_dir = 'ram://worker_dirs_test/model'
  temp = worker_dirs.write_dir(model_dir, strategy)
  assert temp == model_dir + '/workertemp_1'
  tf.io.gfile.makedirs(os.path.join(temp, 'train'))
  with tf.io.gfile.GFile(os.path.join(temp, 'operative_config.gin'),
                         'w') as f:
    f.write('x')
  worker_dirs.remove_temp_dir(model_dir, strategy)
  assert not tf.io.gfile.exists(temp)
  worker_dirs.remove_temp_dir(model_dir, strategy)  # Already gone: no-op.
  tf.io.gfile.makedirs(model_dir)
  worker_dirs.remove_temp_dir(model_dir, _worker(0, True))  # Chief: no-op.
  assert tf.io.gfile.exists(model_dir)
