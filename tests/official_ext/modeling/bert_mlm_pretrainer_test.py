"""BERT-MLM pretrainer: outputs, tied MLM table, parity with Model Garden."""

import numpy as np

from official.nlp.modeling import layers as mg_layers
from official.projects.teams import teams

from official_ext.modeling.models import bert_mlm_pretrainer
from official_ext.modeling.networks.tied_embedding import embedding_table_of
from tests.official_ext.modeling import modeling_fixtures as fx


def test_outputs_and_tied_table():
  cfg = fx.tiny_teams_config().discriminator
  encoder = teams.get_encoder(cfg)
  model = bert_mlm_pretrainer.BertMlmPretrainer(encoder)
  batch = fx.tiny_batch()
  out = model(batch)
  assert out['mlm_logits'].shape == (fx.BATCH, fx.PREDICTIONS, fx.VOCAB)
  assert out['sequence_output'].shape == (fx.BATCH, fx.SEQ, cfg.hidden_size)
  assert out['pooled_output'].shape == (fx.BATCH, cfg.hidden_size)
  assert model.masked_lm.embedding_table is embedding_table_of(encoder)
  # Logits equal Model Garden's MaskedLM with the same weights.
  reference = mg_layers.MaskedLM(embedding_table=embedding_table_of(encoder))
  reference(out['sequence_output'], batch['masked_lm_positions'])
  reference.set_weights(model.masked_lm.get_weights())
  np.testing.assert_allclose(
      reference(out['sequence_output'], batch['masked_lm_positions']),
      out['mlm_logits'], atol=1e-5)
  assert model.checkpoint_items['encoder'] is encoder
