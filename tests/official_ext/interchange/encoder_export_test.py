"""Export loads into Model Garden's sentence_prediction task, same outputs."""

import numpy as np
import tensorflow as tf

from official.nlp.tasks import sentence_prediction
from official.projects.teams import teams

from official_ext.interchange import encoder_export
from official_ext.modeling.models import bert_mlm_pretrainer
from official_ext.modeling.models import pretrainer_config
from official_ext.modeling.networks import task_conditioned_embedding as tce
from tests.official_ext.modeling import modeling_fixtures as fx


def _model_garden_classifier_task(export_dir):
  """Model Garden's sentence_prediction task on the export in `export_dir`."""
  return sentence_prediction.SentencePredictionTask(
      sentence_prediction.SentencePredictionConfig(
          init_checkpoint=str(export_dir / encoder_export.CHECKPOINT_SUBDIR),
          model=sentence_prediction.ModelConfig(
              num_classes=2,
              encoder=encoder_export.finetune_encoder_config(
                  encoder_export.load_encoder_config(str(export_dir))))))


def test_export_loads_into_model_garden_sentence_prediction(tmp_path):
  config = fx.tiny_teams_config()
  model = pretrainer_config.build_pretrainer(config)
  batch = fx.tiny_batch()
  model(batch)
  paths = encoder_export.export_pretrainer(model, config, str(tmp_path))

  task = _model_garden_classifier_task(tmp_path)
  classifier = task.build_model()
  inputs = [batch['input_word_ids'], batch['input_mask'],
            batch['input_type_ids']]
  ours = model.discriminator_network(inputs)
  before = classifier.checkpoint_items['encoder'](inputs)
  assert not np.allclose(before['sequence_output'], ours['sequence_output'],
                         atol=1e-3)
  task.initialize(classifier)  # asserts every encoder object matched

  theirs = classifier.checkpoint_items['encoder'](inputs)
  np.testing.assert_allclose(theirs['sequence_output'],
                             ours['sequence_output'], atol=1e-6)
  np.testing.assert_allclose(theirs['pooled_output'], ours['pooled_output'],
                             atol=1e-6)

  served = tf.saved_model.load(paths['saved_model']).signatures[
      'serving_default'](input_word_ids=inputs[0], input_mask=inputs[1],
                         input_type_ids=inputs[2])
  np.testing.assert_allclose(served['sequence_output'],
                             ours['sequence_output'], atol=1e-5)
  np.testing.assert_allclose(served['pooled_output'], ours['pooled_output'],
                             atol=1e-5)



def test_task_embedding_trunk_exports_as_a_plain_encoder(tmp_path):
  cfg = fx.tiny_teams_config().discriminator
  encoder = teams.get_encoder(cfg,
                              embedding_network=tce.build(cfg, num_tasks=3))
  model = bert_mlm_pretrainer.BertMlmPretrainer(encoder)
  batch = fx.tiny_batch()
  model(batch)
  task = encoder.embedding_network.task_embedding
  task.table.assign(tf.random.normal(task.table.shape, seed=3))
  task.set_active([1.0, 1.0, 1.0])
  encoder_export.export_pretrainer(model, cfg, str(tmp_path),
                                   saved_model=False)
  finetune = _model_garden_classifier_task(tmp_path)
  classifier = finetune.build_model()
  finetune.initialize(classifier)
  inputs = [batch['input_word_ids'], batch['input_mask'],
            batch['input_type_ids']]
  np.testing.assert_allclose(
      classifier.checkpoint_items['encoder'](inputs)['sequence_output'],
      encoder(inputs)['sequence_output'], atol=1e-5)
