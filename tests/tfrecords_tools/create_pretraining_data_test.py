"""End-to-end tests of the builder CLI: determinism, manifest, bad input."""
import glob
import json
import os
import random
import re

import numpy as np
import pytest
import tensorflow as tf

from official_ext.data import features as F
from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data as cpd
from tfrecords_tools.s1_sources import line_decoding


def _shards(out):
  return sorted(glob.glob(os.path.join(out, "*.tfrecord")))


def _manifest(out):
  with open(os.path.join(out, "manifest.json")) as f:
    return json.load(f)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
  d = tmp_path_factory.mktemp("corpus")
  return fx.write_corpus(str(d / "c.txt"))


@pytest.fixture(scope="module")
def built_two_ways(corpus, tmp_path_factory):
  outs = {}
  for workers in (1, 2):
    out = str(tmp_path_factory.mktemp(f"w{workers}"))
    proc = fx.run_cli(f"--input_file={corpus}", f"--output_dir={out}",
                      f"--num_workers={workers}", "--aux_labels=all",
                      "--pair_mode=so")
    assert proc.returncode == 0, proc.stderr[-3000:]
    outs[workers] = out
  return outs


def test_output_is_byte_identical_for_any_worker_count(built_two_ways):
  one, two = (_shards(built_two_ways[w]) for w in (1, 2))
  assert len(one) == 3 and [os.path.basename(p) for p in one] == [
      os.path.basename(p) for p in two]
  for a, b in zip(one, two):
    with open(a, "rb") as fa, open(b, "rb") as fb:
      assert fa.read() == fb.read(), a


def test_manifest_counts_match_the_files(built_two_ways):
  out = built_two_ways[2]
  m = _manifest(out)
  assert m["settings"]["aux_labels"] == list(F.AUX_LABEL_NAMES)
  assert len(m["vocab"]["sha256"]) == 64
  for shard in m["shards"]:
    n = sum(1 for _ in tf.data.TFRecordDataset(os.path.join(out,
                                                            shard["file"])))
    assert n == shard["instances"] > 0
  assert m["totals"]["documents"] == 12
  assert m["totals"]["instances"] == sum(s["instances"] for s in m["shards"])
  names = {f["name"] for f in m["features"]}
  # TGS and SCP labels live in the changed view only (features.record_specs).
  assert {F.TF_IDF_LABELS, F.CORRUPTED_PREFIX + F.TGS_WEIGHTS,
          F.CORRUPTED_PREFIX + F.SCP_LABELS} <= names
  assert F.SCP_LABELS not in names
  assert os.path.exists(os.path.join(out, "idf.json"))


def test_records_hold_consistent_labels(built_two_ways):
  out = built_two_ways[1]
  spec = {s["name"]: tf.io.FixedLenFeature(
      s["shape"], tf.int64 if s["dtype"] == "int64" else tf.float32)
          for s in _manifest(out)["features"]}
  ds = tf.data.TFRecordDataset(_shards(out)).batch(10000).map(
      lambda r: tf.io.parse_example(r, spec))
  records = {k: v.numpy() for k, v in next(iter(ds)).items()}
  # The changed view (corrupted, shuffled) carries every label.
  ex = {k[len(F.CORRUPTED_PREFIX):]: v for k, v in records.items()
        if k.startswith(F.CORRUPTED_PREFIX)}
  ex[F.NEXT_SENTENCE_LABELS] = records[F.NEXT_SENTENCE_LABELS]
  mask = ex[F.INPUT_MASK].astype(bool)
  ordinary = ex[F.AUX_TOKEN_WEIGHTS] > 0
  assert not (ordinary & ~mask).any()
  # TCP positions are never masked; SCP = 1 exactly when a TCP label is set.
  rows, pos = np.nonzero(ex[F.MASKED_LM_WEIGHTS])
  assert not ex[F.TCP_LABELS][rows, ex[F.MASKED_LM_POSITIONS][rows, pos]].any()
  np.testing.assert_array_equal(ex[F.SCP_LABELS][:, 0],
                                ex[F.TCP_LABELS].max(axis=1))
  assert 0.3 < ex[F.SCP_LABELS].mean() < 0.7
  for key in (F.TF_LABELS, F.TF_IDF_LABELS):
    assert ex[key].min() >= 0 and ex[key].max() <= 10.0 + 1e-4
  assert set(np.unique(ex[F.CAP_LABELS])) == {0, 1}
  assert set(np.unique(ex[F.NEXT_SENTENCE_LABELS])) == {0, 1}  # so: 2-way
  assert ex[F.TGS_WEIGHTS].sum() > 0


