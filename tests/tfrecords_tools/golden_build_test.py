"""Golden builds: the builder's shards keep their bytes, whatever moves inside.

A tiny bundled corpus (`golden/*.bert.txt`, two files, seven documents, one
too short for the pair modes) is built in every pair mode, with every
auxiliary label and with the labels that leave `input_ids` alone, and each
shard's sha256 is compared with `golden/shards.json`, recorded from the
builder before its modules moved into sub-packages. The local runner with
several workers (through the CLI) and the Beam runner must give the same
bytes.

Every label is built with `corruption_view="shared"`, the layout of that
builder (one input, corrupted and trigram-shuffled); the default layout
since then ("separate") adds the plain input beside it, and
`s5_records/corruption_view_test.py` shows each of its views equals one of
these golden builds. A deliberate change of the builder's output
regenerates the file:

  python -m tests.tfrecords_tools.golden_build_test
"""
import dataclasses
import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data as cpd

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "golden")
GOLDEN = os.path.join(GOLDEN_DIR, "shards.json")
CORPUS = os.path.join(GOLDEN_DIR, "*.bert.txt")
PAIR_MODES = ("none", "nsp", "asp", "so", "sdp", "consecutive")
# Label sets: every label; and the labels whose features leave the input as
# it is (no corruption, no trigram shuffle).
LABEL_SETS = {"all": ("tf", "tf_idf", "cap", "token_length", "tcp", "scp",
                      "tgs"),
              "input_kept": ("tf", "tf_idf", "cap", "token_length")}
# The one-input layout of the builder the golden file was recorded from.
CORRUPTION_VIEW = {"all": "shared", "input_kept": "separate"}
SETTINGS = dict(max_seq_length=32, max_predictions_per_seq=5, dupe_factor=2,
                num_shards=2, docs_per_chunk=2, random_seed=7)
SHUFFLE_BUFFER = 30


def _key(pair_mode, label_set):
  return f"{pair_mode}/{label_set}"


def _config(pair_mode, label_set):
  return build_config.BuildConfig(pair_mode=pair_mode,
                                  aux_labels=LABEL_SETS[label_set],
                                  corruption_view=CORRUPTION_VIEW[label_set],
                                  **SETTINGS)


def _digest(out_dir, manifest):
  """What a build is compared on: shard digests, counts, feature names."""
  shards = {}
  for shard in manifest["shards"]:
    with open(os.path.join(out_dir, shard["file"]), "rb") as f:
      shards[shard["file"]] = hashlib.sha256(f.read()).hexdigest()
  return {"shards": shards,
          "instances": manifest["totals"]["instances"],
          "tokens": manifest["totals"]["tokens"],
          "skipped": manifest["report"]["skipped"],
          "features": [f["name"] for f in manifest["features"]]}


def _build(out_dir, pair_mode, label_set, runner="local"):
  manifest = cpd.run(_config(pair_mode, label_set), CORPUS, fx.VOCAB,
                     str(out_dir), num_workers=1,
                     shuffle_buffer=SHUFFLE_BUFFER, runner=runner)
  return _digest(str(out_dir), manifest)


def _vocab_sha256():
  with open(fx.VOCAB, "rb") as f:
    return hashlib.sha256(f.read()).hexdigest()


def _golden():
  with open(GOLDEN, encoding="utf-8") as f:
    golden = json.load(f)
  assert golden["vocab_sha256"] == _vocab_sha256(), (
      f"{fx.VOCAB} changed since {GOLDEN} was recorded")
  return golden["builds"]


@pytest.mark.parametrize("label_set", sorted(LABEL_SETS))
@pytest.mark.parametrize("pair_mode", PAIR_MODES)
def test_build_matches_golden(pair_mode, label_set, tmp_path):
  expected = _golden()[_key(pair_mode, label_set)]
  got = _build(tmp_path, pair_mode, label_set)
  assert got == expected, (
      f"{pair_mode}/{label_set}: the shards differ from {GOLDEN}")


def test_golden_tells_another_seed_apart(tmp_path):
  """The comparison can fail: one setting changed, other bytes."""
  config = dataclasses.replace(_config("so", "all"), random_seed=8)
  manifest = cpd.run(config, CORPUS, fx.VOCAB, str(tmp_path),
                     shuffle_buffer=SHUFFLE_BUFFER)
  got = _digest(str(tmp_path), manifest)["shards"]
  expected = _golden()[_key("so", "all")]["shards"]
  assert set(got) == set(expected)
  assert not set(got.values()) & set(expected.values())


def test_cli_with_workers_matches_golden(tmp_path):
  """`python -m tfrecords_tools.create_pretraining_data`, 2 workers."""
  out = tmp_path / "out"
  args = [f"--{k}={v}" for k, v in SETTINGS.items()]
  proc = subprocess.run(
      [sys.executable, "-m", "tfrecords_tools.create_pretraining_data",
       f"--input_file={CORPUS}", f"--vocab_file={fx.VOCAB}",
       f"--output_dir={out}", "--pair_mode=so", "--aux_labels=all",
       "--corruption_view=shared",
       "--num_workers=2", f"--shuffle_buffer={SHUFFLE_BUFFER}", *args],
      cwd=fx.REPO, capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  assert proc.returncode == 0, proc.stderr[-3000:]
  with open(out / "manifest.json", encoding="utf-8") as f:
    manifest = json.load(f)
  assert manifest["run"]["num_workers"] == 2
  assert _digest(str(out), manifest) == _golden()[_key("so", "all")]


def test_beam_runner_matches_golden(tmp_path):
  pytest.importorskip("apache_beam")
  got = _build(tmp_path, "consecutive", "all", runner="DirectRunner")
  assert got == _golden()[_key("consecutive", "all")]


def write_golden():
  """Records the current builder's output as the golden file."""
  import tempfile  # pylint: disable=g-import-not-at-top
  builds = {}
  for pair_mode in PAIR_MODES:
    for label_set in sorted(LABEL_SETS):
      with tempfile.TemporaryDirectory() as out:
        builds[_key(pair_mode, label_set)] = _build(out, pair_mode, label_set)
  with open(GOLDEN, "w", encoding="utf-8") as f:
    json.dump({"vocab_sha256": _vocab_sha256(), "settings": SETTINGS,
               "builds": builds}, f, indent=1, sort_keys=True)
    f.write("\n")


if __name__ == "__main__":
  write_golden()
