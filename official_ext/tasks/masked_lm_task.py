"""BERT masked-LM pretraining on our records: Model Garden's MaskedLMTask.

`masked_lm_task(...)` builds Model Garden's `BertPretrainerV2` task (no
next-sentence head) of a size from `size_presets`, reading
`AuxPretrainDataConfig`s (registered with Model Garden's data-loader
factory). `MaskedLMTask` only changes `train_step`: the loss is divided by
the number of replicas (gradients are summed over replicas, so one device and
MirroredStrategy take the same step) and scaled under `mixed_float16`.
Logs: `loss` (= the MLM loss); metrics `lm_example_loss`,
`masked_lm_accuracy`.
"""

from typing import Optional


from official.nlp.configs import bert
from official.nlp.configs import encoders
from official.nlp.tasks import masked_lm

from official_ext.data import pretrain_reader
from official_ext.modeling.models import size_presets
from official_ext.tasks import gradient_step


class MaskedLMTask(masked_lm.MaskedLMTask):
  """Model Garden's MaskedLMTask with replica-correct, loss-scaled steps."""

  def train_step(self, inputs, model, optimizer, metrics=None):
    def compute_loss():
      outputs = model(inputs, training=True)
      return self.build_losses(labels=inputs, model_outputs=outputs,
                               metrics=metrics,
                               aux_losses=model.losses), outputs

    loss, outputs = gradient_step.minimize(
        optimizer, model.trainable_variables, compute_loss)
    self.process_metrics(metrics, inputs, outputs)
    return {self.loss: loss}


def masked_lm_task(train_data: Optional[
    pretrain_reader.AuxPretrainDataConfig], validation_data: Optional[
        pretrain_reader.AuxPretrainDataConfig], vocab_size: int,
                   size: str = 'base', dropout_rate: float = 0.1,
                   max_seq_length: int = 512) -> MaskedLMTask:
  """A BERT MLM task; `size` names a `size_presets` encoder (BERT-base is
  'base': 12 x 768, 12 heads, FFN 3072)."""
  seq_length = max(d.seq_length for d in (train_data, validation_data) if d)
  if seq_length > max_seq_length:
    raise ValueError(f'the records hold {seq_length} tokens but '
                     f'masked_lm_task.max_seq_length={max_seq_length}')
  encoder = size_presets.discriminator_config(
      size, vocab_size, max_seq_length=max_seq_length,
      dropout_rate=dropout_rate)
  config = masked_lm.MaskedLMConfig(
      model=bert.PretrainerConfig(
          encoder=encoders.EncoderConfig(type='bert', bert=encoder),
          cls_heads=[], mlm_initializer_range=encoder.initializer_range),
      scale_loss=True)
  config.train_data = train_data
  config.validation_data = validation_data
  return MaskedLMTask(config, name='masked_lm')
