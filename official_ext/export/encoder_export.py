"""Exports a pretrainer's fine-tuning trunk (the discriminator encoder).

Two artefacts under `output_dir`:
  * `encoder/ckpt-*` — a `tf.train.Checkpoint(encoder=...)`, the layout Model
    Garden's fine-tuning tasks restore through `init_checkpoint`; plus
    `encoder_config.json`, the `BertEncoderConfig` to give them as
    `EncoderConfig(type='any', any=TeamsEncoderConfig(**config))` (the
    encoder is an `EncoderScaffold` built by `teams.get_encoder`).
  * `saved_model/` — serving signature mapping `input_word_ids`,
    `input_mask`, `input_type_ids` `[batch, seq_len]` int32 to
    `sequence_output` `[batch, seq_len, hidden]` and `pooled_output`
    `[batch, hidden]`.
For TEAMS the trunk's last layer is the MWS representation (the paper
exports it; the RTD branch is dropped).
"""

import dataclasses
import json
import os

import tensorflow as tf

from official.nlp.configs import encoders
from official.projects.teams import teams

from official_ext.modeling.networks import task_conditioned_embedding

CHECKPOINT_SUBDIR = 'encoder'
CONFIG_FILE = 'encoder_config.json'
SAVED_MODEL_SUBDIR = 'saved_model'


def finetune_encoder_config(encoder_config_dict):
  """Model Garden `EncoderConfig` that rebuilds the exported encoder."""
  return encoders.EncoderConfig(
      type='any', any=teams.TeamsEncoderConfig(**encoder_config_dict))


class _EncoderServing(tf.Module):
  """Wraps an encoder with a fixed serving signature."""

  def __init__(self, encoder):
    super().__init__()
    self.encoder = encoder

  @tf.function(input_signature=[
      tf.TensorSpec([None, None], tf.int32, name='input_word_ids'),
      tf.TensorSpec([None, None], tf.int32, name='input_mask'),
      tf.TensorSpec([None, None], tf.int32, name='input_type_ids'),
  ])
  def serve(self, input_word_ids, input_mask, input_type_ids):
    outputs = self.encoder([input_word_ids, input_mask, input_type_ids],
                           training=False)
    return {'sequence_output': outputs['sequence_output'],
            'pooled_output': outputs['pooled_output']}


def export_encoder(encoder, encoder_config, output_dir, saved_model=True):
  """Writes the checkpoint, its config and (optionally) a SavedModel.

  Args:
    encoder: the discriminator `EncoderScaffold`.
    encoder_config: its `BertEncoderConfig`.
    output_dir: destination directory (created).
    saved_model: also write the serving SavedModel.

  Returns:
    dict with `checkpoint`, `config` and `saved_model` paths.
  """
  tf.io.gfile.makedirs(output_dir)
  # `save` (not `write`) also writes the `checkpoint` state file, so Model
  # Garden's `init_checkpoint` may name the directory or the prefix.
  checkpoint = tf.train.Checkpoint(encoder=encoder).save(
      os.path.join(output_dir, CHECKPOINT_SUBDIR, 'ckpt'))
  config_path = os.path.join(output_dir, CONFIG_FILE)
  with tf.io.gfile.GFile(config_path, 'w') as f:
    json.dump(dataclasses.asdict(encoder_config), f, indent=2, sort_keys=True)
  paths = {'checkpoint': checkpoint, 'config': config_path,
           'saved_model': None}
  if saved_model:
    module = _EncoderServing(encoder)
    paths['saved_model'] = os.path.join(output_dir, SAVED_MODEL_SUBDIR)
    tf.saved_model.save(module, paths['saved_model'],
                        signatures={'serving_default': module.serve})
  return paths


def plain_trunk(pretrainer, encoder_config):
  """The pretrainer's trunk as the encoder Model Garden's fine-tuning builds.

  A trunk with a task-id embedding is copied into a plain encoder with the
  mean task vector folded into its position table; others are returned as is.
  """
  trunk = pretrainer.discriminator_network
  if not isinstance(trunk.embedding_network,
                    task_conditioned_embedding.TaskConditionedEmbedding):
    return trunk
  plain = teams.get_encoder(encoder_config)
  plain([tf.zeros((1, 2), tf.int32)] * 3)
  task_conditioned_embedding.fold_task_embedding(trunk, plain)
  return plain


def export_pretrainer(pretrainer, config, output_dir, saved_model=True):
  """Exports a pretrainer's fine-tuning trunk.

  Args:
    pretrainer: GeneratorDiscriminatorPretrainer, BertMlmPretrainer or
      MultiObjectivePretrainer.
    config: its config (anything with `trunk_config`, e.g. PretrainerConfig,
      MultiObjectiveConfig) or the trunk's BertEncoderConfig itself.
    output_dir: destination directory.
    saved_model: also write the serving SavedModel.
  """
  encoder_config = getattr(config, 'trunk_config', config)
  return export_encoder(plain_trunk(pretrainer, encoder_config),
                        encoder_config, output_dir, saved_model)


def load_encoder_config(output_dir):
  """The exported `BertEncoderConfig` fields as a dict."""
  with tf.io.gfile.GFile(os.path.join(output_dir, CONFIG_FILE)) as f:
    return json.load(f)
