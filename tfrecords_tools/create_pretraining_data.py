r"""Raw text -> statically-masked pretraining TFRecords with auxiliary labels.

Accepts Model Garden's `official.nlp.data.create_pretraining_data` flag names
where the meaning is the same, so switching is a change of module name:

  python -m tfrecords_tools.create_pretraining_data \
    --input_file='corpus/*.txt' --vocab_file=vocab.txt --output_dir=out/ \
    --max_seq_length=128 --max_predictions_per_seq=20 --dupe_factor=40 \
    --pair_mode=so --aux_labels=tf_idf,cap --num_workers=2

Corpora of one document a record are read with `--input_format=jsonl`
(`.jsonl`, `.jsonl.gz`, `.jsonl.zst`), `parquet` or `tfds` (`--tfds_name=
wikipedia/20230601.en --tfds_data_dir=...`, prepared beforehand), the text in
`--text_field` split into sentences (`corpus_source`, `sentence_splitter`).

Writes `<output_dir>/<prefix>-0000i-of-0000N.tfrecord` shards and
`<output_dir>/manifest.json` (settings, vocab sha256, per-shard counts, every
skipped or repaired item by reason). `--runner=DirectRunner` (or Dataflow,
Flink, Spark...) runs the same per-chunk transform as an Apache Beam pipeline.
"""
import json
import os
import sys
import time

from absl import app
from absl import flags
from absl import logging

from official_ext.data import features
from tfrecords_tools import build_config
from tfrecords_tools import build_report
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import corpus_source
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s3_instances import sentence_pairing
from tfrecords_tools.s5_records import manifest as manifest_lib

_D = build_config.BuildConfig()
FLAGS = flags.FLAGS


def define_flags():
  """Defines the CLI flags (only when run as a program, not on import)."""
  # Model Garden's names.
  flags.DEFINE_string("input_file", None, "Comma-separated files or globs of "
                      "BERT-format text (a sentence a line, a blank line between "
                      "documents), plain or .gz; or of JSONL / Parquet with "
                      "--input_format.")
  flags.DEFINE_string("output_file", None, "Model Garden compatibility: its "
                      "directory becomes --output_dir and its base name the "
                      "shard prefix.")
  flags.DEFINE_string("vocab_file", None, "WordPiece vocab (BERT vocab.txt).")
  flags.DEFINE_bool("do_lower_case", _D.do_lower_case, "Lower-case the input.")
  flags.DEFINE_bool("do_whole_word_mask", _D.do_whole_word_mask,
                    "Mask whole words instead of single WordPieces.")
  flags.DEFINE_integer("max_seq_length", _D.max_seq_length, "Sequence length.")
  flags.DEFINE_integer("max_predictions_per_seq", _D.max_predictions_per_seq,
                       "Most masked positions per sequence.")
  flags.DEFINE_integer("random_seed", _D.random_seed, "Random seed.")
  flags.DEFINE_integer("dupe_factor", _D.dupe_factor,
                       "Instances of each document, each with different masks.")
  flags.DEFINE_float("masked_lm_prob", _D.masked_lm_prob, "Masked LM share.")
  flags.DEFINE_float("short_seq_prob", _D.short_seq_prob,
                     "Probability of a shorter target length per instance.")
  # Ours.
  flags.DEFINE_string("output_dir", None, "Directory for shards and manifest.")
  flags.DEFINE_string("shard_prefix", "pretrain", "Shard file name prefix.")
  flags.DEFINE_enum("pair_mode", _D.pair_mode, list(sentence_pairing.PAIR_MODES),
                    "Sentence-pair mode: none (full packing), nsp, asp, so, sdp, "
                    "consecutive (QT/FS continuation pairs).")
  flags.DEFINE_list("aux_labels", [], "Auxiliary labels to write: "
                    + ",".join(features.AUX_LABEL_NAMES) + " (or 'all').")
  flags.DEFINE_enum("tf_rescale_scope", _D.tf_rescale_scope,
                    ["document", "sentence"], "TF/TF-IDF min-max scope.")
  flags.DEFINE_string("idf_file", None, "IDF counts to reuse or create "
                      "(default <output_dir>/idf.json).")
  flags.DEFINE_float("corruption_prob", _D.corruption_prob,
                     "TCP/SCP: share of sequences corrupted.")
  flags.DEFINE_float("corruption_rate", _D.corruption_rate,
                     "TCP/SCP: share of a corrupted sequence's tokens changed.")
  flags.DEFINE_float("tgs_prob", _D.tgs_prob, "TGS: trigram choice probability.")
  flags.DEFINE_enum("corruption_view", _D.corruption_view,
                    list(features.CORRUPTION_VIEWS),
                    "With tcp/scp/tgs labels: 'separate' writes the plain "
                    "input and the corrupted/shuffled one (corrupted_* keys; "
                    "each run reads the one its tasks call for, as in "
                    "olfmlm); 'shared' writes only the changed input.")
  flags.DEFINE_integer("num_shards", _D.num_shards, "Output files.")
  flags.DEFINE_integer("num_workers", max(1, os.cpu_count() or 1),
                       "Transform processes (local runner).")
  flags.DEFINE_integer("docs_per_chunk", _D.docs_per_chunk,
                       "Documents per unit of work; random segments for nsp/asp/"
                       "sdp come from the other documents of the same chunk.")
  flags.DEFINE_integer("shuffle_buffer", 20000, "Records held to shuffle each "
                       "shard's output (total over shards; local runner).")
  flags.DEFINE_float("max_undecodable_share",
                     _D.max_undecodable_share, "Refuse an input file when "
                     "more than this share of its lines is not UTF-8 (fewer "
                     "are repaired with U+FFFD and counted).")
  flags.DEFINE_bool("allow_empty", False, "Accept a build that writes no "
                    "instance (else it fails, summarising what was "
                    "skipped).")
  flags.DEFINE_string("runner", "local", "'local', or an Apache Beam runner "
                      "name (DirectRunner, DataflowRunner, FlinkRunner...).")
  flags.DEFINE_list("beam_options", [], "Beam pipeline options for "
                    "--runner, comma-separated, e.g. --beam_options="
                    "--direct_running_mode=multi_processing,"
                    "--direct_num_workers=2 or, for Dataflow, --project=P,"
                    "--region=R,--temp_location=gs://B/tmp,"
                    "--setup_file=./setup.py (checked before the job starts).")
  corpus_source.define_flags()


