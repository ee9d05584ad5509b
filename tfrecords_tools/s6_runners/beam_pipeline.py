r"""Runs the build as an Apache Beam pipeline: the scale-out path.

`create_pretraining_data --runner=DirectRunner` (or DataflowRunner,
FlinkRunner, SparkRunner...) runs the same per-document transform as the
local path, spread over a Beam runner's workers, for Wikipedia-scale corpora:

  files -> read chunks (one file per element) -> reshuffle
        -> tokenize + ChunkTransformer (per chunk)
        -> (shard, document) -> GroupByKey(shard)
        -> per shard: sort by (file, document), write through ShardWriter

Every shard's bytes equal the local path's byte for byte, whatever the runner
or worker count: chunks are cut per file exactly as the local reader cuts
them, each document's randomness is seeded by its (file, document) position,
and each shard is written by one `ShardWriter` that receives the shard's
documents in input order, so its seeded shuffle buffer draws the same numbers.

Skips and repairs (reader, tokenizer, transform) are combined into one
report; every example location is keyed by its (file, chunk) position, so the
examples kept are the same on every run. A step retried by the runner has its
outputs discarded, so each is counted once.

Limitations:
  * Each shard's documents (their serialised records) are grouped in one
    worker's memory before it writes the shard. Choose `--num_shards` so that
    one shard (about total output size / num_shards) fits in a worker's memory.
  * The shard writer and the run summary use ordinary file I/O on
    `output_dir`: with a distributed runner, `output_dir` must be a filesystem
    path every worker and the launching machine share (e.g. NFS or a
    FUSE-mounted bucket), not a `gs://` URL. Inputs may be any path
    TensorFlow's gfile reads.
  * A file is read by one worker (chunks are spread over workers after it),
    so a corpus of many files reads faster than one huge file.
  * Workers must be able to import `tfrecords_tools` and `official_ext` (for
    Dataflow, ship them with `--setup_file` through `pipeline_args`).
"""
import json
import os
from typing import Dict, List, Sequence, Tuple

import apache_beam as beam
from apache_beam.options import pipeline_options

from tfrecords_tools import build_report
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s5_records import chunk_transform
from tfrecords_tools.s5_records import shard_writer

_STATS_DIR = ".beam_stats"
_SUMMARY_FILE = "summary.json"
_REPORTS = "reports"
# Stages of a report, in the order the local path meets them for one file.
_STAGE_READ, _STAGE_CHUNK = 0, 1


def _keyed_report(report: build_report.BuildReport, key: Tuple[int, ...]):
  """A report as a JSON-able dict whose examples carry a sort key."""
  return {"skipped": dict(report.skipped), "repaired": dict(report.repaired),
          "examples": {reason: [[list(key) + [i], where]
                                for i, where in enumerate(wheres)]
                       for reason, wheres in report.examples.items()
                       if wheres}}


class _ReportCombineFn(beam.CombineFn):
  """Sums keyed reports; keeps each reason's first examples by position.

  Keeping the examples with the smallest (file, stage, chunk, i) keys makes
  the result independent of the order the runner combines in, and equal to
  the order the local path records them in.
  """

  def create_accumulator(self):
    return {"skipped": {}, "repaired": {}, "examples": {}}

  def add_input(self, mutable_accumulator, element):
    for kind in ("skipped", "repaired"):
      counts = mutable_accumulator[kind]
      for reason, n in element[kind].items():
        counts[reason] = counts.get(reason, 0) + n
    examples = mutable_accumulator["examples"]
    for reason, keyed in element["examples"].items():
      merged = sorted(examples.get(reason, []) + [list(e) for e in keyed])
      examples[reason] = merged[:build_report.MAX_EXAMPLES_PER_REASON]
    return mutable_accumulator

  def merge_accumulators(self, accumulators):
    merged = self.create_accumulator()
    for acc in accumulators:
      self.add_input(merged, acc)
    return merged

  def extract_output(self, accumulator):
    return accumulator


def _to_build_report(keyed: dict) -> build_report.BuildReport:
  report = build_report.BuildReport()
  report.skipped.update(keyed["skipped"])
  report.repaired.update(keyed["repaired"])
  for reason, examples in sorted(keyed["examples"].items()):
    report.examples[reason] = [where for _, where in sorted(examples)]
  return report


class _ReadChunks(beam.DoFn):
  """(file_index, path) -> the file's chunks; its reader report on a tag."""

  def __init__(self, docs_per_chunk: int, max_undecodable_share: float,
               source=None):
    super().__init__()
    self._docs_per_chunk = docs_per_chunk
    self._max_undecodable_share = max_undecodable_share
    self._source = source

  def process(self, element):
    file_index, path = element
    report = build_report.BuildReport()
    yield from corpus_reader.iter_chunks(
        [path], self._docs_per_chunk, report, file_indices=[file_index],
        max_undecodable_share=self._max_undecodable_share,
        source=self._source)
    yield beam.pvalue.TaggedOutput(
        _REPORTS, _keyed_report(report, (file_index, _STAGE_READ, 0)))


