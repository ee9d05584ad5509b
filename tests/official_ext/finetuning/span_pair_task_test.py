"""SpanPairTask: the WSC model path on Model Garden's sentence prediction."""

import pytest

from official.nlp.configs import encoders
from official.nlp.tasks import sentence_prediction

from official_ext.finetuning import span_pair_task
from official_ext.modeling.models import span_pair_classifier
from tests.official_ext.finetuning import finetuning_fixtures as ffx


def test_marker_ids_from_the_vocab(tmp_path):
  assert span_pair_task.marker_ids(ffx.VOCAB_FILE) == (13, 62)  # '*', '~'
  vocab = tmp_path / 'vocab.txt'
  vocab.write_text('[PAD]\n[UNK]\n*\n')
  with pytest.raises(span_pair_task.SpanPairError,
                     match=r"vocab.txt: no token '~', the span marker"):
    span_pair_task.marker_ids(str(vocab))


def test_builds_a_span_pair_classifier():
  bert = encoders.BertEncoderConfig(vocab_size=ffx.VOCAB_SIZE, hidden_size=32,
                                    num_layers=1, num_attention_heads=2,
                                    intermediate_size=64)
  config = sentence_prediction.SentencePredictionConfig(
      model=sentence_prediction.ModelConfig(
          num_classes=2, encoder=encoders.EncoderConfig(type='bert',
                                                        bert=bert)))
  task = span_pair_task.SpanPairTask(config, ffx.VOCAB_FILE)
  model = task.build_model()
  assert isinstance(model, span_pair_classifier.SpanPairClassifier)
  assert model.marker_ids == (13, 62)
  assert 'encoder' in model.checkpoint_items
  # Variables exist before training (the runner builds the optimizer first).
  assert len(model.trainable_variables) == len(
      model.encoder.trainable_variables) + 2
