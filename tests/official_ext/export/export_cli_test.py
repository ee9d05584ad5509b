"""`python -m official_ext.export`: rebuilds a run from its operative config,
restores the newest checkpoint and exports the trunk (or, with
--random_init, the untrained model)."""
from absl import flags
import numpy as np
import pytest
import tensorflow as tf

from official.projects.teams import teams

from official_ext import import_checkpoint
from official_ext.export import __main__ as export_cli
from official_ext.interchange import encoder_export
from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights
from official_ext.interchange import export_layout
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from tests import cli_harness
from tests.official_ext.interchange import interchange_fixtures as ifx
from tests.official_ext.trainer import trainer_fixtures as fx


@pytest.fixture(scope='module', name='run_dir')
def fixture_run_dir(tmp_path_factory):
  manifest = fx.build_records(str(tmp_path_factory.mktemp('records')))
  model_dir = str(tmp_path_factory.mktemp('teams'))
  fx.parse('gin/teams_tiny.gin', f'DATA_MANIFEST = {manifest!r}',
           'TRAIN_STEPS = 10', 'CHECKPOINT_INTERVAL = 5')
  runner.run(gin_setup.build_experiment(), model_dir, 'train',
             strategy_builder.build_strategy('one_device'),
             operative_config=gin_setup.operative_config)
  return model_dir


def _exported_weights(path):
  config = encoder_export.load_encoder_config(path)
  encoder = teams.get_encoder(encoders_config(config))
  encoder([tf.zeros((1, 4), tf.int32)] * 3)
  tf.train.Checkpoint(encoder=encoder).read(
      tf.train.latest_checkpoint(f"{path}/encoder")).expect_partial(
      ).assert_existing_objects_matched()
  return [w.numpy() for w in encoder.weights]


def encoders_config(config_dict):
  return encoder_export.finetune_encoder_config(config_dict).any


def test_export_restores_the_newest_checkpoint(run_dir, tmp_path):
  restored, _ = export_cli.export(run_dir, str(tmp_path / 'trained'),
                                  saved_model=False)
  assert restored.endswith('ckpt-10')
  random_restored, _ = export_cli.export(run_dir, str(tmp_path / 'random'),
                                         random_init=True, saved_model=False)
  assert random_restored is None
  trained = _exported_weights(str(tmp_path / 'trained'))
  untrained = _exported_weights(str(tmp_path / 'random'))
  # Same architecture; 10 training steps moved the weights.
  assert [w.shape for w in trained] == [w.shape for w in untrained]
  assert any(not np.allclose(a, b) for a, b in zip(trained, untrained))
  # The export equals the trunk saved in the run's checkpoint (the trainer
  # saves it under `encoder`, Model Garden's checkpoint item name).
  config = encoder_export.load_encoder_config(str(tmp_path / 'trained'))
  encoder = teams.get_encoder(encoders_config(config))
  encoder([tf.zeros((1, 4), tf.int32)] * 3)
  tf.train.Checkpoint(encoder=encoder).read(restored).expect_partial(
  ).assert_existing_objects_matched()
  for saved, exported in zip(encoder.weights, trained):
    np.testing.assert_array_equal(saved.numpy(), exported)


def test_a_directory_without_a_run_is_refused(tmp_path):
  with pytest.raises(export_cli.ExportError, match='operative_config.gin'):
    export_cli.export(str(tmp_path), str(tmp_path / 'out'))


def test_hf_export_of_a_run_imports_back_to_the_same_encoder(run_dir,
                                                             tmp_path):
  export_cli.export(run_dir, str(tmp_path / 'mg'), saved_model=False)
  _, paths = export_cli.export(run_dir, str(tmp_path / 'hf'), fmt='hf')
  assert paths['model_type'] == 'electra'  # tiny: embedding 32 < hidden 64
  assert sorted(p.name for p in (tmp_path / 'hf').iterdir()) == [
      'config.json', 'model.safetensors', 'tokenizer_config.json',
      'vocab.txt']
  assert (tmp_path / 'mg' / 'casing.json').read_text() == (
      '{"do_lower_case": true}')
  import_checkpoint.import_checkpoint(str(tmp_path / 'hf'),
                                      str(tmp_path / 'back'))
  outputs = []
  for name in ('mg', 'back'):
    source = export_layout.read(str(tmp_path / name))
    encoder = export_layout.build_encoder(source.fields)
    encoder_variables.assign(encoder, source.weights)
    ids = np.arange(24, dtype=np.int32).reshape(2, 12) + 5
    outputs.append(encoder([ids, np.ones_like(ids), np.zeros_like(ids)],
                           training=False)['sequence_output'].numpy())
  assert np.abs(outputs[0] - outputs[1]).max() < 1e-5


def test_export_dir_converts_to_hf_and_bad_input_is_named(tmp_path, capsys,
                                                         monkeypatch):
  encoder_fields = ifx.fields()  # embedding = hidden: a BERT
  export_layout.write(encoder_weights.EncoderWeights(
      encoder_fields, ifx.random_weights(encoder_fields), 'src'),
                      str(tmp_path / 'export'))
  _, paths = export_cli.export_from_export_dir(
      str(tmp_path / 'export'), str(tmp_path / 'hf'), 'hf', hf_pooler=False)
  assert paths['model_type'] == 'bert'
  flag_values = flags.FlagValues()  # Own flags: other CLIs share names.
  export_cli.define_flags(flag_values)
  monkeypatch.setattr(export_cli, 'FLAGS', flag_values)
  code, _, err = cli_harness.run_main(
      export_cli.main, flag_values,
      ['prog', f'--export_dir={tmp_path}/export', f'--output_dir={tmp_path}/o',
       '--format=hf', '--hf_model_type=bert', '--nohf_pooler'], capsys)
  assert code == 0, err
  assert 'pooler.dense.weight' not in (tmp_path / 'o' / 'model.safetensors'
                                       ).read_bytes().decode('latin-1')
  code, _, err = cli_harness.run_main(
      export_cli.main, flag_values,
      ['prog', f'--export_dir={tmp_path}', f'--output_dir={tmp_path}/o'],
      capsys)
  assert code == 1
  assert err.strip() == (f"official_ext.export: error: --export_dir="
                         f"'{tmp_path}' holds no encoder_config.json")
