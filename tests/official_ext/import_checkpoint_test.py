"""`python -m official_ext.import_checkpoint`: a summary line on success,
one error line naming the culprit on bad input."""

import json

import pytest
from absl import flags

from official_ext import import_checkpoint
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import hf_format
from tests import cli_harness
from tests.official_ext.interchange import interchange_fixtures as fx

FLAGS = flags.FlagValues()  # Its own flags: other CLIs share names.
import_checkpoint.define_flags(FLAGS)


@pytest.fixture(autouse=True)
def _flags(monkeypatch):
  monkeypatch.setattr(import_checkpoint, 'FLAGS', FLAGS)


def _hf(tmp_path, **changes):
  encoder_fields = fx.fields(embedding_size=32)
  hf_format.write(ew.EncoderWeights(
      encoder_fields, fx.random_weights(encoder_fields), 'src',
      vocab_file=fx.write_vocab(str(tmp_path / 'v.txt'))),
                  str(tmp_path / 'hf'))
  if changes:
    path = tmp_path / 'hf' / 'config.json'
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))
  return str(tmp_path / 'hf')


def test_imports_and_reports(tmp_path, capsys):
  code, out, err = cli_harness.run_main(
      import_checkpoint.main, FLAGS,
      ['prog', f'--source={_hf(tmp_path)}', f'--output_dir={tmp_path}/out',
       '--do_lower_case=true'], capsys)
  assert code == 0, err
  assert 'imported discriminator of' in out
  assert ('2 layers x 64 (embedding 32, 2 heads, activation gelu), vocab 40 '
          '->') in out  # written as gelu_new: Model Garden's tanh 'gelu'
  assert "initialised: ['cls_transform/bias:0', 'cls_transform/kernel:0']" \
      in out
  assert (tmp_path / 'out' / 'casing.json').read_text() == (
      '{"do_lower_case": true}')


def test_bad_input_is_one_line(tmp_path, capsys):
  code, out, err = cli_harness.run_main(
      import_checkpoint.main, FLAGS,
      ['prog', f'--source={_hf(tmp_path, hidden_size=48)}',
       f'--output_dir={tmp_path}/out'], capsys)
  assert code == 1 and not out
  lines = err.strip().splitlines()
  assert len(lines) == 1
  assert lines[0].startswith('official_ext.import_checkpoint: error: ')
  assert 'embeddings_project.weight has shape [32, 64]' in lines[0]
