"""The encoder flags are defined once: both CLIs load into one process."""

from absl import flags


def test_finetune_and_prefinetune_share_the_encoder_flags():
  from official_ext import prefinetune  # pylint: disable=g-import-not-at-top
  from official_ext import finetune  # pylint: disable=g-import-not-at-top
  assert finetune.FLAGS is prefinetune.FLAGS is flags.FLAGS
  defined_here = {f.name for f in flags.FLAGS.get_flags_for_module(
      'official_ext.encoder_flags')}
  assert defined_here == {'init_checkpoint', 'vocab_file', 'model_dir'}
  assert flags.FLAGS['init_checkpoint'].default == ''
