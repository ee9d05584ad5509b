"""Continued pretraining from an imported checkpoint (TEAMS, BERT-MLM + SO):
the first step starts from the imported trunk, 20 steps lower the loss, a
rerun resumes from model_dir; mismatched size, vocab or casing fail naming
both sides."""

import dataclasses
import re
import shutil

import numpy as np
import pytest

from official_ext import import_checkpoint
from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import hf_format
from official_ext.modeling import activations
from official_ext.modeling.models import size_presets
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from official_ext.trainer import strategy_builder
from official_ext.trainer import warm_start
from tests.official_ext.interchange import interchange_fixtures as ifx
from tests.official_ext.trainer import trainer_fixtures as fx

_TINY = dataclasses.asdict(size_presets.discriminator_config(
    'tiny', 7027, max_seq_length=128))


def _released_encoder(tmp_path, name, vocab=fx.VOCAB, lower=True, seed=0,
                      fields=None):
  """A 'released' encoder: random tiny weights in an HF directory (ELECTRA
  layout: the embedding is narrower), imported into our layout."""
  fields = fields or _TINY
  weights = ifx.random_weights(fields, pooler=False, projection_bias=True,
                               seed=seed, scale=0.05)
  hf_dir = str(tmp_path / f'{name}_hf')
  hf_format.write(ew.EncoderWeights(fields, weights, 'released',
                                    vocab_file=vocab, do_lower_case=lower),
                  hf_dir)
  export = str(tmp_path / name)
  import_checkpoint.import_checkpoint(hf_dir, export)
  return export, weights


def _parse(gin_file, manifest, export, *bindings):
  fx.parse(gin_file, f'DATA_MANIFEST = {manifest!r}',
           f'Experiment.init_checkpoint = {export!r}', *bindings)


def _losses(lines):
  """The task loss of each console line."""
  return [float(re.search(r'\| (?:total_loss|loss) ([\d.e+-]+)', line)
                .group(1)) for line in lines if line.startswith('step ')]


def _check_first_step_and_training(tmp_path, weights, initialised_parts,
                                   monkeypatch):
  strategy = strategy_builder.build_strategy('one_device')
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy)
  result = warm_start.apply(trainer, exp)
  trunk = trainer.model.checkpoint_items['encoder']
  got = encoder_variables.read(trunk)
  folded = ew.fold_projection_bias(weights)
  for key, value in folded.items():
    np.testing.assert_array_equal(got[key], value, err_msg=key)
  assert set(initialised_parts) <= set(result.initialised), result.initialised
  # Training from the warm start: the first loop's loss vs the last one's.
  lines = []
  model_dir = str(tmp_path / 'run')
  runner.run(exp, model_dir, 'train', strategy, print_fn=lines.append)
  losses = _losses(lines)
  assert len(losses) == 4 and losses[-1] < 0.97 * losses[0], lines
  # A rerun resumes from model_dir; the init checkpoint is not read again.
  monkeypatch.setattr(warm_start, 'apply', _must_not_run)
  runner.run(gin_setup.build_experiment(), model_dir, 'train', strategy,
             print_fn=lines.append)
  return result


def _must_not_run(*args):
  raise AssertionError(f'warm start on a resumed run {args}')


def test_teams_continues_from_an_imported_encoder(tiny_manifest, tmp_path,
                                                  monkeypatch):
  export, weights = _released_encoder(tmp_path, 'teams_init')
  _parse('gin/teams_tiny.gin', tiny_manifest, export)
  logged = []
  monkeypatch.setattr(warm_start.logging, 'info',
                      lambda message, *args: logged.append(message % args))
  result = _check_first_step_and_training(
      tmp_path, weights, ['generator cls_transform', 'discriminator_rtd'],
      monkeypatch)
  # The generator's one layer is the discriminator's bottom layer (shared).
  assert not any(p.startswith('transformer') for p in result.initialised)
  line = [m for m in logged if m.startswith('warm start from')]
  assert len(line) == 2  # one line each: the direct apply, the run's
  assert 'optimizer slots' in line[0] and line[0] == line[1]
  assert 'cls_transform' in line[0]


