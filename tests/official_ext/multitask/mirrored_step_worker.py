"""Run by multitask_step_test.py in a fresh process: splits the CPU into two
logical devices (before TF initialises them), then makes two heterogeneous
MultiTaskStep updates (2 sub-batches of 2 tasks, global batch 4, SGD,
dropout 0) from the same weights under the default strategy and under
MirroredStrategy, and prints
`RESULT {strategy: {"replicas", "losses", "names", "start", "weights"}}`.

  python -m tests.official_ext.multitask.mirrored_step_worker [toy|teams]

toy: `multitask_step_test.ToyEncoder` (seconds); teams: the tiny TEAMS
`EncoderScaffold`.
"""
import json
import sys

import tensorflow as tf

_CPU = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(
    _CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

# pylint: disable=g-import-not-at-top,wrong-import-position
import tf_keras

from official_ext.multitask import multitask_step
from tests.official_ext.multitask import multitask_step_test as mst

UPDATES = (('cls', 0), ('span', 0)), (('cls', 1), ('span', 2))
SCALES = {'cls': 0.7, 'span': 1.3}


def run(strategy, start, encoder):
  with strategy.scope():
    model = mst.build_model(('cls', 'span'), encoder=encoder)
    model.set_weights(start)
    optimizer = tf_keras.optimizers.SGD(learning_rate=0.5)
  step = multitask_step.MultiTaskStep(model, optimizer, strategy, SCALES,
                                      sub_batches_per_update=2)
  losses = []
  for update in UPDATES:
    for task, seed in update:
      dataset = tf.data.Dataset.from_tensor_slices(
          mst.features(task, seed)).batch(mst.B)
      batch = next(iter(strategy.experimental_distribute_dataset(dataset)))
      out = step.accumulate(task, batch)
      losses.append({'task': task, 'loss': float(out['loss'])})
    step.apply()
  variables = model.trainable_variables
  return dict(replicas=strategy.num_replicas_in_sync, losses=losses,
              names=[v.name for v in variables],
              weights=[v.numpy().ravel()[:200].tolist() for v in variables])


def main():
  encoder = sys.argv[1] if len(sys.argv) > 1 else 'toy'
  reference = mst.build_model(('cls', 'span'), encoder=encoder)
  start = reference.get_weights()
  first = [w.ravel()[:200].tolist() for w in
           [v.numpy() for v in reference.trainable_variables]]
  out = {}
  for name, strategy in (
      ('one_device', tf.distribute.OneDeviceStrategy('/cpu:0')),
      ('mirrored', tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1']))):
    out[name] = run(strategy, start, encoder)
    out[name]['start'] = first
  print('RESULT ' + json.dumps(out))


if __name__ == '__main__':
  main()