class _TransformChunk(beam.DoFn):
  """Chunk -> (shard, (file_index, doc_index, records, tokens)) per document.

  The chunk's tokenizer and transform report goes to the reports tag.
  """

  def __init__(self, config, vocab_path: str, idf):
    super().__init__()
    self._config = config
    self._vocab_path = vocab_path
    self._idf = idf
    self._tokenizer = None
    self._transform = None

  def setup(self):
    # The tokenizer (plain Python, no TensorFlow) is built on the worker.
    from tfrecords_tools.s2_tokens import tokenizer as tokenizer_lib  # pylint: disable=g-import-not-at-top
    vocab = vocab_lib.load_vocab(self._vocab_path)
    self._tokenizer = tokenizer_lib.Tokenizer(
        vocab, self._config.do_lower_case, self._config.max_seq_length)
    self._transform = chunk_transform.ChunkTransformer(self._config, vocab,
                                                       self._idf)

  def process(self, chunk):
    cfg = self._config
    report = build_report.BuildReport()
    tokenized = self._tokenizer.tokenize(chunk, report,
                                         "cap" in cfg.aux_labels)
    result = self._transform(tokenized)
    report.merge(result.report)
    for doc_index, records, tokens in zip(result.doc_indices, result.records,
                                          result.tokens):
      shard = shard_writer.shard_of(chunk.file_index, doc_index,
                                    cfg.num_shards)
      yield shard, (chunk.file_index, doc_index, records, tokens)
    yield beam.pvalue.TaggedOutput(_REPORTS, _keyed_report(
        report, (chunk.file_index, _STAGE_CHUNK, chunk.chunk_index)))


class _WriteShard(beam.DoFn):
  """(shard, documents) -> writes the shard's temp file; yields its stats."""

  def __init__(self, output_dir, prefix, num_shards, shuffle_buffer, seed):
    super().__init__()
    self._args = (output_dir, prefix, num_shards, shuffle_buffer, seed)

  def process(self, element):
    shard, values = element
    documents = sorted((v for v in values if v is not None),
                       key=lambda v: (v[0], v[1]))
    writer = shard_writer.ShardWriter(*self._args, shards=[shard])
    try:
      for _, _, records, tokens in documents:
        writer.add_document(shard, records, tokens)
      stats = writer.close()
    except BaseException:
      writer.abort()
      raise
    yield shard, stats[shard]


def _write_summary(report, shard_stats, path):
  """Writes the combined report and the shard stats for the launcher."""
  file_io.write_text_atomically(path, json.dumps(
      {"report": report, "shards": {str(s): st for s, st in shard_stats}}))


# Options a Dataflow job cannot start without: where it stages and writes
# temporary files (a bucket), and how its workers get this package.
_DATAFLOW_REQUIRED = ("project", "region", "temp_location")
_DATAFLOW_PACKAGE = ("setup_file", "requirements_file", "sdk_container_image",
                     "extra_packages")


def check_options(runner: str, options: pipeline_options.PipelineOptions
                  ) -> None:
  """Raises ValueError (one line, naming the option) before a Dataflow job
  starts without what it needs: --project, --region, a gs:// --temp_location
  (and --staging_location, if given, on gs://), and a way for the workers to
  install this package (--setup_file=./setup.py, --requirements_file,
  --extra_packages or --sdk_container_image)."""
  if runner not in ("DataflowRunner", "dataflow"):
    return
  values = options.get_all_options(drop_default=True)
  for name in _DATAFLOW_REQUIRED:
    if not values.get(name):
      raise ValueError(f"--runner={runner} needs the Beam option --{name} "
                       f"(pass it in --beam_options)")
  for name in ("temp_location", "staging_location"):
    if values.get(name) and not str(values[name]).startswith("gs://"):
      raise ValueError(f"--runner={runner}: Beam option --{name}="
                       f"{values[name]} must be a gs:// path")
  if not any(values.get(name) for name in _DATAFLOW_PACKAGE):
    raise ValueError(f"--runner={runner}: the workers cannot import "
                     f"tfrecords_tools; pass --setup_file=./setup.py (or "
                     f"--requirements_file, --extra_packages, "
                     f"--sdk_container_image) in --beam_options")


