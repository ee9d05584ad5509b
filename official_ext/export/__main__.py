r"""Exports a pretraining run's fine-tuning trunk.

  python -m official_ext.export --model_dir=RUN --output_dir=EXPORT
  python -m official_ext.export --model_dir=RUN --output_dir=RANDOM \
      --random_init     # same architecture, untrained (a baseline)
  python -m official_ext.export --model_dir=RUN --output_dir=HF --format=hf
  python -m official_ext.export --export_dir=EXPORT --output_dir=HF \
      --format=hf       # an export (or an imported encoder) to HF

Rebuilds the model from `RUN/operative_config.gin` (written by
`official_ext.train`), restores the newest checkpoint (or `--checkpoint`) and
writes what `interchange/encoder_export.py` writes: `encoder/ckpt-1` +
`encoder_config.json` (for `official_ext.finetune` and Model Garden's
fine-tuning tasks), the records' `vocab.txt` and casing, and a TF Hub
SavedModel. `--format=hf`
writes a Hugging Face directory instead (`interchange/hf_format.py`:
config.json, model.safetensors, vocab.txt, tokenizer_config.json; a BERT,
or an ELECTRA when the embedding is narrower than the hidden size).
"""
import dataclasses
import os
import sys

from absl import app
from absl import flags
import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.interchange import encoder_export
from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights
from official_ext.interchange import export_layout
from official_ext.interchange import hf_format
from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import data_setup
from official_ext.trainer import gin_setup
from official_ext.trainer import runner

FLAGS = flags.FLAGS


def define_flags(flag_values=flags.FLAGS):
  """Defines the CLI's flags (in `flag_values`; tests pass their own)."""
  fv = flag_values
  flags.DEFINE_string('model_dir', None, 'A pretraining run of '
                      'official_ext.train (holds operative_config.gin).',
                      flag_values=fv)
  flags.DEFINE_string('output_dir', None, 'Where to write the export.',
                      flag_values=fv)
  flags.DEFINE_string('checkpoint', None, 'A checkpoint prefix; default: '
                      'the newest in --model_dir.', flag_values=fv)
  flags.DEFINE_bool('random_init', False, 'Export the untrained model (the '
                    'same seed and architecture) instead of a checkpoint.',
                    flag_values=fv)
  flags.DEFINE_bool('saved_model', True, 'Also write the TF Hub '
                    'SavedModel (--format=model_garden).', flag_values=fv)
  flags.DEFINE_enum('format', 'model_garden', ['model_garden', 'hf'],
                    'model_garden: our export layout (+ SavedModel); hf: a '
                    'Hugging Face BERT/ELECTRA directory.', flag_values=fv)
  flags.DEFINE_string('export_dir', None, 'Instead of --model_dir: an '
                      'export (or import_checkpoint output) to convert.',
                      flag_values=fv)
  flags.DEFINE_enum('hf_model_type', 'auto', ['auto', 'bert', 'electra'],
                    '--format=hf: the architecture (auto: electra iff the '
                    'embedding is narrower than the hidden size).',
                    flag_values=fv)
  flags.DEFINE_bool('hf_pooler', True, '--format=hf, bert: write the '
                    'pooler.', flag_values=fv)


class ExportError(ValueError):
  """Bad --model_dir / --checkpoint; the message names it."""


def export(model_dir, output_dir, checkpoint=None, random_init=False,
           saved_model=True, fmt='model_garden', hf_model_type='auto',
           hf_pooler=True):
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
    # The newest checkpoint that reads, past unreadable ones (named).
    restored = checkpoint or checkpoint_fallback.newest_readable(model_dir)
    if not restored:
      raise ExportError(f'no checkpoint in {model_dir!r} (use --random_init '
                        'for an untrained baseline).')
    trainer.checkpoint.read(restored).expect_partial()
  data = exp.train_data or exp.eval_data
  vocab_file, lower = data.vocab_file, data_setup.manifest_casing(data)
  if fmt == 'hf':
    trunk_config = getattr(model_config, 'trunk_config', model_config)
    trunk = encoder_export.plain_trunk(trainer.model, trunk_config)
    source = encoder_weights.EncoderWeights(
        fields=dataclasses.asdict(trunk_config),
        weights=encoder_variables.read(trunk),
        source=restored or 'random init', vocab_file=vocab_file,
        do_lower_case=lower)
    return restored, write_hf(source, output_dir, hf_model_type, hf_pooler)
  paths = encoder_export.export_pretrainer(trainer.model, model_config,
                                           output_dir, saved_model,
                                           vocab_file, lower)
  return restored, paths


def write_hf(source, output_dir, hf_model_type='auto', hf_pooler=True):
  """Writes `source` (EncoderWeights) as an HF directory; returns paths."""
  try:
    model_type = hf_format.write(source, output_dir, hf_model_type,
                                 hf_pooler)
  except encoder_weights.InterchangeError as e:
    raise ExportError(str(e)) from e
  return {'checkpoint': os.path.join(output_dir, hf_format.WEIGHTS),
          'model_type': model_type}


def export_from_export_dir(export_dir, output_dir, fmt, hf_model_type='auto',
                           hf_pooler=True, saved_model=True):
  """Converts an export directory (e.g. an imported encoder)."""
  if not export_layout.is_export_dir(export_dir):
    raise ExportError(f'--export_dir={export_dir!r} holds no '
                      f'{encoder_export.CONFIG_FILE}')
  source = export_layout.read(export_dir)
  if fmt == 'hf':
    return source.source, write_hf(source, output_dir, hf_model_type,
                                   hf_pooler)
  return source.source, export_layout.write(source, output_dir, saved_model)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    output_dir_lib.ensure(FLAGS.output_dir, 'output_dir')
    if FLAGS.export_dir:
      restored, paths = export_from_export_dir(
          FLAGS.export_dir, FLAGS.output_dir, FLAGS.format,
          FLAGS.hf_model_type, FLAGS.hf_pooler, FLAGS.saved_model)
    elif FLAGS.model_dir:
      restored, paths = export(FLAGS.model_dir, FLAGS.output_dir,
                               FLAGS.checkpoint, FLAGS.random_init,
                               FLAGS.saved_model, FLAGS.format,
                               FLAGS.hf_model_type, FLAGS.hf_pooler)
    else:
      raise ExportError('pass --model_dir (a run) or --export_dir')
  except (ExportError, gin_setup.GinConfigError,
          output_dir_lib.OutputDirError,
          checkpoint_fallback.NoReadableCheckpointError) as e:
    print(f'official_ext.export: error: {e}', file=sys.stderr, flush=True)
    sys.exit(1)
  print(f"exported {restored or 'a randomly initialised model'} -> "
        f"{paths['checkpoint']}", flush=True)


if __name__ == '__main__':
  define_flags()
  flags.mark_flags_as_required(['output_dir'])
  app.run(main)
