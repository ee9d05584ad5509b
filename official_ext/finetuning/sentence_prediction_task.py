"""Model Garden's sentence-prediction task with label and output shapes agreed.

`official.nlp.tasks.sentence_prediction.SentencePredictionTask` regresses
(`num_classes == 1`, STS-B) with
`tf_keras.losses.mean_squared_error(label_ids, model_outputs)`, where the
labels are `[B]` and the `BertClassifier` outputs `[B, 1]`: the difference
broadcasts to `[B, B]`, so every prediction is regressed onto every label of
the batch and the model learns the batch mean (the loss then sits at the
labels' variance). Its regression metric (`MeanSquaredError`) is never
updated either (`process_metrics` only knows `auc` and `cls_accuracy`).

`SentencePredictionTask` here keeps everything else of Model Garden's task
(data, model, classification loss, train/validation steps under any
strategy) and only makes the shapes agree:

  regression loss   mean over the batch of (outputs[:, 0] - labels)^2,
                    outputs `[B, 1]` -> `[B]`, labels `[B]` (or `[B, 1]`),
                    float32 also under mixed precision;
  classification    labels reshaped to `[B]` against logits `[B, C]`;
  metrics           the regression MSE metric is updated on the same `[B]`;
  head dropout      the `BertClassifier` head drops out at the encoder's
                    `dropout_rate` (BERT's `hidden_dropout_prob`), not at a
                    fixed 0.1, so `--dropout_rate=0` makes a run
                    deterministic (and exactly resumable).

Perfect regression predictions give loss 0 (Model Garden's gives the
variance of the batch's labels).
"""

import tensorflow as tf
import tf_keras

from official.modeling import tf_utils
from official.nlp.configs import encoders
from official.nlp.modeling import models
from official.nlp.tasks import sentence_prediction


def flat_labels(labels, dtype) -> tf.Tensor:
  """Labels `[B]` or `[B, 1]` as `[B]` of `dtype`."""
  return tf.cast(tf.reshape(labels, [-1]), dtype)


def regression_outputs(model_outputs) -> tf.Tensor:
  """Regression outputs `[B, 1]` (or `[B]`) as float32 `[B]`."""
  return tf.reshape(tf.cast(model_outputs, tf.float32), [-1])


class SentencePredictionTask(sentence_prediction.SentencePredictionTask):
  """Model Garden's task; regression and classification losses on `[B]`."""

  @property
  def is_regression(self) -> bool:
    return self.task_config.model.num_classes == 1

  def build_model(self):
    """Model Garden's `BertClassifier`, head dropout = the encoder's."""
    model_config = self.task_config.model
    if (self.task_config.hub_module_url or
        model_config.encoder.type == 'xlnet'):
      return super().build_model()
    encoder_cfg = model_config.encoder.get()
    return models.BertClassifier(
        network=encoders.build_encoder(model_config.encoder),
        num_classes=model_config.num_classes,
        initializer=tf_keras.initializers.TruncatedNormal(
            stddev=encoder_cfg.initializer_range),
        dropout_rate=encoder_cfg.dropout_rate,
        use_encoder_pooler=model_config.use_encoder_pooler)

  def build_losses(self, labels, model_outputs, aux_losses=None) -> tf.Tensor:
    """Mean per-example loss (float32 scalar).

    Args:
      labels: features dict; `labels[label_field]` float `[B]` (regression)
        or int `[B]` (classification), `[B, 1]` accepted.
      model_outputs: `[B, 1]` regression scores or `[B, C]` logits.
      aux_losses: the model's extra losses (summed in, as Model Garden).
    """
    label_ids = labels[self.label_field]
    if self.is_regression:
      per_example = tf.square(regression_outputs(model_outputs) -
                              flat_labels(label_ids, tf.float32))
    else:
      per_example = tf_keras.losses.sparse_categorical_crossentropy(
          flat_labels(label_ids, tf.int32),
          tf.cast(model_outputs, tf.float32), from_logits=True)
    if aux_losses:
      per_example += tf.add_n(aux_losses)
    return tf_utils.safe_mean(per_example)

  def process_metrics(self, metrics, labels, model_outputs):
    if not self.is_regression:
      super().process_metrics(metrics, labels, model_outputs)
      return
    for metric in metrics:
      metric.update_state(flat_labels(labels[self.label_field], tf.float32),
                          regression_outputs(model_outputs))
