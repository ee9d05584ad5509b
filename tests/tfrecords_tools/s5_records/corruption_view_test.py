"""The two input views of records built with TCP/SCP/TGS labels.

olfmlm formats a run's input by the tasks it trains: corrupted (TCP/SCP)
and trigram-shuffled (TGS) only when the run trains those tasks, and then
every task of the run reads that one input. With `corruption_view=
"separate"` (the default) a record carries both inputs, and each equals, key
for key, what a build writing only that input writes: the plain view equals
a build without tcp/scp/tgs, the `corrupted_` view equals the former
one-input build (`corruption_view="shared"`, pinned byte for byte by
golden_build_test). The reader hands each run the view its labels call for.
"""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from official_ext.data import features as F
from official_ext.data import pretrain_reader
from tests.tfrecords_tools import golden_build_test as golden
from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data as cpd

ALL = golden.LABEL_SETS["all"]
KEPT = golden.LABEL_SETS["input_kept"]


def _build(out_dir, pair_mode, aux_labels, corruption_view):
  config = build_config.BuildConfig(pair_mode=pair_mode,
                                    aux_labels=aux_labels,
                                    corruption_view=corruption_view,
                                    **golden.SETTINGS)
  cpd.run(config, golden.CORPUS, fx.VOCAB, str(out_dir),
          shuffle_buffer=golden.SHUFFLE_BUFFER)
  with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as f:
    return json.load(f)


def _records(out_dir, manifest):
  """Every record of a build, in shard order, as {key: np.ndarray}."""
  spec = {f["name"]: tf.io.FixedLenFeature(
      f["shape"], tf.int64 if f["dtype"] == "int64" else tf.float32)
          for f in manifest["features"]}
  files = [os.path.join(out_dir, s["file"]) for s in manifest["shards"]]
  raw = [r.numpy() for r in tf.data.TFRecordDataset(files)]
  parsed = {k: v.numpy() for k, v in tf.io.parse_example(raw, spec).items()}
  return [{k: v[i] for k, v in parsed.items()} for i in range(len(raw))]


def _view(records, prefix):
  return [{k[len(prefix):]: v for k, v in r.items() if k.startswith(prefix)}
          | {F.NEXT_SENTENCE_LABELS: r[F.NEXT_SENTENCE_LABELS]}
          for r in records]


def _plain(records):
  return [{k: v for k, v in r.items()
           if not k.startswith(F.CORRUPTED_PREFIX)} for r in records]


def _assert_same(got, expected):
  assert len(got) == len(expected) > 0
  for a, b in zip(got, expected):
    assert sorted(a) == sorted(b)
    for key in a:
      np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("pair_mode", golden.PAIR_MODES)
def test_each_view_equals_the_build_of_that_view_alone(pair_mode, tmp_path):
  manifests, records = {}, {}
  for name, labels, view in (("separate", ALL, "separate"),
                             ("shared", ALL, "shared"),
                             ("kept", KEPT, "separate")):
    manifests[name] = _build(tmp_path / name, pair_mode, labels, view)
    records[name] = _records(tmp_path / name, manifests[name])
  assert manifests["separate"]["settings"]["corruption_view"] == "separate"
  names = [f["name"] for f in manifests["separate"]["features"]]
  assert F.CORRUPTED_PREFIX + F.INPUT_IDS in names
  assert F.TCP_LABELS not in names and F.TGS_LABELS not in names
  _assert_same(_plain(records["separate"]), records["kept"])
  _assert_same(_view(records["separate"], F.CORRUPTED_PREFIX),
               records["shared"])
  # The changed view does hold corrupted and shuffled sequences (else the
  # equalities above would prove nothing).
  assert any(r[F.SCP_LABELS].any() for r in records["shared"])
  assert any(r[F.TGS_WEIGHTS].any() for r in records["shared"])
  assert (manifests["separate"]["totals"]["tokens"] ==
          manifests["kept"]["totals"]["tokens"])


@pytest.fixture(scope="module")
def so_builds(tmp_path_factory):
  """Manifest paths of `so` builds: all labels in both layouts, and the
  labels that keep the input."""
  out = tmp_path_factory.mktemp("views")
  paths = {}
  for name, labels, view in (("separate", ALL, "separate"),
                             ("shared", ALL, "shared"),
                             ("kept", KEPT, "separate"),
                             ("tgs", ("tgs",), "separate")):
    _build(out / name, "so", labels, view)
    paths[name] = str(out / name / "manifest.json")
  return paths


