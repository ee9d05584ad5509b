"""A base pretraining objective plus auxiliary heads on its trunk.

The base model is a `BertMlmPretrainer` (olfmlm's setting) or a
`GeneratorDiscriminatorPretrainer` (ELECTRA/TEAMS: the heads read the
discriminator's trunk). Every auxiliary head (`official_ext.modeling.heads`)
reads `sequence_output [batch, seq_len, hidden]` and
`pooled_output [batch, hidden]` of that trunk and the batch.

Outputs: the base model's outputs, plus each head's outputs under
`'<task>/<key>'`.
"""

import tf_keras


@tf_keras.utils.register_keras_serializable(package='OfficialExt')
class MultiObjectivePretrainer(tf_keras.Model):
  """Base pretrainer + named auxiliary heads.

  Args:
    base_model: BertMlmPretrainer or GeneratorDiscriminatorPretrainer.
    aux_heads: list of auxiliary heads (each has `task_name`).
    task_embedding: the encoder's `TaskEmbedding` layer, or None.
  """

  def __init__(self, base_model, aux_heads=(), task_embedding=None,
               **kwargs):
    super().__init__(**kwargs)
    names = [h.task_name for h in aux_heads]
    if len(set(names)) != len(names):
      raise ValueError(f'auxiliary task named twice in {names}')
    self.base_model = base_model
    self.aux_heads = list(aux_heads)
    self.task_embedding = task_embedding
    self._config = dict(base_model=base_model, aux_heads=list(aux_heads),
                        task_embedding=task_embedding)

  @property
  def aux_task_names(self):
    return [h.task_name for h in self.aux_heads]

  def call(self, inputs, training=None):  # pytype: disable=signature-mismatch
    outputs = dict(self.base_model(inputs, training=training))
    for head in self.aux_heads:
      head_out = head(outputs['sequence_output'], outputs['pooled_output'],
                      inputs, training=training)
      for key, value in head_out.items():
        outputs[f'{head.task_name}/{key}'] = value
    return outputs

  @staticmethod
  def head_outputs(outputs, task_name):
    """The `'<task>/<key>'` entries of `outputs`, keys without the prefix."""
    prefix = task_name + '/'
    return {k[len(prefix):]: v for k, v in outputs.items()
            if k.startswith(prefix)}

  @property
  def discriminator_network(self):
    return self.base_model.discriminator_network

  @property
  def checkpoint_items(self):
    return dict(encoder=self.base_model.discriminator_network)

  def get_config(self):
    return dict(self._config)

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
