"""Runs `python -m official_ext.finetune` with the CPU split in two logical
devices first (before TensorFlow initialises them), for MirroredStrategy
tests:

  python -m tests.official_ext.finetuning.finetune_worker --strategy=mirrored ...
"""
import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices('CPU')[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import app

from official_ext import finetune

if __name__ == '__main__':
  app.run(finetune.main)
