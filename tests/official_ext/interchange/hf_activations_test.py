"""HF `hidden_act` <-> our activation: the mapping, one-line refusals, and
the names an HF directory is read with and written with."""

import json
import os

import numpy as np
import pytest

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import hf_activations
from official_ext.interchange import hf_format
from official_ext.modeling import activations
from tests.official_ext.interchange import interchange_fixtures as fx


def test_names_map_by_what_they_compute():
  assert hf_activations.from_hf('gelu', 'c') == activations.GELU_EXACT
  assert hf_activations.from_hf(None, 'c') == activations.GELU_EXACT
  for tanh in ('gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'):
    assert hf_activations.from_hf(tanh, 'c') == activations.GELU_TANH
  assert hf_activations.from_hf('silu', 'c') == activations.SILU
  assert hf_activations.to_hf(activations.GELU_TANH, 's') == 'gelu_new'
  assert hf_activations.to_hf(activations.GELU_EXACT, 's') == 'gelu'
  for ours in activations.SUPPORTED:
    assert hf_activations.from_hf(hf_activations.to_hf(ours, 's'),
                                  'c') == ours


def _hf_dir(tmp_path, activation=activations.GELU_TANH, **config_changes):
  fields = dict(fx.fields(), hidden_activation=activation)
  path = str(tmp_path / 'hf')
  hf_format.write(ew.EncoderWeights(fields, fx.random_weights(fields),
                                    'random'), path)
  config_path = os.path.join(path, 'config.json')
  with open(config_path) as f:
    config = json.load(f)
  config.update(config_changes)
  with open(config_path, 'w') as f:
    json.dump(config, f)
  return path, config


@pytest.mark.parametrize('activation', activations.SUPPORTED)
def test_written_name_reads_back_as_the_same_activation(tmp_path,
                                                        activation):
  path, config = _hf_dir(tmp_path, activation)
  assert config['hidden_act'] == hf_activations.TO_HF[activation]
  assert hf_format.read(path).fields['hidden_activation'] == activation


def test_unknown_hidden_act_is_refused_in_one_line(tmp_path):
  path, _ = _hf_dir(tmp_path, hidden_act='quick_gelu')
  with pytest.raises(ew.InterchangeError) as raised:
    hf_format.read(path)
  message = str(raised.value)
  assert '\n' not in message
  assert message.startswith(os.path.join(path, 'config.json') +
                            ": hidden_act='quick_gelu' is not supported")
  assert 'gelu, gelu_accurate, gelu_fast, gelu_new' in message


def test_export_refuses_an_activation_hf_cannot_name(tmp_path):
  fields = dict(fx.fields(), hidden_activation='mish')
  with pytest.raises(ew.InterchangeError,
                     match=r"hidden_activation='mish' has no Hugging Face "
                     r'equivalent \(one of gelu, official_ext>gelu_exact'):
    hf_format.write(ew.EncoderWeights(fields, fx.random_weights(fields),
                                      'run'), str(tmp_path / 'hf'))


def test_exact_and_tanh_encoders_differ_and_survive_import(tmp_path):
  """The same weights under the two GELUs differ by far more than the
  round trip's tolerance: the activation is carried, not defaulted."""
  outputs = {}
  for activation in (activations.GELU_TANH, activations.GELU_EXACT):
    fields = dict(fx.fields(), hidden_activation=activation)
    weights = fx.random_weights(fields)
    path = str(tmp_path / activation.replace('>', '_'))
    hf_format.write(ew.EncoderWeights(fields, weights, 'run'), path)
    export_layout.write(hf_format.read(path), path + '_export')
    back = export_layout.read(path + '_export')
    assert back.fields['hidden_activation'] == activation
    outputs[activation] = fx.sequence_output(
        fx.encoder_with(back.weights, back.fields))
    want = fx.sequence_output(fx.encoder_with(weights, fields))
    assert np.abs(outputs[activation] - want).max() < 1e-5
  assert np.abs(outputs[activations.GELU_TANH] -
                outputs[activations.GELU_EXACT]).max() > 1e-4