def _batch(manifest, **overrides):
  config = pretrain_reader.config_from_manifest(
      manifest, global_batch_size=16, is_training=False, **overrides)
  loader = pretrain_reader.AuxPretrainDataLoader(config)
  return config, {k: v.numpy() for k, v in next(iter(loader.load())).items()}


def _assert_same_batch(got, expected):
  assert sorted(got) == sorted(expected)
  for key in got:
    np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_a_run_reading_tcp_scp_tgs_gets_the_changed_view(so_builds):
  config, batch = _batch(so_builds["separate"])  # every label of the build
  assert config.view_prefix == F.CORRUPTED_PREFIX
  _, shared = _batch(so_builds["shared"])
  _assert_same_batch(batch, shared)
  assert batch[F.SCP_LABELS].any()


@pytest.mark.parametrize("labels", [KEPT, ("cap",), ()])
def test_a_run_reading_no_such_label_gets_the_plain_input(so_builds, labels):
  config, batch = _batch(so_builds["separate"], aux_labels=labels)
  assert config.view_prefix == ""
  _, kept = _batch(so_builds["kept"], aux_labels=labels)
  _assert_same_batch(batch, kept)


def test_a_run_no_view_fits_is_refused(so_builds):
  from official_ext.trainer import data_setup  # pylint: disable=g-import-not-at-top
  # TGS alone: the changed view also carries the TCP/SCP corruption.
  with pytest.raises(data_setup.DataError,
                     match=r"trains none of \['scp', 'tcp'\].*changed view "
                     r"also carries the corruption"):
    data_setup.pretrain_data(manifest=so_builds["separate"],
                             aux_labels=("tgs",))
  # The former one-input layout, read by a run that trains none of them.
  with pytest.raises(data_setup.DataError,
                     match=r"one input \(--corruption_view=shared, .*\), "
                     r"and it carries the corruption and trigram_shuffle"):
    data_setup.pretrain_data(manifest=so_builds["shared"], aux_labels=KEPT)
  # What fits is read: all of the shared build's labels, the plain view of
  # the separate build, the TGS view of a TGS-only build.
  for manifest, labels, view in (
      (so_builds["shared"], ALL, ""), (so_builds["separate"], (), ""),
      (so_builds["tgs"], ("tgs",), F.CORRUPTED_PREFIX),
      (so_builds["tgs"], (), "")):
    data = data_setup.pretrain_data(manifest=manifest, aux_labels=labels)
    assert data.config.view_prefix == view


def test_paired_changed_view_reads_as_the_shared_build(tmp_path):
  # QT/FS records: the changed view's continuations are under
  # corrupted_continuation_* and become the batch's second half.
  configs, batches = {}, {}
  for view in ("separate", "shared"):
    _build(tmp_path / view, "consecutive", ALL, view)
    configs[view], batches[view] = _batch(
        str(tmp_path / view / "manifest.json"))
    assert configs[view].paired and configs[view].pair_halves
  assert configs["separate"].view_prefix == F.CORRUPTED_PREFIX
  assert configs["shared"].view_prefix == ""  # its one input
  _assert_same_batch(batches["separate"], batches["shared"])
  assert batches["separate"][F.INPUT_WORD_IDS].shape[0] == 32
  assert batches["separate"][F.TCP_LABELS].any()


@pytest.mark.parametrize("labels,view", [(ALL, F.CORRUPTED_PREFIX),
                                         (KEPT, "")])
def test_input_path_without_manifest_reads_the_view_its_labels_ask(
    so_builds, labels, view):
  """Records named by a glob alone (no manifest): the view is read off the
  first record's keys, and the batch is the manifest-resolved one."""
  from official_ext.trainer import data_setup  # pylint: disable=g-import-not-at-top
  manifest = so_builds["separate"]
  by_manifest = data_setup.pretrain_data(manifest=manifest,
                                         aux_labels=labels,
                                         is_training=False,
                                         global_batch_size=16)
  by_glob = data_setup.pretrain_data(
      input_path=os.path.join(os.path.dirname(manifest), "*.tfrecord"),
      aux_labels=labels, is_training=False, global_batch_size=16,
      seq_length=by_manifest.config.seq_length,
      max_predictions_per_seq=by_manifest.config.max_predictions_per_seq,
      vocab_size=by_manifest.vocab_size)
  assert by_glob.config.view_prefix == by_manifest.config.view_prefix == view

  def first(data):
    loader = pretrain_reader.AuxPretrainDataLoader(data.config)
    return {k: v.numpy() for k, v in next(iter(loader.load())).items()}
  _assert_same_batch(first(by_glob), first(by_manifest))
