r"""Reader throughput vs what a TEAMS-small train step consumes, in one run.

What is measured:
  1. Records: our builder (`tfrecords_tools.create_pretraining_data
     --aux_labels=all --pair_mode=nsp`) on the bundled corpus, dupe factor
     --dupe_factor, --num_shards shards (kept in --work_dir and reused).
  2. Reader: `official_ext.data.pretrain_reader.AuxPretrainDataLoader`
     (every auxiliary label on, training mode: interleave over shards,
     shuffle, repeat), batch --batch_size. With S streams, S loaders (seeds
     differ) are iterated round robin, as a multi-objective trainer drawing
     one batch per stream per step does; batches/s is over all streams,
     after --warmup batches per stream. Two pipelines:
       batched parse  ours: batch the serialized records, then one
                      `tf.io.parse_example` per batch;
       per-record     Model Garden's order: `parse_single_example` per
                      record (parallel map), then batch.
  3. Consumption: one TEAMS-small train step (ours, fp32, batch 32, seq
     128) timed by `bench/train_step_bench.py --row` in a subprocess (or
     --step_ms). A step takes one batch per stream, so consumption =
     S / step seconds; the ratio is reader batches/s / consumption (target
     >= 10x).

The reader and the step are measured one after the other, each alone on the
machine's cores; while training, tf.data threads share the cores with the
step, so read the ratio as headroom. Other jobs on the machine slow both;
the load average is printed.

Usage (from the repo root):
  .venv/bin/python bench/reader_bench.py
  .venv/bin/python bench/reader_bench.py --step_ms=2600 --streams=1,3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DATA = os.path.join(_REPO, "data", "wikitext2")
_TARGET = 10.0


def parse_args(argv=None):
  p = argparse.ArgumentParser(
      description=__doc__.split("\n", 1)[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--corpus", default=os.path.join(_DATA, "valid.bert.txt"))
  p.add_argument("--vocab", default=os.path.join(_DATA,
                                                 "vocab_uncased_8k.txt"))
  p.add_argument("--work_dir", default=os.path.join(
      tempfile.gettempdir(), "official_ext_reader_bench"),
                 help="Where the records are built (reused if present).")
  p.add_argument("--dupe_factor", type=int, default=3)
  p.add_argument("--num_shards", type=int, default=4)
  p.add_argument("--batch_size", type=int, default=32,
                 help="Sequences per batch (TEAMS-small's batch).")
  p.add_argument("--streams", default="1,3",
                 help="Comma-separated numbers of concurrent streams.")
  p.add_argument("--batches", type=int, default=150,
                 help="Timed batches per stream.")
  p.add_argument("--warmup", type=int, default=10,
                 help="Untimed batches per stream first.")
  p.add_argument("--pipelines", default="batched,per_record",
                 help="Which pipelines: batched, per_record.")
  p.add_argument("--step_ms", type=float, default=None,
                 help="TEAMS-small step time to compare with (default: "
                 "measure it with train_step_bench.py).")
  return p.parse_args(argv)


def _load():
  return "/".join(f"{v:.2f}" for v in os.getloadavg())


def build_records(args):
  """Builds (once) the records with every auxiliary label; returns the dir."""
  out = os.path.join(args.work_dir, f"records_d{args.dupe_factor}_"
                     f"s{args.num_shards}")
  if os.path.exists(os.path.join(out, "manifest.json")):
    return out
  cmd = [sys.executable, "-m", "tfrecords_tools.create_pretraining_data",
         f"--input_file={args.corpus}", f"--vocab_file={args.vocab}",
         f"--output_dir={out}", "--do_lower_case=true", "--pair_mode=nsp",
         "--aux_labels=all", f"--dupe_factor={args.dupe_factor}",
         f"--num_shards={args.num_shards}", "--max_seq_length=128",
         "--max_predictions_per_seq=20", "--num_workers=2"]
  print(f"[reader_bench] building records into {out} ...", flush=True)
  subprocess.run(cmd, cwd=_REPO, check=True, capture_output=True)
  return out


def _dataset(manifest, pipeline, batch_size, seed):
  """One training-mode stream of `pipeline` ("batched" or "per_record")."""
  from official.common import dataset_fn  # pylint: disable=g-import-not-at-top
  from official.core import input_reader  # pylint: disable=g-import-not-at-top
  from official_ext.data import pretrain_reader  # pylint: disable=g-import-not-at-top
  config = pretrain_reader.config_from_manifest(
      manifest, global_batch_size=batch_size, is_training=True, seed=seed)
  loader = pretrain_reader.AuxPretrainDataLoader(config)
  if pipeline == "batched":
    return loader.load()
  rename = pretrain_reader._RENAME  # pylint: disable=protected-access
  return input_reader.InputReader(
      params=config, dataset_fn=dataset_fn.pick_dataset_fn(config.file_type),
      decoder_fn=loader._decode,  # pylint: disable=protected-access
      parser_fn=lambda r: {rename.get(k, k): v for k, v in r.items()}
  ).read()


def time_reader(manifest, pipeline, streams, args):
  """Batches/s over `streams` round-robin streams (timed after warm-up)."""
  iterators = [iter(_dataset(manifest, pipeline, args.batch_size, seed))
               for seed in range(1, streams + 1)]
  keys = None
  for _ in range(args.warmup):
    for it in iterators:
      keys = sorted(next(it))
  start = time.perf_counter()
  for _ in range(args.batches):
    for it in iterators:
      next(it)
  seconds = time.perf_counter() - start
  return streams * args.batches / seconds, keys


def time_step(args):
  """Median ms of one TEAMS-small (ours, fp32) train step, in a subprocess."""
  if args.step_ms:
    return args.step_ms, "given (--step_ms)"
  cmd = [sys.executable, os.path.join(_REPO, "bench", "train_step_bench.py"),
         "--row=small:ours:fp32", "--warmup=1", "--steps=2"]
  print("[reader_bench] timing one TEAMS-small train step ...", flush=True)
  proc = subprocess.run(cmd, cwd=_REPO, capture_output=True, text=True,
                        check=False, env=dict(os.environ,
                                              TF_CPP_MIN_LOG_LEVEL="2"))
  rows = [json.loads(l) for l in proc.stdout.splitlines()
          if l.startswith("{")]
  if not rows or "median_ms" not in rows[-1]:
    raise SystemExit(f"train_step_bench failed: {proc.stderr[-2000:]}")
  return rows[-1]["median_ms"], "measured (train_step_bench, 1+2 steps)"


def main(argv=None):
  args = parse_args(argv)
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  load_before = _load()
  records = build_records(args)
  manifest = os.path.join(records, "manifest.json")
  with open(manifest) as f:
    info = json.load(f)
  step_ms, step_note = time_step(args)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.get_logger().setLevel("ERROR")
  rows = []
  for pipeline in args.pipelines.split(","):
    for streams in [int(s) for s in args.streams.split(",")]:
      print(f"[reader_bench] {pipeline}, {streams} stream(s) (load "
            f"{_load()}) ...", flush=True)
      rate, keys = time_reader(manifest, pipeline, streams, args)
      consumed = streams * 1000.0 / step_ms
      rows.append((pipeline, streams, rate, rate / consumed, keys))
  print()
  print(f"Records: {info['totals']['instances']:,} instances in "
        f"{args.num_shards} shards, aux labels {info['settings']['aux_labels']}"
        f", batch {args.batch_size}; keys per batch: {len(rows[0][4])}")
  print(f"TEAMS-small train step: {step_ms:.0f} ms ({step_note}) = "
        f"{1000.0 / step_ms:.2f} batches/s per stream consumed")
  print()
  print("| pipeline | streams | reader batches/s | sequences/s | "
        "step consumes batches/s | reader / step | >= 10x |")
  print("|---|---:|---:|---:|---:|---:|---|")
  for pipeline, streams, rate, ratio, _ in rows:
    print(f"| {pipeline} | {streams} | {rate:,.1f} | "
          f"{rate * args.batch_size:,.0f} | {streams * 1000.0 / step_ms:.2f} "
          f"| {ratio:,.1f}x | {'PASS' if ratio >= _TARGET else 'FAIL'} |")
  ours = [r for r in rows if r[0] == "batched"]
  if ours:
    worst = min(r[3] for r in ours)
    print()
    print(f"Bottleneck: {'the train step' if worst >= 1 else 'the reader'} "
          f"(the reader supplies at least {worst:,.1f}x what the step "
          "consumes).")
  print(f"Load average before {load_before}, after {_load()}.")
  return 0 if all(r[3] >= _TARGET for r in ours) else 1


if __name__ == "__main__":
  sys.exit(main())
