"""Format detection and the registry's errors."""

import pytest

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import formats
from official_ext.interchange import hf_format
from tests.official_ext.interchange import interchange_fixtures as fx


def test_detects_each_written_format(tmp_path):
  encoder_fields = fx.fields()
  source = ew.EncoderWeights(encoder_fields,
                             fx.random_weights(encoder_fields), 'src')
  hf_format.write(source, str(tmp_path / 'hf'))
  export_layout.write(source, str(tmp_path / 'export'))
  names = fx.tf1_names('electra', 2)
  fx.write_tf1_checkpoint(str(tmp_path / 'tf1' / 'model.ckpt'), {
      names[k]: v for k, v in source.weights.items()})
  assert formats.detect(str(tmp_path / 'hf')) == 'hf'
  assert formats.detect(str(tmp_path / 'export')) == 'export'
  assert formats.detect(str(tmp_path / 'tf1')) == 'tf1_electra'
  assert formats.detect(str(tmp_path / 'tf1' / 'model.ckpt')) == (
      'tf1_electra')
  with pytest.raises(ew.InterchangeError,
                     match=r'--generator: format hf holds no ELECTRA generator '
                     r'\(a Hugging Face ELECTRA generator, ElectraForMaskedLM, '
                     r'is a directory of its own: import it as --source'):
    formats.read(str(tmp_path / 'hf'), 'auto',
                 formats.ImportOptions(generator=True))


def test_unknown_source_and_format_are_named(tmp_path):
  with pytest.raises(ew.InterchangeError,
                     match=rf'--source={tmp_path}: not a recognised encoder'):
    formats.read(str(tmp_path))
  with pytest.raises(ew.InterchangeError, match="--format='onnx' is unknown"):
    formats.read(str(tmp_path), 'onnx')
