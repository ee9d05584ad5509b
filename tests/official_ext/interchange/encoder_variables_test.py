"""Reading and assigning a live encoder's variables by canonical key."""

import numpy as np
import pytest

from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from tests.official_ext.interchange import interchange_fixtures as fx


def test_assign_then_read_gives_the_weights_back():
  encoder_fields = fx.fields(embedding_size=32)
  weights = fx.random_weights(encoder_fields, pooler=False)
  encoder = export_layout.build_encoder(encoder_fields)
  initialised = encoder_variables.assign(encoder, weights)
  assert initialised == ['cls_transform/bias:0', 'cls_transform/kernel:0']
  back = encoder_variables.read(encoder)
  assert set(back) == set(weights) | {'pooler/kernel', 'pooler/bias'}
  for key, value in weights.items():
    np.testing.assert_array_equal(back[key], value, err_msg=key)
  assert len(encoder_variables.assigned_ids(encoder, weights)) == len(weights)


def test_skipped_variables_keep_their_values():
  encoder_fields = fx.fields()
  encoder = export_layout.build_encoder(encoder_fields)
  table = encoder_variables.encoder_variables(encoder)[
      'embeddings/word_embeddings']
  before = table.numpy()
  encoder_variables.assign(encoder, fx.random_weights(encoder_fields),
                           skip={id(table)})
  np.testing.assert_array_equal(table.numpy(), before)


def test_a_weight_that_does_not_fit_is_named():
  encoder = export_layout.build_encoder(fx.fields())
  weights = fx.random_weights(fx.fields(intermediate_size=80))
  with pytest.raises(ew.InterchangeError,
                     match=r'src: layer_0/intermediate/\w+ has shape '
                     r'\[(64, )?80\] but the model needs \[(64, )?96\]'):
    encoder_variables.assign(encoder, weights, 'src')
  weights = fx.random_weights(fx.fields(num_layers=3))
  with pytest.raises(ew.InterchangeError,
                     match=r'src: layer_2/.* has no place in the model'):
    encoder_variables.assign(encoder, weights, 'src')
