"""Random tiny encoders, inputs and a TF1-style checkpoint writer."""

import os

import numpy as np
import tensorflow as tf

from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout

VOCAB = 40


def fields(embedding_size=64, hidden_size=64, num_layers=2, heads=2,
           intermediate_size=96, vocab_size=VOCAB):
  return dict(ew.CONFIG_DEFAULTS, vocab_size=vocab_size,
              hidden_size=hidden_size, num_layers=num_layers,
              num_attention_heads=heads, intermediate_size=intermediate_size,
              max_position_embeddings=24, type_vocab_size=2,
              embedding_size=embedding_size, dropout_rate=0.0,
              attention_dropout_rate=0.0)


def random_weights(encoder_fields, pooler=True, projection_bias=False,
                   seed=0, scale=0.2):
  """Canonical weights with every entry random (LayerNorm gammas near 1)."""
  rng = np.random.default_rng(seed)
  out = {}
  for key, shape in ew.expected_shapes(encoder_fields, pooler,
                                       projection_bias).items():
    value = rng.normal(0.0, scale, shape)
    if key.endswith('gamma'):
      value += 1.0
    out[key] = value.astype(np.float32)
  return out


def write_vocab(path, size=VOCAB):
  tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + [
      f'tok{i}' for i in range(size - 5)]
  with open(path, 'w') as f:
    f.write('\n'.join(tokens) + '\n')
  return path


def encoder_with(weights, encoder_fields):
  """Our EncoderScaffold of `encoder_fields` holding `weights`."""
  encoder = export_layout.build_encoder(encoder_fields)
  encoder_variables.assign(encoder, weights)
  return encoder


def inputs(seed=0, batch=3, seq=12):
  rng = np.random.default_rng(seed)
  ids = rng.integers(0, VOCAB, (batch, seq)).astype(np.int32)
  mask = np.ones_like(ids)
  mask[1, 8:] = 0
  types = np.zeros_like(ids)
  types[:, 6:] = 1
  return [ids, mask, types]


def sequence_output(encoder, seed=0):
  return encoder(inputs(seed), training=False)['sequence_output'].numpy()


def tf1_names(root, num_layers, pooler=True, projection=False):
  """Canonical key -> TF1 BERT/ELECTRA variable name under `root`."""
  out = {
      'embeddings/word_embeddings': 'embeddings/word_embeddings',
      'embeddings/position_embeddings': 'embeddings/position_embeddings',
      'embeddings/token_type_embeddings': 'embeddings/token_type_embeddings',
      'embeddings/layer_norm/gamma': 'embeddings/LayerNorm/gamma',
      'embeddings/layer_norm/beta': 'embeddings/LayerNorm/beta'}
  if projection:
    out['embeddings/projection/kernel'] = 'embeddings_project/kernel'
    out['embeddings/projection/bias'] = 'embeddings_project/bias'
  parts = {'attention/query': 'attention/self/query',
           'attention/key': 'attention/self/key',
           'attention/value': 'attention/self/value',
           'attention/output': 'attention/output/dense',
           'attention/layer_norm': 'attention/output/LayerNorm',
           'intermediate': 'intermediate/dense', 'output': 'output/dense',
           'output/layer_norm': 'output/LayerNorm'}
  for i in range(num_layers):
    for ours, theirs in parts.items():
      leaves = (('gamma', 'beta') if ours.endswith('layer_norm')
                else ('kernel', 'bias'))
      for leaf in leaves:
        out[f'layer_{i}/{ours}/{leaf}'] = (
            f'encoder/layer_{i}/{theirs}/{leaf}')
  if pooler:
    out['pooler/kernel'] = 'pooler/dense/kernel'
    out['pooler/bias'] = 'pooler/dense/bias'
  return {k: f'{root}/{v}' for k, v in out.items()}


def write_tf1_checkpoint(prefix, named):
  """A TF1 name-based checkpoint (tf.compat.v1.train.Saver) of `named`."""
  os.makedirs(os.path.dirname(prefix), exist_ok=True)
  with tf.Graph().as_default():
    variables = {name: tf.compat.v1.Variable(value, name=name)
                 for name, value in named.items()}
    saver = tf.compat.v1.train.Saver(variables)
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      saver.save(session, prefix, write_meta_graph=False)
  return prefix