@pytest.mark.slow
def test_bert_mlm_with_an_auxiliary_task_continues(tiny_manifest, tmp_path,
                                                   monkeypatch):
  export, weights = _released_encoder(tmp_path, 'mlm_init', seed=1)
  _parse('gin/olfmlm/mlm_so.gin', tiny_manifest, export, "SIZE = 'tiny'",
         'TRAIN_STEPS = 20', 'BATCH_SIZE = 8', 'WARMUP_STEPS = 2',
         'LOG_INTERVAL = 5', 'CHECKPOINT_INTERVAL = 10', 'EVAL_STEPS = 2',
         'MAX_SEQ_LENGTH = 128', 'DROPOUT_RATE = 0.0',
         'LEARNING_RATE = 1e-3')
  result = _check_first_step_and_training(
      tmp_path, weights, ['task_embedding', 'so'], monkeypatch)
  assert result.restored >= len(ew.fold_projection_bias(weights))


def _build_and_apply():
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy_builder.build_strategy(
      'one_device'))
  return warm_start.apply(trainer, exp)


def test_a_mismatched_size_names_both(tiny_manifest, tmp_path):
  _expect_refusal(tiny_manifest, tmp_path, {},
                  r'has hidden_size=64, intermediate_size=128, '
                  r'embedding_size=32 but the gin config builds the trunk '
                  r'with hidden_size=128, intermediate_size=512, '
                  r"embedding_size=128 \(bind SIZE = 'tiny' and "
                  r'MAX_SEQ_LENGTH = 128\)', "SIZE = 'mini'")


@pytest.mark.slow
def test_a_different_vocab_fails(tiny_manifest, tmp_path):
  other = str(tmp_path / 'other_vocab.txt')
  shutil.copy(fx.VOCAB, other)
  with open(other) as f:
    tokens = f.read().split('\n')
  tokens[100] = 'zzzunseen'
  with open(other, 'w') as f:
    f.write('\n'.join(tokens))
  _expect_refusal(tiny_manifest, tmp_path, dict(vocab=other),
                  r'init checkpoint vocab .*/vocab.txt \(7027 tokens, '
                  r'sha256 \w+\) is not the vocab of the records')


@pytest.mark.slow
def test_a_different_casing_fails(tiny_manifest, tmp_path):
  _expect_refusal(tiny_manifest, tmp_path, dict(lower=False),
                  r'has do_lower_case=False but the records .* were built '
                  r'with do_lower_case=True')


def _expect_refusal(manifest, tmp_path, released, pattern, *bindings,
                    export=None):
  if export is None:
    export, _ = _released_encoder(tmp_path, 'refused', **released)
  _parse('gin/teams_tiny.gin', manifest, export, *bindings)
  with pytest.raises(warm_start.WarmStartError, match=pattern):
    _build_and_apply()


def _exported(tmp_path, name, encoder_fields, seed):
  weights = ifx.random_weights(encoder_fields, seed=seed, scale=0.05)
  export_layout.write(ew.EncoderWeights(encoder_fields, weights, name,
                                        vocab_file=fx.VOCAB,
                                        do_lower_case=True),
                      str(tmp_path / name))
  return str(tmp_path / name), weights


@pytest.mark.slow
def test_electra_generator_from_a_second_checkpoint(tiny_manifest, tmp_path):
  disc, disc_weights = _exported(tmp_path, 'disc', _TINY, seed=2)
  gen_fields = dataclasses.asdict(size_presets.electra_generator_config(
      'tiny', 7027, max_seq_length=128))
  gen, gen_weights = _exported(tmp_path, 'gen', gen_fields, seed=3)
  _parse('gin/electra_tiny.gin', tiny_manifest, disc,
         f'Experiment.init_generator_checkpoint = {gen!r}')
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy_builder.build_strategy(
      'one_device'))
  result = warm_start.apply(trainer, exp)
  model = trainer.model
  got = encoder_variables.read(model.generator_network)
  for key in ('layer_0/attention/query/kernel', 'layer_1/output/bias'):
    np.testing.assert_array_equal(got[key], gen_weights[key])
  # Tied embeddings are the discriminator's, not the generator file's.
  np.testing.assert_array_equal(got['embeddings/word_embeddings'],
                                disc_weights['embeddings/word_embeddings'])
  np.testing.assert_array_equal(
      encoder_variables.read(model.discriminator_network)[
          'layer_1/intermediate/kernel'],
      disc_weights['layer_1/intermediate/kernel'])
  assert 'generator cls_transform' not in result.initialised


