"""BERT masked-LM pretrainer (the olfmlm setting) on a Model Garden encoder.

Inputs: `input_word_ids`, `input_mask`, `input_type_ids` `[batch, seq_len]`,
`masked_lm_positions` `[batch, num_predictions]`.
Outputs: `mlm_logits` `[batch, num_predictions, vocab]`, `sequence_output`
`[batch, seq_len, hidden]`, `pooled_output` `[batch, hidden]`.
"""

import tf_keras

from official.nlp.modeling import layers as mg_layers

from official_ext.modeling.networks import tied_embedding


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class BertMlmPretrainer(tf_keras.Model):
  """Encoder + MaskedLM head tied to the encoder's word embeddings.

  Args:
    encoder_network: EncoderScaffold with dict outputs.
    mlm_activation, mlm_initializer: of the MaskedLM transform.
  """

  def __init__(self, encoder_network, mlm_activation=None,
               mlm_initializer='glorot_uniform', **kwargs):
    super().__init__(**kwargs)
    self._config = dict(encoder_network=encoder_network,
                        mlm_activation=mlm_activation,
                        mlm_initializer=mlm_initializer)
    self.encoder_network = encoder_network
    self.masked_lm = mg_layers.MaskedLM(
        embedding_table=tied_embedding.embedding_table_of(encoder_network),
        activation=mlm_activation, initializer=mlm_initializer,
        output='logits', name='masked_lm')

  def call(self, inputs, training=None):  # pytype: disable=signature-mismatch
    encoded = self.encoder_network(
        [inputs['input_word_ids'], inputs['input_mask'],
         inputs['input_type_ids']], training=training)
    return {
        'mlm_logits': self.masked_lm(encoded['sequence_output'],
                                     inputs['masked_lm_positions']),
        'sequence_output': encoded['sequence_output'],
        'pooled_output': encoded['pooled_output'],
    }

  @property
  def discriminator_network(self):
    """The fine-tuning trunk (named as in the ELECTRA/TEAMS models)."""
    return self.encoder_network

  @property
  def checkpoint_items(self):
    return dict(encoder=self.encoder_network)

  def get_config(self):
    return dict(self._config)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
