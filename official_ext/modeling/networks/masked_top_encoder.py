"""Runs a Model Garden `EncoderScaffold` with its top layer at chosen positions.

In ELECTRA/TEAMS pretraining some encoders' last transformer layer is read
only at the masked positions: the generator's feeds only the MLM head, and the
TEAMS discriminator's feeds only the MWS head (the RTD head reads layer L-1
through its own layer). Computing that layer for every token wastes
`(seq_len - num_predictions) / seq_len` of it. Here the last layer gets the
gathered positions as queries `[batch, num_predictions, hidden]` and the whole
previous layer as keys/values `[batch, seq_len, hidden]`, with the attention
mask gathered to `[batch, num_predictions, seq_len]` (Model Garden's
`TransformerEncoderBlock` takes `[query, key_value, attention_mask]`). Every
row of a transformer layer's output depends on the keys/values and on its own
query row only, so the result equals the full layer gathered at the positions.

The encoder's own embedding network and layer objects are called (same
variables, names and `get_config()`; checkpoints and export are unchanged);
the pooler, which pretraining does not read, is not run.
"""

import tensorflow as tf


def check_supported(encoder):
  """Raises ValueError if `encoder` is not a plain post-LN EncoderScaffold."""
  name = getattr(encoder, 'name', type(encoder).__name__)
  if not (hasattr(encoder, 'hidden_layers') and
          hasattr(encoder, '_embedding_network')):
    raise ValueError(f'masked top layer needs an EncoderScaffold; got '
                     f'{type(encoder).__name__} {name!r}')
  if encoder._embedding_network is None:  # pylint: disable=protected-access
    raise ValueError(f'masked top layer needs an EncoderScaffold with an '
                     f'embedding network; {name!r} has none')
  if getattr(encoder, '_layer_norm_before_pooling', False):
    raise ValueError(f'masked top layer does not support '
                     f'layer_norm_before_pooling (encoder {name!r})')


def gather_rows(tensor, positions):
  """`tensor[b, positions[b, p]]`: `[batch, seq, ...]` -> `[batch, P, ...]`."""
  return tf.gather(tensor, tf.cast(positions, tf.int32), batch_dims=1)


def identity_positions(positions):
  """`[batch, P]` int32 0..P-1 per row: positions into already gathered rows."""
  shape = tf.shape(positions)
  return tf.broadcast_to(tf.range(shape[1], dtype=tf.int32)[None, :], shape)


def encode(encoder, inputs, training=None, top_positions=None):
  """Every layer's output, the last one optionally at `top_positions` only.

  Args:
    encoder: a Model Garden `EncoderScaffold` (see `check_supported`).
    inputs: `[word_ids, mask, type_ids]`, each `[batch, seq_len]`.
    training: dropout switch.
    top_positions: optional `[batch, P]` int positions; the last layer is then
      computed for these query positions only.

  Returns:
    List of the layers' outputs: `[batch, seq_len, hidden]` each, except the
    last, which is `[batch, P, hidden]` when `top_positions` is given.
  """
  data, attention_mask = encoder.embedding_network(inputs, training=training)
  layers = encoder.hidden_layers
  outputs = []
  for layer in layers[:-1]:
    data = layer([data, attention_mask], training=training)
    outputs.append(data)
  top = layers[-1]
  if top_positions is None:
    outputs.append(top([data, attention_mask], training=training))
  else:
    outputs.append(top([gather_rows(data, top_positions), data,
                        gather_rows(attention_mask, top_positions)],
                       training=training))
  return outputs


def pooled_output(encoder, sequence_output):
  """The encoder's pooler on the first token: `[batch, hidden]`."""
  return encoder.pooler_layer(sequence_output[:, 0, :])
