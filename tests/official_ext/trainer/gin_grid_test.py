"""The olfmlm experiment grid and our recipe: every gin file parses, has the
paper settings, and builds its model at tiny size (full trainer build with
one step on the records: --runslow)."""
import glob
import os

import gin
import pytest
import tensorflow as tf

from official_ext.modeling.models import multi_objective_pretrainer as mop
from official_ext.trainer import gin_setup
from official_ext.trainer import runner
from tests.official_ext.trainer import trainer_fixtures as fx
from tests.tfrecords_tools import builder_fixtures as bfx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data

ALL_LABELS = ('tf', 'tf_idf', 'cap', 'token_length', 'tcp', 'scp', 'tgs')
GRID = sorted(glob.glob(os.path.join(fx.REPO, 'gin', 'olfmlm', 'mlm*.gin')) +
              glob.glob(os.path.join(fx.REPO, 'gin', 'recipes', '*.gin')))
TASKS = ('tf', 'tf_idf', 'sbo', 'tgs', 'tcp', 'cap', 'tlp', 'nsp', 'asp', 'so',
         'sdp', 'scp', 'qt', 'fs')
COMBINATIONS = {'sum': 'sum', 'inc': 'inc', 'alt': 'alt', 'altplus': 'alt+',
                'cmtl': 'cmtl', 'cmtlplus': 'cmtl+'}


@pytest.fixture(scope='module')
def manifests(tmp_path_factory):
  """Tiny records in every pair mode the grid reads, every label on but
  TGS; and TGS records for mlm_tgs.gin (a run gets the trigram-shuffled
  input only without the TCP/SCP corruption it does not train:
  features.view_prefix)."""
  corpus = bfx.write_corpus(str(tmp_path_factory.mktemp('c') / 'c.txt'),
                            num_docs=6, lines_per_doc=12)
  out = {}
  no_tgs = tuple(n for n in ALL_LABELS if n != 'tgs')
  for name, mode, labels in (
      ('consecutive', 'consecutive', no_tgs), ('nsp', 'nsp', no_tgs),
      ('asp', 'asp', no_tgs), ('so', 'so', no_tgs), ('sdp', 'sdp', no_tgs),
      ('tgs', 'consecutive', ('tf', 'tgs'))):
    data_dir = str(tmp_path_factory.mktemp(name))
    config = build_config.BuildConfig(
        max_seq_length=64, max_predictions_per_seq=10, dupe_factor=1,
        pair_mode=mode, aux_labels=labels, num_shards=2, docs_per_chunk=4)
    create_pretraining_data.run(config, corpus, fx.VOCAB, data_dir,
                                num_workers=1)
    out[name] = os.path.join(data_dir, 'manifest.json')
  return out


def test_the_grid_is_complete():
  names = {os.path.basename(p) for p in GRID}
  expected = ({'mlm.gin'} | {f'mlm_{t}.gin' for t in TASKS} |
              {f'mlm_qt_so_tfidf_{m}.gin' for m in COMBINATIONS} |
              {'teams_small_qt_so_tfidf_cmtlplus.gin'})
  assert names == expected


def _main_mode(name):
  for mode in ('nsp', 'asp', 'so', 'sdp', 'tgs'):
    if name == f'mlm_{mode}.gin':
      return mode
  return 'consecutive'


def _parse(path, manifests, tiny=True):
  name = os.path.basename(path)
  bindings = [f'DATA_MANIFEST = {manifests[_main_mode(name)]!r}']
  if 'qt_so_tfidf' in name:
    bindings.append(f"SO_DATA_MANIFEST = {manifests['so']!r}")
  if tiny:
    bindings += ["SIZE = 'tiny'", 'MAX_SEQ_LENGTH = 64', 'BATCH_SIZE = 4']
  fx.parse(os.path.relpath(path, fx.REPO), *bindings)
  return gin_setup.build_experiment()


@pytest.mark.parametrize('path', GRID, ids=os.path.basename)
def test_paper_settings_and_tiny_model(path, manifests):
  name = os.path.basename(path)
  exp = _parse(path, manifests, tiny=False)
  task = exp.task(train_data=exp.train_data.config,
                  validation_data=exp.eval_data.config,
                  vocab_size=exp.vocab_size)
  config = task.model_config
  if name.startswith('mlm'):
    assert gin.query_parameter('%LEARNING_RATE') == 1e-4
    assert exp.train_data.config.global_batch_size == 128
    assert exp.train_data.config.seq_length == 64  # the records' length
    assert (config.encoder.num_layers, config.encoder.hidden_size) == (12,
                                                                       768)
    expected = () if name == 'mlm.gin' else (
        ('qt', 'so', 'tf_idf') if 'qt_so_tfidf' in name else
        (name[len('mlm_'):-len('.gin')],))
    assert config.aux_tasks == expected
    for key, method in COMBINATIONS.items():
      if name == f'mlm_qt_so_tfidf_{key}.gin':
        assert task.combination == method
  else:
    assert config.base == 'teams' and task.combination == 'cmtl+'
    assert config.pretrainer.discriminator.num_layers == 12
  assert config.task_embedding
  # Build the model itself at tiny size.
  exp = _parse(path, manifests)
  task = exp.task(train_data=exp.train_data.config,
                  validation_data=exp.eval_data.config,
                  vocab_size=exp.vocab_size)
  model = task.build_model()
  assert isinstance(model, mop.MultiObjectivePretrainer)
  assert model.aux_task_names == list(task.model_config.aux_tasks)


@pytest.mark.slow
@pytest.mark.parametrize('path', GRID, ids=os.path.basename)
def test_builds_the_trainer_and_steps_at_tiny_size(path, manifests):
  exp = _parse(path, manifests)
  trainer = runner.build_trainer(exp, tf.distribute.get_strategy())
  logs = trainer.train(tf.constant(1))
  assert all(tf.math.is_finite(v) for v in tf.nest.flatten(logs))
