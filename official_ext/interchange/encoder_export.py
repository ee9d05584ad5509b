"""Exports a pretrainer's fine-tuning trunk (the discriminator encoder).

Two artefacts under `output_dir`:
  * `encoder/ckpt-*` — a `tf.train.Checkpoint(encoder=...)`, the layout Model
    Garden's fine-tuning tasks restore through `init_checkpoint`; plus
    `encoder_config.json`, the `BertEncoderConfig` to give them as
    `EncoderConfig(type='any', any=TeamsEncoderConfig(**config))` (the
    encoder is an `EncoderScaffold` built by `teams.get_encoder`).
  * `vocab.txt` and `casing.json` (`{"do_lower_case": ...}`) when known.
  * `saved_model/` — a TF Hub text encoder (the conventions of Model
    Garden's `export_tfhub`): called with a dict of `input_word_ids`,
    `input_mask`, `input_type_ids` `[batch, seq_len]` int32 it returns
    `sequence_output` `[batch, seq_len, hidden]`, `pooled_output` (and its
    alias `default`) `[batch, hidden]` and `encoder_outputs` (per layer);
    `hub.KerasLayer` loads it; the `serving_default` signature takes the
    same three inputs; `vocab_file`, `do_lower_case` and
    `hidden_activation` (a string variable: the config's name, so an import
    of the SavedModel knows an exact-GELU encoder) are attached.
`hidden_activation` may be `official_ext.modeling.activations.GELU_EXACT`,
registered by importing this module (`teams.get_encoder` resolves it).
For TEAMS the trunk's last layer is the MWS representation (the paper
exports it; the RTD branch is dropped).

The layout is the package's own interchange format: `official_ext.export`
(the CLI) writes it, and the trainer's warm start, fine-tuning and
multi-task training read it (`export_layout` converts it to and from
`EncoderWeights`), so it lives here, below all of them.
"""

import dataclasses
import json
import os

import tensorflow as tf
import tf_keras

from official.nlp.configs import encoders
from official.projects.teams import teams

from official_ext.modeling import activations  # pylint: disable=unused-import
from official_ext.modeling.networks import task_conditioned_embedding

CHECKPOINT_SUBDIR = 'encoder'
CONFIG_FILE = 'encoder_config.json'
SAVED_MODEL_SUBDIR = 'saved_model'
VOCAB_FILE = 'vocab.txt'
CASING_FILE = 'casing.json'


def finetune_encoder_config(encoder_config_dict):
  """Model Garden `EncoderConfig` that rebuilds the exported encoder."""
  return encoders.EncoderConfig(
      type='any', any=teams.TeamsEncoderConfig(**encoder_config_dict))


def hub_model(encoder) -> tf_keras.Model:
  """`encoder` wrapped with TF Hub's text-encoder interface (dict in, dict
  out), as Model Garden's `export_tfhub_lib` builds it."""
  inputs = {name: tf_keras.layers.Input(shape=(None,), dtype=tf.int32,
                                        name=name)
            for name in ('input_word_ids', 'input_mask', 'input_type_ids')}
  outputs = encoder([inputs['input_word_ids'], inputs['input_mask'],
                     inputs['input_type_ids']])
  return tf_keras.Model(inputs=inputs, outputs={
      'sequence_output': outputs['sequence_output'],
      'pooled_output': outputs['pooled_output'],
      'default': outputs['pooled_output'],
      'encoder_outputs': outputs['encoder_outputs']})


def write_saved_model(encoder, path, vocab_file=None, do_lower_case=None,
                      hidden_activation=None):
  """Saves `hub_model(encoder)` with its vocab, casing and activation name
  attached."""
  model = hub_model(encoder)
  if vocab_file:
    model.vocab_file = tf.saved_model.Asset(vocab_file)
  if do_lower_case is not None:
    model.do_lower_case = tf.Variable(bool(do_lower_case), trainable=False)
  if hidden_activation is not None:
    model.hidden_activation = tf.Variable(hidden_activation, trainable=False,
                                          dtype=tf.string)

  @tf.function(input_signature=[{
      name: tf.TensorSpec([None, None], tf.int32, name=name)
      for name in ('input_word_ids', 'input_mask', 'input_type_ids')}])
  def serve(inputs):
    outputs = model(inputs, training=False)
    return {k: outputs[k] for k in ('sequence_output', 'pooled_output')}

  model.save(path, include_optimizer=False, save_format='tf',
             signatures={'serving_default': serve})
  return path


def write_tokenizer_files(output_dir, vocab_file=None, do_lower_case=None):
  """Copies the vocab to `vocab.txt` and writes `casing.json`."""
  tf.io.gfile.makedirs(output_dir)
  if vocab_file:
    target = os.path.join(output_dir, VOCAB_FILE)
    if os.path.abspath(vocab_file) != os.path.abspath(target):
      tf.io.gfile.copy(vocab_file, target, overwrite=True)
  if do_lower_case is not None:
    with tf.io.gfile.GFile(os.path.join(output_dir, CASING_FILE), 'w') as f:
      json.dump({'do_lower_case': bool(do_lower_case)}, f)


def load_casing(output_dir):
  """`do_lower_case` of an export, or None when it does not say."""
  path = os.path.join(output_dir, CASING_FILE)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f).get('do_lower_case')


def export_encoder(encoder, encoder_config, output_dir, saved_model=True,
                   vocab_file=None, do_lower_case=None):
  """Writes the checkpoint, its config and (optionally) a SavedModel.

  Args:
    encoder: the discriminator `EncoderScaffold`.
    encoder_config: its `BertEncoderConfig`.
    output_dir: destination directory (created).
    saved_model: also write the TF Hub SavedModel.
    vocab_file, do_lower_case: the tokenizer, when known (module docstring).

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
  write_tokenizer_files(output_dir, vocab_file, do_lower_case)
  paths = {'checkpoint': checkpoint, 'config': config_path,
           'saved_model': None}
  if saved_model:
    paths['saved_model'] = write_saved_model(
        encoder, os.path.join(output_dir, SAVED_MODEL_SUBDIR),
        vocab_file and os.path.join(output_dir, VOCAB_FILE), do_lower_case,
        getattr(encoder_config, 'hidden_activation', None))
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


def export_pretrainer(pretrainer, config, output_dir, saved_model=True,
                      vocab_file=None, do_lower_case=None):
  """Exports a pretrainer's fine-tuning trunk.

  Args:
    pretrainer: GeneratorDiscriminatorPretrainer, BertMlmPretrainer or
      MultiObjectivePretrainer.
    config: its config (anything with `trunk_config`, e.g. PretrainerConfig,
      MultiObjectiveConfig) or the trunk's BertEncoderConfig itself.
    output_dir: destination directory.
    saved_model: also write the TF Hub SavedModel.
    vocab_file, do_lower_case: the tokenizer, when known.
  """
  encoder_config = getattr(config, 'trunk_config', config)
  return export_encoder(plain_trunk(pretrainer, encoder_config),
                        encoder_config, output_dir, saved_model, vocab_file,
                        do_lower_case)


def load_encoder_config(output_dir):
  """The exported `BertEncoderConfig` fields as a dict."""
  with tf.io.gfile.GFile(os.path.join(output_dir, CONFIG_FILE)) as f:
    return json.load(f)
