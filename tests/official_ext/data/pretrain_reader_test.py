"""Tests for official_ext.data.pretrain_reader, incl. Model Garden parity."""
import os

import numpy as np
import pytest

from official.nlp.data import pretrain_dataloader
from official_ext.data import features as F
from official_ext.data import pretrain_reader
from tests.tfrecords_tools import builder_fixtures as fx


def _build(tmp_path_factory, name, *args):
  corpus = fx.write_corpus(str(tmp_path_factory.mktemp("c") / "c.txt"),
                           num_docs=6, lines_per_doc=12)
  out = str(tmp_path_factory.mktemp(name))
  proc = fx.run_cli(f"--input_file={corpus}", f"--output_dir={out}",
                    "--num_workers=1", *args)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return out


@pytest.fixture(scope="module")
def nsp_dir(tmp_path_factory):
  # One input under Model Garden's keys, read with every label (the
  # two-view layout: tests/tfrecords_tools/s5_records/corruption_view_test).
  return _build(tmp_path_factory, "nsp", "--pair_mode=nsp",
                "--aux_labels=cap,tf,tgs,scp", "--corruption_view=shared")


@pytest.fixture(scope="module")
def consecutive_dir(tmp_path_factory):
  return _build(tmp_path_factory, "qt", "--pair_mode=consecutive",
                "--aux_labels=tf")


def _batches(loader):
  return [{k: v.numpy() for k, v in b.items()} for b in loader.load()]


def test_model_garden_loader_reads_our_files_identically(nsp_dir):
  common = dict(input_path=os.path.join(nsp_dir, "*.tfrecord"),
                global_batch_size=8, is_training=False, seq_length=64,
                max_predictions_per_seq=10)
  theirs = _batches(pretrain_dataloader.BertPretrainDataLoader(
      pretrain_dataloader.BertPretrainDataConfig(**common)))
  ours = _batches(pretrain_reader.AuxPretrainDataLoader(
      pretrain_reader.config_from_manifest(
          os.path.join(nsp_dir, "manifest.json"), global_batch_size=8,
          is_training=False)))
  assert len(theirs) == len(ours) > 3
  for t, o in zip(theirs, ours):
    assert set(t) < set(o)
    for key in t:
      assert t[key].dtype == o[key].dtype, key
      np.testing.assert_array_equal(t[key], o[key], err_msg=key)
  extra = set(ours[0]) - set(theirs[0])
  assert extra == {F.AUX_TOKEN_WEIGHTS, F.CAP_LABELS, F.TF_LABELS,
                   F.TGS_LABELS, F.TGS_WEIGHTS, F.SCP_LABELS}
  assert ours[0][F.CAP_LABELS].dtype == np.int32
  assert ours[0][F.TF_LABELS].shape == (8, 64)


def test_shuffled_training_batches_equal_model_gardens(nsp_dir):
  """Batch-then-parse keeps the record order of parse-then-batch."""
  common = dict(global_batch_size=4, is_training=True, seed=3,
                shuffle_buffer_size=50)
  theirs = pretrain_dataloader.BertPretrainDataLoader(
      pretrain_dataloader.BertPretrainDataConfig(
          input_path=os.path.join(nsp_dir, "*.tfrecord"), seq_length=64,
          max_predictions_per_seq=10, **common)).load()
  ours = pretrain_reader.AuxPretrainDataLoader(
      pretrain_reader.config_from_manifest(
          os.path.join(nsp_dir, "manifest.json"), **common)).load()
  for t, o, _ in zip(theirs, ours, range(6)):
    for key in t:
      np.testing.assert_array_equal(t[key].numpy(), o[key].numpy(),
                                    err_msg=key)


def test_paired_records_become_batch_halves(consecutive_dir):
  config = pretrain_reader.config_from_manifest(
      os.path.join(consecutive_dir, "manifest.json"), global_batch_size=4,
      is_training=False)
  assert config.paired
  batch = next(iter(pretrain_reader.AuxPretrainDataLoader(config).load()))
  ids = batch[F.INPUT_WORD_IDS].numpy()
  assert ids.shape == (8, 64)
  assert batch[F.NEXT_SENTENCE_LABELS].shape == (4, 1)
  assert batch[F.TF_LABELS].shape == (8, 64)
  assert not any(k.startswith(F.CONTINUATION_PREFIX) for k in batch)
  raw = next(iter(pretrain_reader.AuxPretrainDataLoader(
      pretrain_reader.config_from_manifest(
          os.path.join(consecutive_dir, "manifest.json"), global_batch_size=4,
          is_training=False, pair_halves=False)).load()))
  np.testing.assert_array_equal(
      ids[4:], raw[F.CONTINUATION_PREFIX + F.INPUT_IDS].numpy())
  np.testing.assert_array_equal(ids[:4], raw[F.INPUT_WORD_IDS].numpy())


def test_v2_feature_names_are_refused():
  with pytest.raises(ValueError, match="v1 feature names"):
    pretrain_reader.AuxPretrainDataLoader(pretrain_reader.AuxPretrainDataConfig(
        use_v2_feature_names=True))
