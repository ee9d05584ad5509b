r"""Benchmarks our pretraining-data builder against Model Garden's, in one run.

What is measured (every builder runs as a subprocess of this script, on the
same corpus, vocab and settings: max_seq_length 128, max_predictions_per_seq
20, masked_lm_prob 0.15, dupe_factor 40, short_seq_prob 0.1, lower case, NSP
sentence pairs):

  peer          `python -m official.nlp.data.create_pretraining_data`
                (single process, pure-Python WordPiece).
  ours          `python -m tfrecords_tools.create_pretraining_data
                --pair_mode=nsp --num_workers=N` (no auxiliary labels).
  ours+all aux  the same with `--aux_labels=all`, into a fresh output dir so
                that the IDF counting pass (idf.json is created on first use)
                is part of the timing.
  ours 8x       ours (no aux labels) on the corpus concatenated 8 times (a
                blank line kept between copies, so documents never merge).
  peer 8x       only with --peer_8x.

For each run:
  * wall time: from process start to exit (time.perf_counter);
  * peak RSS: every ~50 ms (--poll_ms) the RSS of the process and all its
    descendants (psutil, recursive) is summed and the maximum kept. Pages
    shared by forked workers are counted once per process, so this is an
    upper bound on real memory use (the same rule for both builders);
  * documents: ours from <output_dir>/manifest.json "totals"; the peer's is
    the number of documents of the corpus (blank-line separated groups of
    non-blank lines), which is also printed next to ours as a cross-check;
  * instances: ours from manifest.json "totals" (cross-checked by counting
    the records of the written shards); peer by counting the records of its
    output file (the TFRecord framing is read directly, TensorFlow is not
    imported here);
  * CPU seconds (user + sys of the process tree, from getrusage of waited
    children), as a hint of how much the machine's load affected wall time.

Start-up cost: once per builder, the wall time of a subprocess that only
imports what the builder imports (peer: `import
official.nlp.data.create_pretraining_data`; ours: the builder's modules, then
load the vocab, build the tokenizer, read and tokenize the first document:
"first document"). Rates are given on the full wall time and on wall time
minus start-up ("steady"). Ratios are ours / peer on instances/s.

Target checks printed at the end: ours >= 8x the peer's instances/s on the
1x corpus, ours on the 8x corpus >= 15x (against the peer on 8x with
--peer_8x, else against its 1x rate, which does not grow with the corpus),
ours with all auxiliary labels >= 4x, ours' first document within 1 s of
launch, ours' peak RSS <= 400 MB on 1x and, on the 8x corpus, <= 1.2x its
peak RSS on 1x. With --skip_peer the peer is not run and no ratio is shown
(the numbers in shared/spec/peer_baselines.md are deliberately not used:
absolute times differ between machines).

Usage (from the repo root; `make bench` does the first):
  .venv/bin/python bench/data_builder_bench.py
  .venv/bin/python bench/data_builder_bench.py --skip_peer --keep \
    --work_dir=/tmp/bench
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import psutil

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_CORPUS = os.path.join(_REPO, "data", "wikitext2", "valid.bert.txt")
_DEFAULT_VOCAB = os.path.join(_REPO, "data", "wikitext2",
                              "vocab_uncased_8k.txt")

# Settings shared by every run (the peer's flag names; ours accepts them too).
_COMMON = ["--max_seq_length=128", "--max_predictions_per_seq=20",
           "--masked_lm_prob=0.15", "--dupe_factor=40", "--short_seq_prob=0.1"]
_PEER_MODULE = "official.nlp.data.create_pretraining_data"
_OURS_MODULE = "tfrecords_tools.create_pretraining_data"
_PEER_IMPORTS = "import official.nlp.data.create_pretraining_data"
# Ours: everything the builder does before its first document is processed:
# its imports, the vocab, the tokenizer, reading and tokenizing the first
# chunk (2 documents, the smallest chunk the reader makes).
_OURS_IMPORTS = (
    "import sys; from tfrecords_tools import build_report, "
    "create_pretraining_data; "
    "from tfrecords_tools.s1_sources import corpus_reader; "
    "from tfrecords_tools.s2_tokens import tokenizer, vocab; "
    "from tfrecords_tools.s6_runners import local_builder; "
    "r = build_report.BuildReport(); "
    "c = next(corpus_reader.iter_chunks([sys.argv[2]], 2, r)); "
    "tokenizer.Tokenizer(vocab.load_vocab(sys.argv[1]), True, 128)"
    ".tokenize(c, r)")

_RSS_TARGET = 1.2
_OURS_TARGET = 8.0
_OURS_BIG_TARGET = 15.0
_AUX_TARGET = 4.0
_FIRST_DOC_S = 1.0
_PEAK_RSS_MB = 400.0


def parse_args(argv=None):
  p = argparse.ArgumentParser(
      description=__doc__.split("\n", 1)[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--corpus", default=_DEFAULT_CORPUS,
                 help="BERT-format text: a sentence a line, a blank line "
                 "between documents.")
  p.add_argument("--vocab", default=_DEFAULT_VOCAB, help="WordPiece vocab.")
  p.add_argument("--work_dir", default=None,
                 help="Where outputs and logs go (default: a new temp dir).")
  p.add_argument("--keep", action="store_true",
                 help="Keep the work dir and every run's output (default: "
                 "delete outputs after counting, and the work dir at the end).")
  p.add_argument("--num_workers", type=int, default=2,
                 help="--num_workers for ours.")
  p.add_argument("--skip_peer", action="store_true",
                 help="Do not run the peer (no ratios, no ratio checks).")
  p.add_argument("--peer_8x", action="store_true",
                 help="Also run the peer on the 8x corpus (slow).")
  p.add_argument("--scale", type=int, default=8,
                 help="Copies of the corpus for the large-corpus run.")
  p.add_argument("--poll_ms", type=float, default=50.0,
                 help="RSS polling interval.")
  p.add_argument("--timeout", type=float, default=3600.0,
                 help="Seconds before a run is killed.")
  p.add_argument("--fail_on_miss", action="store_true",
                 help="Exit with status 1 when a target check fails.")
  p.add_argument("--python", default=sys.executable,
                 help="Interpreter for the builders (default: this one).")
  return p.parse_args(argv)


# ---------------------------------------------------------------- measuring


def _tree_rss(proc):
  """Sum of RSS (bytes) of proc and all its descendants; 0 once it is gone."""
  try:
    procs = [proc] + proc.children(recursive=True)
  except psutil.Error:
    return 0
  total = 0
  for p in procs:
    try:
      total += p.memory_info().rss
    except psutil.Error:  # exited between listing and reading
      pass
  return total


def _children_cpu():
  r = resource.getrusage(resource.RUSAGE_CHILDREN)
  return r.ru_utime + r.ru_stime


def run_measured(cmd, log_path, poll_s, timeout):
  """Runs cmd; returns dict(wall_s, peak_rss, cpu_s, returncode, log)."""
  cpu0 = _children_cpu()
  with open(log_path, "wb") as log:
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=_REPO, stdout=log, stderr=subprocess.STDOUT)
    peak = 0
    while True:
      peak = max(peak, _tree_rss(proc))
      try:
        proc.wait(timeout=poll_s)
        break
      except psutil.TimeoutExpired:
        if time.perf_counter() - start > timeout:
          for child in proc.children(recursive=True):
            child.kill()
          proc.kill()
          proc.wait()
          break
    wall = time.perf_counter() - start
  returncode = proc.returncode
  with open(log_path, "rb") as f:
    text = f.read().decode("utf-8", "replace")
  if returncode != 0:
    tail = "\n".join(text.splitlines()[-30:])
    raise RuntimeError(f"{' '.join(cmd)}\nexited with {returncode}; log "
                       f"{log_path} ends with:\n{tail}")
  return {"wall_s": wall, "peak_rss": peak,
          "cpu_s": _children_cpu() - cpu0, "log": text}


def startup_seconds(python, imports, log_path, poll_s, timeout, argv=()):
  """(wall s, peak RSS, CPU s) of a process that only does the imports."""
  r = run_measured([python, "-c", imports] + list(argv), log_path, poll_s,
                   timeout)
  return r["wall_s"], r["peak_rss"], r["cpu_s"]


def count_tfrecords(path):
  """Number of records of a TFRecord file, read from the framing only."""
  n = 0
  size = os.path.getsize(path)
  with open(path, "rb") as f:
    pos = 0
    while pos < size:
      header = f.read(12)  # uint64 length, uint32 masked crc of the length
      if len(header) < 12:
        raise ValueError(f"{path}: truncated record header at byte {pos}")
      (length,) = struct.unpack("<Q", header[:8])
      pos += 12 + length + 4  # data, uint32 masked crc of the data
      f.seek(pos)
      n += 1
  if pos != size:
    raise ValueError(f"{path}: truncated last record")
  return n


def count_documents(path):
  """Blank-line separated groups of non-blank lines."""
  docs, in_doc = 0, False
  with open(path, "r", encoding="utf-8", errors="replace") as f:
    for line in f:
      if line.strip():
        if not in_doc:
          docs += 1
          in_doc = True
      else:
        in_doc = False
  return docs


def make_scaled_corpus(src, dst, copies):
  with open(src, "rb") as f:
    text = f.read().rstrip(b"\r\n") + b"\n\n"  # end with exactly 1 blank line
  with open(dst, "wb") as f:
    for _ in range(copies):
      f.write(text)


# ------------------------------------------------------------------ builders


def run_peer(args, corpus, out_dir, label, documents, poll_s):
  os.makedirs(out_dir, exist_ok=True)
  out_file = os.path.join(out_dir, "peer.tfrecord")
  cmd = [args.python, "-m", _PEER_MODULE, f"--input_file={corpus}",
         f"--output_file={out_file}", f"--vocab_file={args.vocab}",
         "--do_lower_case=True"] + _COMMON
  print(f"[bench] {label}: running the peer ...", flush=True)
  r = run_measured(cmd, os.path.join(out_dir, "log.txt"), poll_s,
                   args.timeout)
  r["instances"] = count_tfrecords(out_file)
  r["documents"] = documents
  r["bytes"] = os.path.getsize(out_file)
  logged = [l for l in r["log"].splitlines() if "total instances" in l]
  r["note"] = logged[-1].split("]")[-1].strip() if logged else ""
  if not args.keep:
    os.remove(out_file)
  return r


def run_ours(args, corpus, out_dir, label, documents, poll_s, aux=None):
  if os.path.exists(out_dir):
    shutil.rmtree(out_dir)  # fresh: the IDF pass must be part of the timing
  cmd = [args.python, "-m", _OURS_MODULE, f"--input_file={corpus}",
         f"--vocab_file={args.vocab}", f"--output_dir={out_dir}",
         "--do_lower_case=true", "--pair_mode=nsp",
         f"--num_workers={args.num_workers}"] + _COMMON
  if aux:
    cmd.append(f"--aux_labels={aux}")
  print(f"[bench] {label}: running ours ...", flush=True)
  log_path = out_dir.rstrip("/") + ".log.txt"
  r = run_measured(cmd, log_path, poll_s, args.timeout)
  with open(os.path.join(out_dir, "manifest.json")) as f:
    manifest = json.load(f)
  totals = manifest["totals"]
  r["instances"] = totals["instances"]
  r["documents"] = totals["documents"]
  r["bytes"] = totals["bytes"]
  r["manifest_seconds"] = manifest.get("run", {}).get("seconds")
  notes = []
  counted = sum(count_tfrecords(os.path.join(out_dir, name))
                for name in sorted(os.listdir(out_dir))
                if name.endswith(".tfrecord"))
  if counted != totals["instances"]:
    notes.append(f"MISMATCH: shards hold {counted} records, manifest says "
                 f"{totals['instances']}")
  if totals["documents"] != documents:
    notes.append(f"manifest documents {totals['documents']} != corpus "
                 f"documents {documents}")
  r["note"] = "; ".join(notes)
  if not args.keep:
    shutil.rmtree(out_dir)
  return r


# ----------------------------------------------------------------- reporting


def _machine():
  model = "unknown"
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          model = line.split(":", 1)[1].strip()
          break
  except OSError:
    pass
  try:
    usable = len(os.sched_getaffinity(0))
  except AttributeError:
    usable = os.cpu_count()
  mem = psutil.virtual_memory().total / 2**30
  return (f"nproc {usable} (os.cpu_count {os.cpu_count()}), CPU {model}, "
          f"{mem:.1f} GiB RAM, {platform.system()} {platform.release()}")


def _versions():
  out = [f"Python {platform.python_version()}"]
  for dist in ("tensorflow", "tf-models-official", "tensorflow-text",
               "psutil", "official_ext"):
    try:
      out.append(f"{dist} {importlib.metadata.version(dist)}")
    except importlib.metadata.PackageNotFoundError:
      pass
  return ", ".join(out)


def _scale(label):
  """'ours 8x' -> '8x'; labels without a scale are on the 1x corpus."""
  last = label.split()[-1]
  return last if last[:-1].isdigit() and last.endswith("x") else "1x"


def print_report(args, rows, peer_rows, startup, corpus_info, load_before):
  """rows: list of (label, result, builder, peer_label or None)."""
  print()
  print("## Pretraining-data builder benchmark")
  print()
  print(f"Corpus: {corpus_info}")
  print(f"Settings: {' '.join(_COMMON)} --do_lower_case, NSP pairs; ours "
        f"--num_workers={args.num_workers}")
  print(f"Machine: {_machine()}")
  print(f"Versions: {_versions()}")
  print(f"Load average before / after: {load_before} / "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
  print()
  head = ["run", "wall s", "startup s", "documents/s", "instances/s (wall)",
          "instances/s (steady)", "peak RSS MB", "vs peer (wall)",
          "vs peer (steady)"]
  print("| " + " | ".join(head) + " |")
  print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
  for label, r, builder, peer_label in rows:
    st = startup[builder][0]
    wall_rate = r["instances"] / r["wall_s"]
    steady_rate = r["instances"] / max(r["wall_s"] - st, 1e-9)
    r["rate_wall"], r["rate_steady"] = wall_rate, steady_rate
    vs_w = vs_s = ""
    peer = peer_rows.get(peer_label) if peer_label else None
    if peer is not None and label != peer_label:
      vs_w = f"{wall_rate / peer['rate_wall']:.2f}x"
      vs_s = f"{steady_rate / peer['rate_steady']:.2f}x"
      if _scale(label) != _scale(peer_label):
        vs_w += f" (vs {peer_label} {_scale(peer_label)})"
        vs_s += f" (vs {peer_label} {_scale(peer_label)})"
    elif peer is not None:
      vs_w = vs_s = "1.00x"
    print(f"| {label} | {r['wall_s']:.1f} | {st:.1f} | "
          f"{r['documents'] / r['wall_s']:.1f} | {wall_rate:,.0f} | "
          f"{steady_rate:,.0f} | {r['peak_rss'] / 2**20:,.0f} | {vs_w} | "
          f"{vs_s} |")
  print()
  print("Details:")
  for label, r, builder, _ in rows:
    extra = f"; {r['note']}" if r.get("note") else ""
    ms = r.get("manifest_seconds")
    ms = f", manifest run.seconds {ms:.1f}" if ms is not None else ""
    print(f"- {label}: {r['documents']:,} documents, {r['instances']:,} "
          f"instances, {r['bytes'] / 2**20:,.1f} MB written, CPU "
          f"{r['cpu_s']:.1f} s (user+sys){ms}{extra}")
  for builder, (sec, rss, cpu) in startup.items():
    print(f"- start-up ({builder}): {sec:.2f} s, peak RSS "
          f"{rss / 2**20:,.0f} MB, CPU {cpu:.2f} s")
  print()
  print("Target checks:")
  by_label = {label: r for label, r, _, _ in rows}
  peer = by_label.get("peer")
  checks = []
  for label, target in (("ours", _OURS_TARGET), ("ours+all aux", _AUX_TARGET)):
    r = by_label[label]
    if peer is None:
      print(f"- {label} >= {target:g}x peer instances/s: SKIPPED (--skip_peer)"
            f"; {label} {r['rate_wall']:,.0f}/s wall, "
            f"{r['rate_steady']:,.0f}/s steady")
      continue
    checks += _rate_checks(f"{label} >= {target:g}x peer instances/s", r,
                           peer, target)
  first_s, first_rss, first_cpu = startup["ours"]
  checks.append(first_s <= _FIRST_DOC_S)
  print(f"- ours first document (imports, vocab, tokenizer, first chunk read "
        f"and tokenized) within {_FIRST_DOC_S:g} s of launch: "
        f"{'PASS' if checks[-1] else 'FAIL'}: {first_s:.2f} s (CPU "
        f"{first_cpu:.2f} s: wall above it is waiting for a core), peak RSS "
        f"{first_rss / 2**20:,.0f} MB")
  small = by_label["ours"]
  checks.append(small["peak_rss"] / 2**20 <= _PEAK_RSS_MB)
  print(f"- ours peak RSS on the 1x corpus <= {_PEAK_RSS_MB:g} MB: "
        f"{'PASS' if checks[-1] else 'FAIL'}: "
        f"{small['peak_rss'] / 2**20:,.0f} MB")
  big = by_label[f"ours {args.scale}x"]
  ratio = big["peak_rss"] / small["peak_rss"]
  ok = ratio <= _RSS_TARGET
  checks.append(ok)
  print(f"- ours peak RSS on {args.scale}x corpus <= {_RSS_TARGET:g}x on 1x: "
        f"{'PASS' if ok else 'FAIL'}: {big['peak_rss'] / 2**20:,.0f} MB vs "
        f"{small['peak_rss'] / 2**20:,.0f} MB = {ratio:.2f}x")
  if f"peer {args.scale}x" in by_label:
    pb = by_label[f"peer {args.scale}x"]
    checks += _rate_checks(f"ours >= {_OURS_BIG_TARGET:g}x peer instances/s "
                           f"on the {args.scale}x corpus", big, pb,
                           _OURS_BIG_TARGET)
    print(f"- (info) peer peak RSS on {args.scale}x corpus: "
          f"{pb['peak_rss'] / 2**20:,.0f} MB = "
          f"{pb['peak_rss'] / peer['peak_rss']:.2f}x its 1x")
  elif peer is not None:  # the peer's rate does not grow with the corpus
    checks += _rate_checks(f"ours on the {args.scale}x corpus >= "
                           f"{_OURS_BIG_TARGET:g}x peer instances/s on 1x "
                           "(--peer_8x runs the peer on it too)", big, peer,
                           _OURS_BIG_TARGET)
  return all(checks)


def _rate_checks(what, ours, peer, target):
  """Prints the wall and steady-state ratio checks; returns their results."""
  results = []
  for kind in ("wall", "steady"):
    ratio = ours[f"rate_{kind}"] / peer[f"rate_{kind}"]
    results.append(ratio >= target)
    print(f"- {what} ({kind}): {'PASS' if results[-1] else 'FAIL'}: "
          f"{ours[f'rate_{kind}']:,.0f}/s vs {peer[f'rate_{kind}']:,.0f}/s = "
          f"{ratio:.2f}x")
  return results


def main(argv=None):
  args = parse_args(argv)
  poll_s = args.poll_ms / 1000.0
  for path in (args.corpus, args.vocab):
    if not os.path.isfile(path):
      sys.exit(f"data_builder_bench: no such file: {path}")
  args.corpus = os.path.abspath(args.corpus)
  args.vocab = os.path.abspath(args.vocab)
  own_tmp = args.work_dir is None
  work = args.work_dir or tempfile.mkdtemp(prefix="data_builder_bench-")
  work = os.path.abspath(work)
  os.makedirs(work, exist_ok=True)
  load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
  print(f"[bench] {datetime.datetime.now().isoformat(timespec='seconds')} "
        f"work dir {work}", flush=True)
  try:
    docs_1x = count_documents(args.corpus)
    big_corpus = os.path.join(work, f"corpus_{args.scale}x.txt")
    make_scaled_corpus(args.corpus, big_corpus, args.scale)
    docs_big = count_documents(big_corpus)
    if docs_big != args.scale * docs_1x:
      raise RuntimeError(f"{args.scale}x corpus has {docs_big} documents, "
                         f"expected {args.scale * docs_1x}")
    corpus_info = (f"{args.corpus} ({os.path.getsize(args.corpus) / 2**20:.2f}"
                   f" MB, {docs_1x} documents); {args.scale}x: "
                   f"{os.path.getsize(big_corpus) / 2**20:.2f} MB, {docs_big} "
                   f"documents")

    startup = {}
    builders = ([] if args.skip_peer else [("peer", _PEER_IMPORTS)]) + [
        ("ours", _OURS_IMPORTS)]
    for builder, imports in builders:
      print(f"[bench] start-up cost of {builder}: {imports}", flush=True)
      startup[builder] = startup_seconds(
          args.python, imports, os.path.join(work, f"startup_{builder}.log"),
          poll_s, args.timeout, argv=(args.vocab, args.corpus))

    rows = []  # (label, result, builder, peer label to compare with)
    peer_rows = {}
    if not args.skip_peer:
      r = run_peer(args, args.corpus, os.path.join(work, "peer_1x"), "peer",
                   docs_1x, poll_s)
      rows.append(("peer", r, "peer", "peer"))
      peer_rows["peer"] = r
    cmp_ = None if args.skip_peer else "peer"
    rows.append(("ours", run_ours(args, args.corpus,
                                  os.path.join(work, "ours_1x"), "ours",
                                  docs_1x, poll_s), "ours", cmp_))
    rows.append(("ours+all aux", run_ours(
        args, args.corpus, os.path.join(work, "ours_1x_aux_all"),
        "ours+all aux", docs_1x, poll_s, aux="all"), "ours", cmp_))
    big_label = f"ours {args.scale}x"
    peer_big = f"peer {args.scale}x"
    if args.peer_8x and not args.skip_peer:
      r = run_peer(args, big_corpus, os.path.join(work, f"peer_{args.scale}x"),
                   peer_big, docs_big, poll_s)
      peer_rows[peer_big] = r
      rows.append((peer_big, r, "peer", "peer"))
    rows.append((big_label, run_ours(
        args, big_corpus, os.path.join(work, f"ours_{args.scale}x"),
        big_label, docs_big, poll_s), "ours",
                 peer_big if peer_big in peer_rows else cmp_))
    all_ok = print_report(args, rows, peer_rows, startup, corpus_info,
                          load_before)
  finally:
    if own_tmp and not args.keep:
      shutil.rmtree(work, ignore_errors=True)
    elif args.keep:
      print(f"\n[bench] outputs kept in {work}")
  return 1 if args.fail_on_miss and not all_ok else 0


if __name__ == "__main__":
  sys.exit(main())
