"""HF round trips (BERT with/without pooler, ELECTRA with a narrow
embedding) keep `sequence_output` within 1e-5; bad directories fail naming
the file or key."""

import json
import os

import numpy as np
import pytest
from safetensors import numpy as safetensors_numpy

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import hf_format
from tests.official_ext.interchange import interchange_fixtures as fx


def _round_trip(tmp_path, encoder_fields, pooler, model_type='auto'):
  weights = fx.random_weights(encoder_fields, pooler=True)
  encoder = fx.encoder_with(weights, encoder_fields)
  source = ew.EncoderWeights(
      fields=encoder_fields, weights=weights, source='random',
      vocab_file=fx.write_vocab(str(tmp_path / 'vocab.txt')),
      do_lower_case=False)
  written = hf_format.write(source, str(tmp_path / 'hf'), model_type,
                            pooler=pooler)
  imported = hf_format.read(str(tmp_path / 'hf'))
  export_layout.write(imported, str(tmp_path / 'export'))
  back = export_layout.read(str(tmp_path / 'export'))
  rebuilt = fx.encoder_with(back.weights, back.fields)
  return written, encoder, rebuilt, back


@pytest.mark.parametrize('pooler', [True, False])
def test_bert_round_trip(tmp_path, pooler):
  written, encoder, rebuilt, back = _round_trip(tmp_path, fx.fields(), pooler)
  assert written == 'bert'
  with open(tmp_path / 'hf' / 'config.json') as f:
    config = json.load(f)
  assert config['model_type'] == 'bert'
  assert config['num_hidden_layers'] == 2 and 'embedding_size' not in config
  keys = safetensors_numpy.load_file(str(tmp_path / 'hf' /
                                         'model.safetensors'))
  assert ('pooler.dense.weight' in keys) == pooler
  assert keys['encoder.layer.1.intermediate.dense.weight'].shape == (96, 64)
  diff = np.abs(fx.sequence_output(encoder) - fx.sequence_output(rebuilt))
  assert diff.max() < 1e-5
  assert back.do_lower_case is False
  assert open(back.vocab_file).read().split('\n')[5] == 'tok0'
  pooled = [e(fx.inputs(), training=False)['pooled_output'].numpy()
            for e in (encoder, rebuilt)]
  assert np.allclose(pooled[0], pooled[1], atol=1e-5) == pooler


def test_electra_round_trip_with_a_narrow_embedding(tmp_path):
  encoder_fields = fx.fields(embedding_size=32)
  written, encoder, rebuilt, back = _round_trip(tmp_path, encoder_fields,
                                                pooler=True)
  assert written == 'electra'
  with open(tmp_path / 'hf' / 'config.json') as f:
    config = json.load(f)
  assert (config['embedding_size'], config['hidden_size']) == (32, 64)
  keys = safetensors_numpy.load_file(str(tmp_path / 'hf' /
                                         'model.safetensors'))
  assert keys['embeddings_project.weight'].shape == (64, 32)
  assert 'pooler.dense.weight' not in keys
  assert back.fields['embedding_size'] == 32
  diff = np.abs(fx.sequence_output(encoder) - fx.sequence_output(rebuilt))
  assert diff.max() < 1e-5


def _hf_dir(tmp_path, **config_changes):
  encoder_fields = fx.fields()
  source = ew.EncoderWeights(fields=encoder_fields,
                             weights=fx.random_weights(encoder_fields),
                             source='random')
  path = str(tmp_path / 'hf')
  hf_format.write(source, path)
  with open(os.path.join(path, 'config.json')) as f:
    config = json.load(f)
  config.update(config_changes)
  with open(os.path.join(path, 'config.json'), 'w') as f:
    json.dump(config, f)
  return path


def test_unknown_architecture_is_named(tmp_path):
  path = _hf_dir(tmp_path, model_type='roberta')
  with pytest.raises(ew.InterchangeError,
                     match=r"config.json: model_type='roberta' is not a "
                     'supported architecture'):
    hf_format.read(path)


def test_missing_weight_and_bad_shape_are_named(tmp_path):
  path = _hf_dir(tmp_path)
  weights_file = os.path.join(path, 'model.safetensors')
  tensors = safetensors_numpy.load_file(weights_file)
  del tensors['encoder.layer.1.output.dense.bias']
  safetensors_numpy.save_file(tensors, weights_file)
  with pytest.raises(ew.InterchangeError,
                     match=r'missing weight encoder\.layer\.1\.output\.dense'
                     r'\.bias \(layer_1/output/bias\)'):
    ew.check(hf_format.read(path))
  path = _hf_dir(tmp_path, intermediate_size=80)
  with pytest.raises(ew.InterchangeError,
                     match=r'encoder\.layer\.0\.intermediate\.dense\.weight '
                     r'has shape \[64, 96\] but the config .*'
                     r'intermediate_size=80.* needs \[64, 80\]'):
    ew.check(hf_format.read(path))


def test_vocab_size_must_equal_embedding_rows(tmp_path):
  path = _hf_dir(tmp_path)
  fx.write_vocab(os.path.join(path, 'vocab.txt'), size=fx.VOCAB - 3)
  with pytest.raises(ew.InterchangeError,
                     match=r'vocab.txt has 37 tokens but the embedding table '
                     r'embeddings.word_embeddings.weight has 40 rows'):
    export_layout.write(hf_format.read(path), str(tmp_path / 'out'))


def test_corrupt_or_headless_weights_are_named(tmp_path):
  """A truncated weights file, one without word embeddings (and no tied
  generator LM head), and an index naming a shard that is not there: each
  one line naming the file."""
  path = _hf_dir(tmp_path)
  weights_file = os.path.join(path, 'model.safetensors')
  with open(weights_file, 'rb') as f:
    data = f.read()
  with open(weights_file, 'wb') as f:
    f.write(data[:-10])
  with pytest.raises(ew.InterchangeError) as raised:
    hf_format.read(path)
  assert str(raised.value).startswith(
      f'{weights_file}: not a safetensors file (')
  assert '\n' not in str(raised.value)

  tensors = safetensors_numpy.load(data)
  del tensors['embeddings.word_embeddings.weight']
  safetensors_numpy.save_file(tensors, weights_file)
  with pytest.raises(ew.InterchangeError,
                     match=r'hf: no embeddings\.word_embeddings\.weight in '
                     r'model\.safetensors'):
    hf_format.read(path)

  os.remove(weights_file)
  with open(os.path.join(path, 'model.safetensors.index.json'), 'w') as f:
    json.dump({'weight_map': {'a': 'model-00001-of-00001.safetensors'}}, f)
  with pytest.raises(ew.InterchangeError,
                     match=r'model-00001-of-00001\.safetensors does not exist '
                     r'\(named by .*model\.safetensors\.index\.json\)'):
    hf_format.read(path)
