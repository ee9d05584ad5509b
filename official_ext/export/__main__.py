r"""Exports a pretraining run's fine-tuning trunk.

  python -m official_ext.export --model_dir=RUN --output_dir=EXPORT
  python -m official_ext.export --model_dir=RUN --output_dir=RANDOM \
      --random_init     # same architecture, untrained (a baseline)

Rebuilds the model from `RUN/operative_config.gin` (written by
`official_ext.train`), restores the newest checkpoint (or `--checkpoint`) and
writes what `encoder_export` writes: `encoder/ckpt-1` + `encoder_config.json`
(for `official_ext.finetune` and Model Garden's fine-tuning tasks) and a
serving SavedModel.
"""
import os
import sys

from absl import app
from absl import flags
import tensorflow as tf

from official_ext.export import encoder_export
from official_ext.trainer import gin_setup
from official_ext.trainer import runner

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('model_dir', None, 'A pretraining run of '
                      'official_ext.train (holds operative_config.gin).')
  flags.DEFINE_string('output_dir', None, 'Where to write the export.')
  flags.DEFINE_string('checkpoint', None, 'A checkpoint prefix; default: '
                      'the newest in --model_dir.')
  flags.DEFINE_bool('random_init', False, 'Export the untrained model (the '
                    'same seed and architecture) instead of a checkpoint.')
  flags.DEFINE_bool('saved_model', True, 'Also write the serving '
                    'SavedModel.')


class ExportError(ValueError):
  """Bad --model_dir / --checkpoint; the message names it."""


def export(model_dir, output_dir, checkpoint=None, random_init=False,
           saved_model=True):
  """Rebuilds the run's model, restores it and exports its trunk."""
  config_path = os.path.join(model_dir, 'operative_config.gin')
  if not tf.io.gfile.exists(config_path):
    raise ExportError(f'--model_dir={model_dir!r} holds no '
                      'operative_config.gin; is it an official_ext.train run?')
  gin_setup.parse([config_path])
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, tf.distribute.get_strategy())
  model_config = getattr(trainer.task, 'model_config', None)
  if model_config is None:
    raise ExportError(f'the task of {model_dir!r} has no exportable trunk '
                      '(ELECTRA, TEAMS and multi-objective runs do).')
  restored = None
  if not random_init:
    restored = checkpoint or tf.train.latest_checkpoint(model_dir)
    if not restored:
      raise ExportError(f'no checkpoint in {model_dir!r} (use --random_init '
                        'for an untrained baseline).')
    trainer.checkpoint.read(restored).expect_partial()
  paths = encoder_export.export_pretrainer(trainer.model, model_config,
                                           output_dir, saved_model)
  return restored, paths


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    restored, paths = export(FLAGS.model_dir, FLAGS.output_dir,
                             FLAGS.checkpoint, FLAGS.random_init,
                             FLAGS.saved_model)
  except (ExportError, gin_setup.GinConfigError) as e:
    print(f'official_ext.export: error: {e}', file=sys.stderr, flush=True)
    sys.exit(1)
  print(f"exported {restored or 'a randomly initialised model'} -> "
        f"{paths['checkpoint']}", flush=True)


if __name__ == '__main__':
  define_flags()
  flags.mark_flags_as_required(['model_dir', 'output_dir'])
  app.run(main)