def test_bad_input_is_repaired_or_skipped_and_counted(tmp_path):
  src = tmp_path / "bad.txt"
  long_line = " ".join(["word"] * 200)
  src.write_bytes(
      b"First sentence here.\nSecond one \xff\xfe here.\n\n"   # non-UTF-8
      b"Lonely sentence.\n\n"                                 # too short: so
      + long_line.encode() + b"\nAnother line.\nAnd more.\n\n"
      b"Fine doc one.\nFine doc two.\n")
  (tmp_path / "empty.txt").write_bytes(b"")
  out = str(tmp_path / "out")
  # 1 of 8 non-blank lines is not UTF-8: above the default 10% limit.
  proc = fx.run_cli(f"--input_file={tmp_path}/*.txt", f"--output_dir={out}",
                    "--num_workers=1", "--pair_mode=so",
                    "--max_undecodable_share=0.125")
  assert proc.returncode == 0, proc.stderr[-3000:]
  # The counts end the run's console output, not only the manifest.
  manifest = os.path.join(out, "manifest.json")
  assert proc.stderr.splitlines()[-2:] == [
      "create_pretraining_data: skipped 1 document_too_short_for_so, 1 "
      f"empty_file (examples in {manifest}).",
      "create_pretraining_data: repaired 2 split_inside_sentence, 1 non_utf8_"
      "line_decoded_with_replacement, 1 sentence_longer_than_sequence "
      f"(examples in {manifest})."]
  r = _manifest(out)["report"]
  assert r["repaired"]["non_utf8_line_decoded_with_replacement"] == 1
  assert r["examples"]["non_utf8_line_decoded_with_replacement"] == [
      f"{src}:2"]
  assert r["repaired"]["sentence_longer_than_sequence"] == 1
  assert r["examples"]["sentence_longer_than_sequence"] == [f"{src}:6"]
  assert r["skipped"]["document_too_short_for_so"] == 1
  assert r["examples"]["document_too_short_for_so"] == [f"{src}:4"]
  assert r["skipped"]["empty_file"] == 1


@pytest.mark.parametrize("args,message", [
    (["--input_file=/nonexistent/*.txt"], "No file matches the input pattern '/nonexistent/*.txt'"),
    (["--aux_labels=tf,bogus"], "unknown label(s) ['bogus']"),
    (["--max_seq_length=4"], "max_seq_length must be >= 8"),
])
def test_bad_settings_give_a_message_and_exit_2(tmp_path, corpus, args,
                                                message):
  argv = [f"--input_file={corpus}", f"--output_dir={tmp_path}"] + args
  proc = fx.run_cli(*argv)
  assert proc.returncode == 2
  assert message in proc.stderr
  assert "Traceback" not in proc.stderr


def test_vocab_without_reserved_tokens(tmp_path, corpus):
  vocab = tmp_path / "vocab.txt"
  vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n")
  proc = fx.run_cli(f"--input_file={corpus}", f"--output_dir={tmp_path}/o",
                    f"--vocab_file={vocab}")
  assert proc.returncode == 2
  assert f"Vocab file {vocab} lacks the reserved token(s) ['[MASK]']" in \
      proc.stderr


def test_rerun_after_an_interrupted_run(tmp_path, corpus, built_two_ways):
  out = str(tmp_path / "out")
  os.makedirs(out)
  # What a killed run leaves: temp files, a shard of another shard count.
  for name in ("pretrain-00000-of-00003.tfrecord.tmp",
               "pretrain-00004-of-00005.tfrecord"):
    with open(os.path.join(out, name), "wb") as f:
      f.write(b"partial")
  proc = fx.run_cli(f"--input_file={corpus}", f"--output_dir={out}",
                    "--num_workers=2", "--aux_labels=all", "--pair_mode=so")
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert sorted(os.listdir(out)) == sorted(os.listdir(built_two_ways[2]))
  for a, b in zip(_shards(out), _shards(built_two_ways[2])):
    with open(a, "rb") as fa, open(b, "rb") as fb:
      assert fa.read() == fb.read()