def options_for(runner: str, pipeline_args
                ) -> pipeline_options.PipelineOptions:
  """The pipeline's options: `pipeline_args` (Beam's own command-line
  options); DirectRunner defaults to one in-memory worker unless they choose
  a mode (`--direct_running_mode=multi_processing --direct_num_workers=2`)."""
  args = list(pipeline_args or [])
  kwargs = {}
  if runner in ("DirectRunner", "direct"):
    if not any(a.startswith("--direct_running_mode") for a in args):
      kwargs["direct_running_mode"] = "in_memory"
    if not any(a.startswith("--direct_num_workers") for a in args):
      kwargs["direct_num_workers"] = 1
  # flags=args stops Beam from parsing sys.argv (absl owns the command line).
  options = pipeline_options.PipelineOptions(flags=args, runner=runner,
                                             **kwargs)
  check_options(runner, options)
  return options


def build_pipeline(pipeline, config, files: Sequence[str], vocab_path: str,
                   idf, output_dir: str, prefix: str, shuffle_buffer: int,
                   summary_path: str, source=None):
  """Adds the build's transforms to `pipeline`."""
  n = config.num_shards
  read = (pipeline
          | "Files" >> beam.Create(list(enumerate(files)))
          | "ReadChunks" >> beam.ParDo(_ReadChunks(
              config.docs_per_chunk, config.max_undecodable_share, source))
          .with_outputs(_REPORTS, main="chunks"))
  transformed = (read.chunks
                 | "Spread" >> beam.Reshuffle()
                 | "Transform" >> beam.ParDo(
                     _TransformChunk(config, vocab_path, idf))
                 .with_outputs(_REPORTS, main="documents"))
  # One placeholder per shard, so a shard without documents is still written.
  placeholders = pipeline | "AllShards" >> beam.Create(
      [(s, None) for s in range(n)])
  stats = ((transformed.documents, placeholders)
           | "WithPlaceholders" >> beam.Flatten()
           | "GroupByShard" >> beam.GroupByKey()
           | "WriteShards" >> beam.ParDo(_WriteShard(
               output_dir, prefix, n, shuffle_buffer, config.random_seed)))
  report = ((read[_REPORTS], transformed[_REPORTS])
            | "AllReports" >> beam.Flatten()
            | "CombineReports" >> beam.CombineGlobally(_ReportCombineFn()))
  _ = report | "WriteSummary" >> beam.Map(
      _write_summary, shard_stats=beam.pvalue.AsList(stats),
      path=summary_path)


def run(config, files: Sequence[str], vocab: vocab_lib.Vocab, idf,
        output_dir: str, prefix: str, runner: str, shuffle_buffer: int = 20000,
        pipeline_args=None, source=None
        ) -> Tuple[build_report.BuildReport, List[Dict]]:
  """Builds every shard with a Beam runner.

  Args:
    config: the BuildConfig.
    files: the sorted, expanded input files.
    vocab: the loaded vocab (workers reload it from `vocab.path`).
    idf: float32 [vocab] IDF table, or None when tf_idf is off.
    output_dir: existing directory shared by the workers (see module doc).
    prefix: shard file name prefix.
    runner: Beam runner name, e.g. "DirectRunner" or "DataflowRunner".
    shuffle_buffer: records held to shuffle output, as for the local path
      (the same value gives the same bytes).
    pipeline_args: extra Beam command-line options (project, region...).
    source: the corpus_source.CorpusSource of `files` (default BERT text).

  Returns:
    (BuildReport, the manifest's shard list).
  """
  paths = shard_writer.shard_paths(output_dir, prefix, config.num_shards)
  shard_writer.remove_stale(output_dir, prefix, paths)
  stats_dir = os.path.join(output_dir, _STATS_DIR)
  file_io.rmtree(stats_dir)
  file_io.makedirs(stats_dir)
  summary_path = os.path.join(stats_dir, _SUMMARY_FILE)
  try:
    pipeline = beam.Pipeline(options=options_for(runner, pipeline_args))
    build_pipeline(pipeline, config, files, vocab.path, idf, output_dir,
                   prefix, shuffle_buffer, summary_path, source)
    pipeline.run().wait_until_finish()
    with file_io.open_file(summary_path) as f:
      summary = json.load(f)
  except BaseException:
    for path in paths:
      file_io.remove(path + shard_writer.TMP_SUFFIX)
    raise
  finally:
    file_io.rmtree(stats_dir)
  stats = {int(s): st for s, st in summary["shards"].items()}
  missing = sorted(set(range(config.num_shards)) - set(stats))
  if missing:
    raise RuntimeError(f"The Beam pipeline wrote no stats for shard(s) "
                       f"{missing}.")
  report = _to_build_report(summary["report"])
  return report, shard_writer.finalize(output_dir, prefix, stats)
