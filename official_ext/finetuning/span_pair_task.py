"""Model Garden sentence-prediction task with a span-pair head (SuperGLUE WSC).

`SpanPairTask` is `SentencePredictionTask` (same data loader, loss, metrics,
checkpoint restore of the encoder) whose model is a
`span_pair_classifier.SpanPairClassifier` reading the encoder's states at
the span markers `superglue_readers` puts into the text (`*` before span 1,
`~` before span 2). The marker ids come from the vocab.
"""

from official.nlp.configs import encoders
import tensorflow as tf
import tf_keras

from official_ext.finetuning import sentence_prediction_task
from official_ext.finetuning import superglue_readers
from official_ext.modeling.models import span_pair_classifier


class SpanPairError(ValueError):
  """The vocab lacks a span marker token."""


def marker_ids(vocab_file: str):
  """(id of span 1's marker, id of span 2's marker) in a WordPiece vocab."""
  with tf.io.gfile.GFile(vocab_file) as f:
    ids = {token.strip(): i for i, token in enumerate(f)}
  missing = [m for m in superglue_readers.SPAN_MARKERS if m not in ids]
  if missing:
    raise SpanPairError(f'{vocab_file}: no token {missing[0]!r}, the span '
                        f'marker of the span-pair (WSC) head')
  return tuple(ids[m] for m in superglue_readers.SPAN_MARKERS)


class SpanPairTask(sentence_prediction_task.SentencePredictionTask):
  """SentencePredictionTask whose model classifies a marked span pair.

  Args:
    params: a `SentencePredictionConfig`.
    vocab_file: the WordPiece vocab (for the marker ids).
    logging_dir: as for SentencePredictionTask.
  """

  def __init__(self, params, vocab_file, logging_dir=None, name=None):
    super().__init__(params, logging_dir, name=name)
    self._marker_ids = marker_ids(vocab_file)

  def build_model(self):
    """The classifier, its variables made (the runner builds the optimizer)."""
    encoder_cfg = self.task_config.model.encoder
    model = span_pair_classifier.SpanPairClassifier(
        network=encoders.build_encoder(encoder_cfg),
        marker_ids=self._marker_ids,
        num_classes=self.task_config.model.num_classes,
        dropout_rate=encoder_cfg.get().dropout_rate,
        initializer=tf_keras.initializers.TruncatedNormal(
            stddev=encoder_cfg.get().initializer_range))
    ids = tf.constant([list(self._marker_ids) * 2])  # [1, 4]
    model(dict(input_word_ids=ids, input_mask=tf.ones_like(ids),
               input_type_ids=tf.zeros_like(ids)))
    return model
