"""The shared encoder of a multi-task run: build, restore, export.

`build_encoder` starts from our export directory or a checkpoint
(`finetuning.encoder_init.resolve` finds its config; the caller restores
it) or from a fresh TEAMS-layout encoder of a named size
(`size_presets`); `restore_encoder` checks the checkpoint fits (and the
vocab) before reading it; `export_best` writes the encoder in the layout
`python -m official_ext.finetune --init_checkpoint` restores, plus the
heads' checkpoint (`heads/`, one entry per head name).
"""

import dataclasses
import os

import tensorflow as tf

from official.nlp.configs import encoders

from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import encoder_init
from official_ext.interchange import encoder_export
from official_ext.modeling.models import size_presets
from official_ext.multitask import task_spec as task_spec_lib
from official_ext.trainer import checkpointing

HEADS_SUBDIR = 'heads'
BERT_CONFIG_FILE = 'bert_encoder_config.json'


def build_encoder(init_checkpoint: str, encoder_size: str, vocab_size: int,
                  max_seq_length: int, dropout_rate: float):
  """(encoder, EncoderSource or None) with the run's dropout.

  From `init_checkpoint` (our export directory, or a checkpoint with
  `encoder_init.resolve`'s rules) the encoder is built from the source's
  config, to be restored by the caller; without one it is a fresh
  `encoder_size` TEAMS-layout encoder (`size_presets`).
  """
  if init_checkpoint:
    source = encoder_init.resolve(init_checkpoint)
    return encoders.build_encoder(
        encoder_init.with_dropout(source, dropout_rate).encoder_config), source
  fields = dataclasses.asdict(size_presets.discriminator_config(
      encoder_size, vocab_size, max_seq_length=max_seq_length,
      dropout_rate=dropout_rate))
  config = encoder_export.finetune_encoder_config(fields)
  source = encoder_init.EncoderSource('', config, '', fields)
  return encoders.build_encoder(config), source


def check_lengths(specs, source):
  """Raises TaskSpecError naming the first task longer than the encoder's
  position embeddings."""
  positions = encoder_init.max_positions(source)
  for spec in specs:
    if spec.max_seq_length > positions:
      raise task_spec_lib.TaskSpecError(
          f'task {spec.name!r}: max_seq_length={spec.max_seq_length} exceeds '
          f'the encoder\'s {positions} position embeddings '
          f'({source.config_file or "max_seq_length of the new encoder"}).')


def vocab_size(vocab_file):
  with tf.io.gfile.GFile(vocab_file) as f:
    return sum(1 for line in f if line.strip())


def restore_encoder(encoder, source, vocab_file):
  """Reads `source.checkpoint` into `encoder` after checking it fits."""
  encoder([tf.zeros((1, 2), tf.int32)] * 3)
  encoder_init.check_vocab(vocab_file, source)
  encoder_init.check_checkpoint_fits(source.checkpoint, encoder, source)
  tf.train.Checkpoint(encoder=encoder).read(
      source.checkpoint).assert_existing_objects_matched()


def export_best(model, source, export_dir):
  """Writes the encoder and the heads' checkpoint under `export_dir`.

  A TEAMS-layout encoder (ours) is written by `encoder_export` and
  fine-tunes with `--init_checkpoint=<export_dir>`; a Model Garden BERT
  encoder is written as `encoder/ckpt-*` plus `bert_encoder_config.json`
  (fine-tune with `--init_checkpoint=<export_dir>/encoder
  --encoder_config_file=<export_dir>/bert_encoder_config.json`).
  """
  if tf.io.gfile.exists(export_dir):
    tf.io.gfile.rmtree(export_dir)
  fields = dict(source.fields)
  if source.encoder_config.type == 'bert':
    tf.io.gfile.makedirs(export_dir)
    paths = {'checkpoint': tf.train.Checkpoint(encoder=model.encoder).save(
        os.path.join(export_dir, encoder_export.CHECKPOINT_SUBDIR, 'ckpt')),
             'config': os.path.join(export_dir, BERT_CONFIG_FILE)}
    output_dir_lib.write_json(paths['config'], fields)
  else:
    paths = encoder_export.export_encoder(
        model.encoder, encoders.BertEncoderConfig(**fields), export_dir,
        saved_model=False)
  paths['heads'] = tf.train.Checkpoint(**model.heads).save(
      os.path.join(export_dir, HEADS_SUBDIR, 'ckpt'))
  return paths


def restore_heads(model, init_checkpoint: str):
  """Restores the heads saved under `<init_checkpoint>/heads` whose names
  the model also has; returns those names (sorted)."""
  folder = os.path.join(init_checkpoint, HEADS_SUBDIR)
  prefix = tf.train.latest_checkpoint(folder)
  if not prefix:
    raise encoder_init.EncoderInitError(
        f'reuse_heads: no heads checkpoint under {folder} (a multi-task '
        'export writes one).')
  saved = {name.split('/', 1)[0] for name in
           checkpointing.reader(prefix).get_variable_to_shape_map()}
  names = sorted(n for n in model.heads if n in saved)
  if not names:
    raise encoder_init.EncoderInitError(
        f'reuse_heads: none of the heads {sorted(model.heads)} is saved in '
        f'{prefix} (it has {sorted(saved - {"_CHECKPOINTABLE_OBJECT_GRAPH"})}).')
  try:
    tf.train.Checkpoint(**{n: model.heads[n] for n in names}).read(
        prefix).assert_existing_objects_matched()
  except (ValueError, AssertionError) as e:
    raise encoder_init.EncoderInitError(
        f'reuse_heads: the heads {names} in {prefix} do not fit this run\'s '
        f'(different classes or width?): {e}') from e
  return names
