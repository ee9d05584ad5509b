"""Flags the encoder CLIs share (`train`, `finetune`, `prefinetune`).

Defined once here, so both CLIs can be imported into one process (tests do)
without absl's DuplicateFlagError.
"""

from absl import flags

flags.DEFINE_string('init_checkpoint', '', 'Our export dir (with '
                    'encoder_config.json), its encoder/ dir, or a checkpoint '
                    'prefix/dir of tf.train.Checkpoint(encoder=...). Empty: '
                    'random initialisation.')
flags.DEFINE_string('vocab_file', '', 'WordPiece vocab; default: vocab.txt '
                    'next to the checkpoint (finetune) or the gin value '
                    '(prefinetune).')
flags.DEFINE_string('model_dir', None, 'Output directory: checkpoints, '
                    'TensorBoard events, operative config, reports.')
