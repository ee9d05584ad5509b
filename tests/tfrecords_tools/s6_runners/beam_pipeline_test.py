"""Tests for tfrecords_tools.s6_runners.beam_pipeline:
same bytes as the local runner."""
import os
import re
import subprocess
import sys

import pytest

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data as cpd
from tfrecords_tools.s6_runners import beam_pipeline

_DATA = os.path.join(fx.REPO, "data", "wikitext2")
_VOCAB = os.path.join(_DATA, "vocab_uncased_8k.txt")
_REPAIR = "non_utf8_line_decoded_with_replacement"


def _wikitext_documents(count, sentences):
  """The first `sentences` sentences of the first `count` documents."""
  docs, current = [], []
  with open(os.path.join(_DATA, "valid.bert.txt"), encoding="utf-8") as f:
    for line in f:
      line = line.strip()
      if line:
        current.append(line)
      elif current:
        docs.append(current[:sentences])
        current = []
        if len(docs) == count:
          break
  return docs


def _write(path, docs):
  with open(path, "w", encoding="utf-8") as f:
    f.write("\n\n".join("\n".join(d) for d in docs) + "\n")


def _config():
  return build_config.BuildConfig(
      max_seq_length=32, max_predictions_per_seq=5, dupe_factor=2,
      pair_mode="nsp", aux_labels=("cap", "tf_idf", "tcp"), num_shards=3,
      docs_per_chunk=2, max_undecodable_share=0.25)  # 1 of 4 lines below


def _build(corpus_dir, out_dir, runner, beam_options=None):
  return cpd.run(_config(), f"{corpus_dir}/*.txt", _VOCAB, str(out_dir),
                 prefix="pretrain", num_workers=1, shuffle_buffer=30,
                 runner=runner, beam_options=beam_options)


def _shard_bytes(out_dir, manifest):
  return [(out_dir / s["file"]).read_bytes() for s in manifest["shards"]]


def _leftovers(out_dir):
  return [p for p in os.listdir(out_dir)
          if p.endswith(".tmp") or p.startswith(".beam")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
  d = tmp_path_factory.mktemp("corpus")
  docs = _wikitext_documents(8, 4)
  # A one-sentence document (skipped for nsp) and a lone last document
  # (joins the chunk before it).
  _write(d / "a.txt", docs[:4] + [["Only One Sentence here."]])
  _write(d / "b.txt", docs[4:] + [["The END of it.", "Really The End."]])
  return d


def test_beam_matches_local_byte_for_byte(corpus, tmp_path):
  local = _build(corpus, tmp_path / "local", "local")
  beam = _build(corpus, tmp_path / "beam", "DirectRunner")
  assert beam["run"]["runner"] == "DirectRunner"
  assert len(beam["shards"]) == 3
  local_bytes = _shard_bytes(tmp_path / "local", local)
  assert all(local_bytes)  # every shard got records
  assert _shard_bytes(tmp_path / "beam", beam) == local_bytes
  assert beam["shards"] == local["shards"]
  assert beam["totals"] == local["totals"]
  assert beam["totals"]["instances"] > 30  # the shuffle buffer overflowed
  assert beam["report"] == local["report"]
  assert beam["report"]["skipped"]["document_too_short_for_nsp"] == 1
  assert beam["report"]["repaired"]["sentence_longer_than_sequence"] > 0
  assert not _leftovers(tmp_path / "beam")


def test_beam_counts_reader_repairs_once(tmp_path):
  corpus = tmp_path / "corpus"
  corpus.mkdir()
  (corpus / "a.txt").write_bytes(
      b"The caf\xe9 opened early.\nIt served tea.\n\n"
      b"Another document starts.\nIt ends here.\n")
  (corpus / "b.txt").write_bytes(b"\n")  # no document: an empty file
  beam = _build(corpus, tmp_path / "beam", "DirectRunner")
  report = beam["report"]
  assert report["repaired"][_REPAIR] == 1
  assert report["examples"][_REPAIR] == [f"{corpus}/a.txt:1"]
  assert report["skipped"]["empty_file"] == 1
  assert beam["totals"]["documents"] == 2
  # One shard has no document: it is still written, empty.
  assert [s["documents"] for s in beam["shards"]] == [1, 1, 0]
  assert (tmp_path / "beam" / beam["shards"][2]["file"]).read_bytes() == b""
  local = _build(corpus, tmp_path / "local", "local")
  assert beam["report"] == local["report"]
  assert _shard_bytes(tmp_path / "beam", beam) == _shard_bytes(
      tmp_path / "local", local)


def test_direct_runner_multi_processing_two_workers_writes_the_same_bytes(
    corpus, tmp_path):
  local = _build(corpus, tmp_path / "local", "local")
  beam = _build(corpus, tmp_path / "mp", "DirectRunner",
                ["--direct_running_mode=multi_processing",
                 "--direct_num_workers=2"])
  assert _shard_bytes(tmp_path / "mp", beam) == _shard_bytes(
      tmp_path / "local", local)
  assert beam["report"] == local["report"]
  assert not _leftovers(tmp_path / "mp")


_DATAFLOW = ["--project=p", "--region=europe-west4",
             "--temp_location=gs://bucket/tmp", "--setup_file=./setup.py"]


@pytest.mark.parametrize("drop, replace, message", [
    ("--project=p", None, "needs the Beam option --project"),
    ("--temp_location=gs://bucket/tmp", None,
     "needs the Beam option --temp_location"),
    ("--temp_location=gs://bucket/tmp", "--temp_location=/tmp/x",
     "--temp_location=/tmp/x must be a gs:// path"),
    ("--setup_file=./setup.py", None, "the workers cannot import"),
])
def test_dataflow_options_are_checked_before_the_job(drop, replace, message):
  args = [a for a in _DATAFLOW if a != drop] + ([replace] if replace else [])
  with pytest.raises(ValueError, match=re.escape(message)):
    beam_pipeline.options_for("DataflowRunner", args)
  beam_pipeline.options_for("DataflowRunner", _DATAFLOW)  # complete: passes


def test_bad_dataflow_options_fail_the_cli_in_one_line(tmp_path):
  proc = subprocess.run(
      [sys.executable, "-m", "tfrecords_tools.create_pretraining_data",
       f"--input_file={tmp_path}/none.txt", f"--vocab_file={_VOCAB}",
       f"--output_dir={tmp_path}/out", "--runner=DataflowRunner",
       "--beam_options=--project=p,--region=r"],
      capture_output=True, text=True, timeout=300)
  assert proc.returncode == 2
  assert proc.stderr.strip().splitlines()[-1] == (
      "create_pretraining_data: error: --runner=DataflowRunner needs the "
      "Beam option --temp_location (pass it in --beam_options)")