def config_from_flags() -> build_config.BuildConfig:
  aux = list(FLAGS.aux_labels)
  if aux == ["all"]:
    aux = list(features.AUX_LABEL_NAMES)
  unknown = sorted(set(aux) - set(features.AUX_LABEL_NAMES))
  if unknown:
    raise ValueError(f"--aux_labels: unknown label(s) {unknown}; choose from "
                     f"{list(features.AUX_LABEL_NAMES)} or 'all'.")
  return build_config.BuildConfig(
      max_seq_length=FLAGS.max_seq_length,
      max_predictions_per_seq=FLAGS.max_predictions_per_seq,
      masked_lm_prob=FLAGS.masked_lm_prob, dupe_factor=FLAGS.dupe_factor,
      short_seq_prob=FLAGS.short_seq_prob, random_seed=FLAGS.random_seed,
      do_whole_word_mask=FLAGS.do_whole_word_mask,
      do_lower_case=FLAGS.do_lower_case, pair_mode=FLAGS.pair_mode,
      aux_labels=tuple(aux), tf_rescale_scope=FLAGS.tf_rescale_scope,
      corruption_prob=FLAGS.corruption_prob,
      corruption_rate=FLAGS.corruption_rate, tgs_prob=FLAGS.tgs_prob,
      corruption_view=FLAGS.corruption_view,
      num_shards=FLAGS.num_shards, docs_per_chunk=FLAGS.docs_per_chunk,
      max_undecodable_share=FLAGS.max_undecodable_share)


class EmptyBuildError(ValueError):
  """The build wrote no instance (and --allow_empty was not given)."""


def _refuse_empty(output_dir, shards, report):
  """Deletes the build's empty shards (and a manifest left by an earlier
  build, whose shards they replaced); raises EmptyBuildError."""
  for path in [os.path.join(output_dir, s["file"]) for s in shards] + [
      os.path.join(output_dir, "manifest.json")]:
    file_io.remove(path)
  skipped = build_report.describe_counts(report.skipped)
  raise EmptyBuildError(
      f"0 instances written ({skipped or 'no input document'}); fix the "
      "input or pass --allow_empty.")


