"""Tests for tfrecords_tools.s1_sources.corpus_source:
every format, the same shards."""
import json
import os

import pytest

from tests.tfrecords_tools import builder_fixtures as fx
from tests.tfrecords_tools.s1_sources import corpus_formats as cf
from tfrecords_tools import build_config
from tfrecords_tools import build_report
from tfrecords_tools import create_pretraining_data as cpd
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import corpus_source


def _config():
  return build_config.BuildConfig(
      max_seq_length=32, max_predictions_per_seq=4, dupe_factor=1,
      pair_mode="nsp", aux_labels=("cap", "tf_idf"), num_shards=2,
      docs_per_chunk=3)


def _build(out_dir, source, patterns=None, runner="local"):
  return cpd.run(_config(), patterns, fx.VOCAB, str(out_dir),
                 num_workers=1, shuffle_buffer=20, runner=runner,
                 source=source)


def _shard_bytes(out_dir, manifest):
  return [(out_dir / s["file"]).read_bytes() for s in manifest["shards"]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
  d = tmp_path_factory.mktemp("formats")
  docs = cf.documents(count=8)
  cf.write_bert_text(str(d / "c.txt"), docs)
  for name in ("c.jsonl", "c.jsonl.gz", "c.jsonl.zst"):
    cf.write_jsonl(str(d / name), docs)
  cf.write_parquet(str(d / "c.parquet"), docs)
  cf.build_tfds(d / "tfds", docs)
  return d


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
  out = tmp_path_factory.mktemp("bert_text")
  manifest = _build(out, corpus_source.CorpusSource(), str(corpus / "c.txt"))
  return _shard_bytes(out, manifest), manifest


@pytest.mark.parametrize("fmt,name", [
    ("jsonl", "c.jsonl"), ("jsonl", "c.jsonl.gz"), ("jsonl", "c.jsonl.zst"),
    ("parquet", "c.parquet")])
def test_record_formats_give_the_bert_text_shards(corpus, reference, tmp_path,
                                                  fmt, name):
  manifest = _build(tmp_path, corpus_source.CorpusSource(input_format=fmt),
                    str(corpus / name))
  ref_bytes, ref_manifest = reference
  assert all(ref_bytes)
  assert _shard_bytes(tmp_path, manifest) == ref_bytes
  assert manifest["totals"] == ref_manifest["totals"]
  assert manifest["totals"]["documents"] == 8
  source = manifest["source"]
  assert source["input_format"] == fmt and source["text_field"] == "text"
  assert source["sentence_splitter"]["name"] == "syntok"
  assert source["sentence_splitter"]["version"].count(".") >= 1
  assert ref_manifest["source"] == {"input_format": "bert_text"}


def test_tfds_gives_the_bert_text_shards_local_and_beam(corpus, reference,
                                                        tmp_path):
  source = corpus_source.CorpusSource(
      input_format="tfds", tfds_name=cf.TFDS_NAME, tfds_split="train",
      tfds_data_dir=str(corpus / "tfds"))
  local = _build(tmp_path / "local", source)
  assert _shard_bytes(tmp_path / "local", local) == reference[0]
  assert local["inputs"][0]["path"] == f"tfds:{cf.TFDS_NAME}:train[0:8]"
  assert local["source"]["tfds_name"] == cf.TFDS_NAME
  assert local["source"]["tensorflow_datasets_version"]
  beam = _build(tmp_path / "beam", source, runner="DirectRunner")
  assert _shard_bytes(tmp_path / "beam", beam) == reference[0]


def _documents(source, path):
  report = build_report.BuildReport()
  docs = list(source.iter_documents(str(path), report))
  return docs, report


def test_bad_jsonl_rows_name_file_line_and_key(tmp_path):
  path = tmp_path / "bad.jsonl"
  path.write_text('{"text": "One. Two."}\nnot json\n{"body": "x"}\n'
                  '{"text": 3}\n{"text": "  \\n "}\n{"text": "Three. Four."}\n')
  strict = corpus_source.CorpusSource(input_format="jsonl")
  with pytest.raises(corpus_reader.InputError,
                     match=rf"^{path}:2: not a JSON line \("):
    _documents(strict, path)
  lenient = corpus_source.CorpusSource(input_format="jsonl",
                                       skip_bad_rows=True)
  docs, report = _documents(lenient, path)
  assert [d.sentences for d in docs] == [["One.", "Two."], ["Three.", "Four."]]
  assert [d.doc_index for d in docs] == [0, 1]
  assert docs[1].line_numbers == [6, 6]
  assert report.skipped == {"jsonl_line_not_json": 1,
                            "jsonl_line_without_text_field": 1,
                            "jsonl_text_field_not_a_string": 1,
                            "empty_document": 1}
  assert report.examples["jsonl_line_without_text_field"] == [f"{path}:3"]
  path.write_text('{"text": "ok"}\n{"body": "x"}\n')
  with pytest.raises(corpus_reader.InputError) as e:
    _documents(strict, path)
  assert str(e.value) == (f"{path}:2: no key 'text' (keys: ['body']); "
                          "--text_field names the text (--skip_bad_rows "
                          "counts such rows instead).")


def test_parquet_without_the_column_or_with_nulls(tmp_path):
  path = str(tmp_path / "c.parquet")
  cf.write_parquet(path, None, column="body", texts=["Cats run. Dogs sit."])
  strict = corpus_source.CorpusSource(input_format="parquet")
  with pytest.raises(corpus_reader.InputError,
                     match=rf"^{path}: no column 'text' \(columns: "
                           r"\['id', 'body'\]\)"):
    _documents(strict, path)
  docs, report = _documents(
      corpus_source.CorpusSource(input_format="parquet", text_field="body",
                                 skip_bad_rows=True), path)
  assert [d.sentences for d in docs] == [["Cats run.", "Dogs sit."]]
  cf.write_parquet(path, None, texts=["One cat.", None, "Two cats.", "Three."])
  with pytest.raises(corpus_reader.InputError,
                     match=rf"^{path}:row 1: column 'text' holds null"):
    _documents(strict, path)
  docs, report = _documents(
      corpus_source.CorpusSource(input_format="parquet", skip_bad_rows=True),
      path)
  assert [d.line_numbers[0] for d in docs] == [0, 2, 3]
  assert report.skipped == {"parquet_text_cell_not_a_string": 1}


def test_bad_jsonl_row_stops_the_build_or_is_counted_in_the_manifest(tmp_path):
  docs = cf.documents(count=4)
  path = tmp_path / "c.jsonl"
  path.write_text("\n".join(cf.jsonl_lines(docs)[:2] + ["{oops"]
                            + cf.jsonl_lines(docs)[2:]) + "\n")
  with pytest.raises(corpus_reader.InputError,
                     match=rf"^{path}:3: not a JSON line \("):
    _build(tmp_path / "o", corpus_source.CorpusSource(input_format="jsonl"),
           str(path))
  manifest = _build(tmp_path / "out", corpus_source.CorpusSource(
      input_format="jsonl", skip_bad_rows=True), str(path))
  assert manifest["report"]["skipped"]["jsonl_line_not_json"] == 1
  assert manifest["report"]["examples"]["jsonl_line_not_json"] == [
      f"{path}:3"]
  assert manifest["totals"]["documents"] == 4
  assert manifest["source"]["skip_bad_rows"] is True
  with open(tmp_path / "out" / "manifest.json") as f:
    assert json.load(f)["source"] == manifest["source"]


def test_cli_tfds_not_prepared_is_one_line(tmp_path):
  proc = fx.run_cli("--input_format=tfds", "--tfds_name=wikipedia/20230601.en",
                    f"--tfds_data_dir={tmp_path}", f"--output_dir={tmp_path}/o")
  assert proc.returncode == 2
  assert proc.stderr.strip().splitlines()[-1] == (
      "create_pretraining_data: error: TFDS dataset 'wikipedia/20230601.en' "
      f"is not prepared in {tmp_path} (--tfds_name, --tfds_data_dir); prepare "
      "it first with `tfds build` (no download happens at build time).")
  assert "Traceback" not in proc.stderr


def test_bad_source_settings():
  with pytest.raises(ValueError, match="--input_format=tfds needs --tfds_name"):
    corpus_source.CorpusSource(input_format="tfds")
  with pytest.raises(ValueError, match="unknown format 'csv'"):
    corpus_source.CorpusSource(input_format="csv")
