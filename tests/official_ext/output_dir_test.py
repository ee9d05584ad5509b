"""An output directory that cannot be created is one line naming the flag."""

import json
import os

import pytest

from official_ext import output_dir
from tests import cli_harness


def test_ensure_creates_nested_dirs(tmp_path):
  path = str(tmp_path / 'a' / 'b')
  assert output_dir.ensure(path, 'model_dir') == path
  assert (tmp_path / 'a' / 'b').is_dir()


def test_ensure_names_the_flag_and_path(tmp_path):
  blocker = tmp_path / 'file.txt'
  blocker.write_text('x')
  with pytest.raises(output_dir.OutputDirError,
                     match=rf'^--model_dir={blocker}/run: cannot be created'):
    output_dir.ensure(str(blocker / 'run'), 'model_dir')


def test_finetune_refuses_an_unwritable_model_dir_in_one_line(capsys,
                                                              tmp_path):
  from official_ext import finetune  # pylint: disable=g-import-not-at-top
  blocker = tmp_path / 'file.txt'
  blocker.write_text('x')
  from tests.official_ext.finetuning import finetuning_fixtures as ffx  # pylint: disable=g-import-not-at-top
  export = ffx.export_tiny_encoder(tmp_path / 'export')
  code, _, err = cli_harness.run_main(
      finetune.main, finetune.FLAGS,
      ['finetune', '--task=glue/sst2', f'--init_checkpoint={export}',
       f'--vocab_file={ffx.VOCAB_FILE}', '--max_seq_length=32',
       f'--model_dir={blocker}/runs'], capsys)
  assert code == 2
  assert err.strip().splitlines() == [
      f'finetune: error: --model_dir={blocker}/runs: cannot be created '
      + err.split('cannot be created ', 1)[1].strip()]


def test_write_json_creates_its_directory_and_leaves_no_temp(tmp_path):
  path = str(tmp_path / 'new' / 'deeper' / 'metrics.json')
  output_dir.write_json(path, {'b': 1, 'a': 0.5})
  with open(path) as f:
    assert json.load(f) == {'a': 0.5, 'b': 1}
  assert os.listdir(tmp_path / 'new' / 'deeper') == ['metrics.json']
  output_dir.write_json(path, {'a': 2})  # overwrites
  with open(path) as f:
    assert json.load(f) == {'a': 2}
