"""Our export layout <-> `EncoderWeights`.

The layout (`official_ext.interchange.encoder_export`): `encoder_config.json`,
`encoder/ckpt-*` (a `tf.train.Checkpoint(encoder=EncoderScaffold)`),
`vocab.txt` and `casing.json`, optionally `saved_model/`. It is what every
`--init_checkpoint` of the package reads, so importers write it.
"""

import dataclasses
import os

from absl import logging
import tensorflow as tf

from official.nlp.configs import encoders
from official.projects.teams import teams

from official_ext.interchange import encoder_export
from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights as ew

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(
    encoders.BertEncoderConfig)}


def encoder_config(fields: dict) -> encoders.BertEncoderConfig:
  return encoders.BertEncoderConfig(
      **{k: v for k, v in fields.items() if k in _CONFIG_FIELDS})


def build_encoder(fields: dict):
  """The EncoderScaffold of `fields`, with its variables created."""
  encoder = teams.get_encoder(encoder_export.finetune_encoder_config(
      dataclasses.asdict(encoder_config(fields))).any)
  encoder([tf.zeros((1, 2), tf.int32)] * 3)
  return encoder


def is_export_dir(path: str) -> bool:
  return tf.io.gfile.exists(os.path.join(path, encoder_export.CONFIG_FILE))


def read(export_dir: str) -> ew.EncoderWeights:
  """An export directory as `EncoderWeights`."""
  fields = encoder_export.load_encoder_config(export_dir)
  encoder = build_encoder(fields)
  prefix = tf.train.latest_checkpoint(
      os.path.join(export_dir, encoder_export.CHECKPOINT_SUBDIR))
  if not prefix:
    raise ew.InterchangeError(f'{export_dir}: no checkpoint under '
                              f'{encoder_export.CHECKPOINT_SUBDIR}/')
  tf.train.Checkpoint(encoder=encoder).read(prefix).expect_partial(
  ).assert_existing_objects_matched()
  vocab = os.path.join(export_dir, encoder_export.VOCAB_FILE)
  return ew.EncoderWeights(
      fields=fields, weights=encoder_variables.read(encoder), source=prefix,
      vocab_file=vocab if tf.io.gfile.exists(vocab) else None,
      do_lower_case=encoder_export.load_casing(export_dir))


def write(encoder: ew.EncoderWeights, output_dir: str,
          saved_model: bool = False) -> dict:
  """Checks `encoder` and writes it in our layout; returns the paths and the
  model parts left initialised (`initialised`, e.g. a missing pooler)."""
  ew.check(encoder)
  ew.check_vocab(encoder)
  model = build_encoder(encoder.fields)
  initialised = encoder_variables.assign(model, encoder.weights,
                                         encoder.source)
  if initialised:
    logging.info('%s: no weights for %s; they keep their random '
                 'initialisation', encoder.source, initialised)
  paths = encoder_export.export_encoder(
      model, encoder_config(encoder.fields), output_dir, saved_model,
      encoder.vocab_file, encoder.do_lower_case)
  paths['initialised'] = initialised
  return paths