def test_unreadable_input_names_the_file(tmp_path):
  bad = tmp_path / "corrupt.txt.gz"
  bad.write_bytes(b"this is not gzip data\n")
  proc = fx.run_cli(f"--input_file={bad}", f"--output_dir={tmp_path}/o",
                    "--num_workers=1")
  assert proc.returncode == 2
  assert f"Cannot read input {bad}" in proc.stderr
  assert "Traceback" not in proc.stderr


def test_empty_input_fails_with_the_skip_summary(tmp_path):
  (tmp_path / "empty.txt").write_bytes(b"")
  (tmp_path / "blank.txt").write_bytes(b"\n \n\n")
  out = tmp_path / "out"
  proc = fx.run_cli(f"--input_file={tmp_path}/*.txt", f"--output_dir={out}",
                    "--num_workers=2")
  assert proc.returncode == 2
  assert proc.stderr.splitlines()[-1] == (
      "create_pretraining_data: error: 0 instances written (2 empty_file); "
      "fix the input or pass --allow_empty.")
  assert "Traceback" not in proc.stderr
  assert os.listdir(out) == []  # no empty shard, no manifest


def _one_sentence_documents(path):
  path.write_text("One lonely sentence.\n\nAnother lonely one.\n\n"
                  "A third.\n")
  return str(path)


def test_all_skipped_input_is_accepted_with_allow_empty(tmp_path):
  src = _one_sentence_documents(tmp_path / "short.txt")
  out = str(tmp_path / "out")
  proc = fx.run_cli(f"--input_file={src}", f"--output_dir={out}",
                    "--pair_mode=so", "--allow_empty", "--num_workers=1")
  assert proc.returncode == 0, proc.stderr[-3000:]
  m = _manifest(out)
  assert m["totals"]["instances"] == 0
  assert m["report"]["skipped"] == {"document_too_short_for_so": 3}


def _config(**overrides):
  return build_config.BuildConfig(**dict(dict(
      max_seq_length=32, max_predictions_per_seq=5, dupe_factor=2,
      num_shards=2, docs_per_chunk=2, pair_mode="so"), **overrides))


def test_all_skipped_input_fails_without_allow_empty(tmp_path):
  src = _one_sentence_documents(tmp_path / "short.txt")
  out = tmp_path / "out"
  with pytest.raises(cpd.EmptyBuildError, match=re.escape(
      "0 instances written (3 document_too_short_for_so); fix the input or "
      "pass --allow_empty.")):
    cpd.run(_config(), src, fx.VOCAB, str(out))
  assert os.listdir(out) == []


_RANDOM = random.Random(0).randbytes(20000)


@pytest.mark.parametrize("content,message", [
    # Random bytes without NUL: none of the 89 lines is UTF-8.
    (_RANDOM.replace(b"\x00", b""),
     r"Input {src}: 89 of 89 lines \(100\.0%\) are not valid UTF-8, more "
     r"than --max_undecodable_share=0\.1; convert the file to UTF-8 or "
     r"leave it out\."),
    # Plain random bytes hold NULs.
    (_RANDOM, r"Input {src} looks binary \(a NUL byte on line \d+\)"),
    (b"a text line\nwith a \x00 inside\n",
     r"Input {src} looks binary \(a NUL byte on line 2\); give UTF-8 text "
     r"\(--input_file\)\."),
])
def test_random_bytes_and_binary_files_are_refused(tmp_path, content,
                                                    message):
  src = tmp_path / "input.txt"
  src.write_bytes(content)
  out = tmp_path / "out"
  with pytest.raises(line_decoding.UndecodableInputError,
                     match=message.format(src=re.escape(str(src)))):
    cpd.run(_config(), str(src), fx.VOCAB, str(out), num_workers=2)
  assert not glob.glob(str(out / "*"))  # no shard, no temp file
