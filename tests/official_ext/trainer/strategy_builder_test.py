"""Strategy names map to strategies; bad names and a missing --tpu fail."""
import pytest
import tensorflow as tf

from official_ext.trainer import strategy_builder


def test_one_device_and_mirrored_on_this_machine():
  one = strategy_builder.build_strategy('one_device')
  assert isinstance(one, tf.distribute.OneDeviceStrategy)
  mirrored = strategy_builder.build_strategy('mirrored')
  assert isinstance(mirrored, tf.distribute.MirroredStrategy)
  devices = tf.config.list_logical_devices('GPU') or (
      tf.config.list_logical_devices('CPU'))
  assert mirrored.num_replicas_in_sync == len(devices)


def test_bad_requests():
  with pytest.raises(ValueError, match="--strategy='horovod' is unknown"):
    strategy_builder.build_strategy('horovod')
  with pytest.raises(ValueError, match='needs --tpu'):
    strategy_builder.build_strategy('tpu')


def test_no_tpu_reachable_is_one_line():
  # This machine has no TPU: the local one cannot be found.
  with pytest.raises(ValueError) as info:
    strategy_builder.build_strategy('tpu', tpu='local')
  message = str(info.value)
  assert message.startswith("--strategy=tpu --tpu='local': no TPU reachable (")
  assert '\n' not in message