def test_plain_bert_mlm_task_starts_from_the_checkpoint(tiny_manifest,
                                                        tmp_path):
  export, weights = _exported(tmp_path, 'bert', _TINY, seed=4)
  _parse('gin/bert_tiny_mlm.gin', tiny_manifest, export)
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy_builder.build_strategy(
      'one_device'))
  result = warm_start.apply(trainer, exp)
  # Model Garden's BertEncoderV2: only the MLM head (and the unused
  # projection bias, folded into layer 0) start as usual.
  assert not any('transformer' in part for part in result.initialised)
  got = encoder_variables.read(trainer.model.encoder_network)
  for key, value in weights.items():
    np.testing.assert_array_equal(got[key], value, err_msg=key)


def _checkpoint_size_needed(manifest, tmp_path, export, theirs, ours,
                            *bindings):
  """Refused with the preset size (the message: the checkpoint's `theirs`,
  the config's `ours`, the hint); returns the TEAMS-tiny trainer
  warm-started with SIZE = 'init_checkpoint' (and `bindings`)."""
  _expect_refusal(manifest, tmp_path, {},
                  f'{theirs} but the gin config builds the trunk with {ours} '
                  r"\(bind SIZE = 'init_checkpoint' \(it takes the "
                  r"checkpoint's shape, positions and activation\)\)",
                  export=export)
  _parse('gin/teams_tiny.gin', manifest, export, "SIZE = 'init_checkpoint'",
         *bindings)
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy_builder.build_strategy(
      'one_device'))
  warm_start.apply(trainer, exp)
  return trainer


def test_an_exact_gelu_checkpoint_keeps_its_activation(tiny_manifest,
                                                       tmp_path):
  """An HF BERT's exact GELU: a preset size (Model Garden's tanh 'gelu')
  is refused naming both; SIZE = 'init_checkpoint' builds every encoder and
  head of the run with it."""
  exact = dict(_TINY, hidden_activation=activations.GELU_EXACT)
  export, _ = _released_encoder(tmp_path, 'exact', fields=exact)
  trainer = _checkpoint_size_needed(
      tiny_manifest, tmp_path, export,
      'has hidden_activation=official_ext>gelu_exact',
      'hidden_activation=gelu')
  config = trainer.task.model_config
  assert config.discriminator.hidden_activation == activations.GELU_EXACT
  assert config.generator.hidden_activation == activations.GELU_EXACT
  for network in (trainer.model.discriminator_network,
                  trainer.model.generator_network):
    assert network.hidden_layers[0].get_config()[
        'intermediate_activation'] is activations.gelu_exact


def test_size_init_checkpoint_takes_the_checkpoint_shape(tiny_manifest,
                                                         tmp_path):
  shape = dict(_TINY, num_layers=3, intermediate_size=96)  # not a preset
  export, weights = _exported(tmp_path, 'odd', shape, seed=5)
  # The checkpoint's 128 positions, whatever MAX_SEQ_LENGTH says (the
  # records hold 64 tokens).
  trainer = _checkpoint_size_needed(
      tiny_manifest, tmp_path, export, 'num_layers=3, intermediate_size=96',
      'num_layers=2, intermediate_size=128', 'MAX_SEQ_LENGTH = 64')
  trunk = trainer.model.discriminator_network
  assert len(trunk.hidden_layers) == 3
  got = encoder_variables.read(trunk)
  assert got['embeddings/position_embeddings'].shape[0] == 128
  np.testing.assert_array_equal(got['layer_2/intermediate/kernel'],
                                weights['layer_2/intermediate/kernel'])


@pytest.mark.parametrize('gin_file, trunk_of', [
    ('gin/continue/mlm.gin', lambda m: m.discriminator_network),
    ('gin/continue/teams.gin', lambda m: m.discriminator_network)])
def test_continue_gins_take_the_checkpoint_shape_and_positions(
    tiny_manifest, tmp_path, gin_file, trunk_of):
  """The continued-pretraining gins need nothing but the checkpoint: a
  3-layer encoder of 128 positions continues on 64-token records."""
  shape = dict(_TINY, num_layers=3, intermediate_size=96)
  export, weights = _exported(tmp_path, 'released', shape, seed=7)
  _parse(gin_file, tiny_manifest, export)
  exp = gin_setup.build_experiment()
  trainer = runner.build_trainer(exp, strategy_builder.build_strategy(
      'one_device'))
  warm_start.apply(trainer, exp)
  got = encoder_variables.read(trunk_of(trainer.model))
  assert got['embeddings/position_embeddings'].shape[0] == 128
  for key in ('layer_2/intermediate/kernel', 'embeddings/word_embeddings'):
    np.testing.assert_array_equal(got[key], weights[key])