def run(config, input_patterns, vocab_file, output_dir, prefix="pretrain",
        idf_file=None, num_workers=1, shuffle_buffer=20000, runner="local",
        allow_empty=False, source=None, beam_options=None):
  """Builds the shards and the manifest; returns the manifest dict.

  `source` (a corpus_source.CorpusSource, default BERT text) says how
  `input_patterns` are read; `beam_options` are Beam's pipeline options for
  a Beam `runner`.

  Raises:
    EmptyBuildError: no instance was written and not `allow_empty`.
  """
  start = time.time()
  if runner != "local":  # Bad Beam options fail before any work.
    from tfrecords_tools.s6_runners import beam_pipeline  # pylint: disable=g-import-not-at-top
    beam_pipeline.options_for(runner, beam_options)
  source = source or corpus_source.CorpusSource()
  vocab = vocab_lib.load_vocab(vocab_file)
  files = source.expand(input_patterns)
  try:
    file_io.makedirs(output_dir)
  except OSError as e:
    raise ValueError(f"--output_dir={output_dir!r} cannot be created "
                     f"({e}).") from e
  # The tokenizer is plain Python: the build imports no TensorFlow (only a
  # gs:// input or output does, through file_io).
  from tfrecords_tools.s4_labels import idf_pass  # pylint: disable=g-import-not-at-top
  from tfrecords_tools.s2_tokens import tokenizer as tokenizer_lib  # pylint: disable=g-import-not-at-top
  tokenizer = tokenizer_lib.Tokenizer(vocab, config.do_lower_case,
                                      config.max_seq_length)
  idf, idf_meta = None, None
  if "tf_idf" in config.aux_labels:
    idf, idf_meta = idf_pass.load_or_count(
        idf_file or os.path.join(output_dir, "idf.json"), files, tokenizer,
        vocab, config.do_lower_case, config.docs_per_chunk,
        config.max_undecodable_share, source)
  if runner == "local":
    from tfrecords_tools.s6_runners import local_builder  # pylint: disable=g-import-not-at-top
    from tfrecords_tools.s5_records import shard_writer  # pylint: disable=g-import-not-at-top
    paths = shard_writer.shard_paths(output_dir, prefix, config.num_shards)
    for stale in shard_writer.remove_stale(output_dir, prefix, paths):
      logging.warning("Removed %s left by an earlier run.", stale)
    try:
      report, stats = local_builder.build(config, files, vocab, tokenizer,
                                          idf, output_dir, prefix,
                                          shuffle_buffer, num_workers, source)
    except BaseException:
      shard_writer.remove_stale(output_dir, prefix, paths)  # the temp files
      raise
    shards = shard_writer.finalize(output_dir, prefix, stats)
  else:
    from tfrecords_tools.s6_runners import beam_pipeline  # pylint: disable=g-import-not-at-top
    report, shards = beam_pipeline.run(config, files, vocab, idf, output_dir,
                                       prefix, runner, shuffle_buffer,
                                       pipeline_args=beam_options,
                                       source=source)
  if not sum(s["instances"] for s in shards) and not allow_empty:
    _refuse_empty(output_dir, shards, report)
  manifest = manifest_lib.make(config, files, vocab, idf_meta, shards, report,
                               time.time() - start, num_workers, runner)
  manifest["source"] = source.describe()
  manifest_lib.write(os.path.join(output_dir, "manifest.json"), manifest)
  return manifest


def main(argv):
  del argv
  if FLAGS.output_file and not FLAGS.output_dir:
    FLAGS.output_dir = os.path.dirname(FLAGS.output_file) or "."
    FLAGS.shard_prefix = os.path.basename(FLAGS.output_file) or "pretrain"
  required = ["vocab_file", "output_dir"]
  if FLAGS.input_format != "tfds":
    required.insert(0, "input_file")
  for name in required:
    if not getattr(FLAGS, name):
      raise app.UsageError(f"--{name} is required.")
  try:
    config = config_from_flags()
    manifest = run(config, FLAGS.input_file, FLAGS.vocab_file,
                   FLAGS.output_dir, FLAGS.shard_prefix, FLAGS.idf_file,
                   FLAGS.num_workers, FLAGS.shuffle_buffer, FLAGS.runner,
                   FLAGS.allow_empty, corpus_source.from_flags(FLAGS),
                   FLAGS.beam_options)
  except (corpus_reader.InputError, vocab_lib.VocabError, ValueError) as e:
    print(f"create_pretraining_data: error: {e}", file=sys.stderr)
    sys.exit(2)
  print(json.dumps(manifest_lib.summary(manifest), indent=1))
  for verb in ("skipped", "repaired"):  # last, where they are seen
    counts = build_report.describe_counts(manifest["report"][verb])
    if counts:
      print(f"create_pretraining_data: {verb} {counts} (examples in "
            f"{os.path.join(FLAGS.output_dir, 'manifest.json')}).",
            file=sys.stderr)


if __name__ == "__main__":
  define_flags()
  app.run(main)
