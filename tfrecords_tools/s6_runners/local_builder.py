"""Runs the build on this machine: one reader/tokenizer, N shard-owning workers.

The main process reads and tokenizes chunks (no TensorFlow) and sends every
tokenized chunk to every worker. Worker w owns the shards s with
s % num_workers == w: it transforms only the documents of those shards and
writes them itself, so no record crosses a process boundary. Workers are
spawned and import only NumPy (no TensorFlow state is forked).

Bounded queues keep at most a few chunks in flight, so memory does not grow
with the corpus. A shard holds its documents in input order (then a seeded
shuffle buffer) and each document's randomness is seeded by its position, so
the bytes are the same for any worker count. With one worker everything runs
in-process. Workers end with their parent, even one killed by SIGKILL
(`worker_lifetime`).
"""
import multiprocessing
import os
import queue
import time
import traceback

from absl import logging

from tfrecords_tools import build_report
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s5_records import chunk_transform
from tfrecords_tools.s5_records import shard_writer
from tfrecords_tools.s6_runners import worker_lifetime

_QUEUE_DEPTH = 4


class WorkerError(RuntimeError):
  """A transform worker failed; carries its traceback."""


class _Share:
  """Transforms and writes the documents of one worker's shards."""

  def __init__(self, worker, num_workers, config, vocab, idf, output_dir,
               prefix, shuffle_buffer):
    n = config.num_shards
    self.transform = chunk_transform.ChunkTransformer(config, vocab, idf)
    self.owned = lambda f, d: (shard_writer.shard_of(f, d, n) % num_workers
                               == worker)
    self.writer = shard_writer.ShardWriter(
        output_dir, prefix, n, shuffle_buffer, config.random_seed,
        shards=[s for s in range(n) if s % num_workers == worker])
    self.report = build_report.BuildReport()
    self.num_shards = n

  def process(self, chunk):
    """Returns (documents, instances) written from the chunk."""
    result = self.transform(chunk, keep=self.owned)
    self.report.merge(result.report)
    for doc_index, records, tokens in zip(result.doc_indices, result.records,
                                          result.tokens):
      self.writer.add_document(
          shard_writer.shard_of(chunk.file_index, doc_index, self.num_shards),
          records, tokens)
    return len(result.doc_indices), sum(len(r) for r in result.records)


def _worker_main(parent_pid, worker, num_workers, config, vocab_path, idf,
                 output_dir, prefix, shuffle_buffer, inbox, outbox):
  worker_lifetime.bind_to_parent(parent_pid)  # no orphan if the parent dies
  share = None
  try:
    share = _Share(worker, num_workers, config, vocab_lib.load_vocab(vocab_path),
                   idf, output_dir, prefix, shuffle_buffer)
    while True:
      chunk = inbox.get()
      if chunk is None:
        break
      outbox.put(("progress", worker, share.process(chunk)))
    outbox.put(("done", worker, (share.writer.close(), share.report)))
  except BaseException:  # pylint: disable=broad-except
    if share is not None:
      share.writer.abort()
    outbox.put(("error", worker, traceback.format_exc()))


class _Progress:
  """Logs documents, instances and the rate every `every` seconds."""

  def __init__(self, every=10.0):
    self.start = self.last = time.time()
    self.every = every
    self.docs = self.instances = 0

  def add(self, docs, instances):
    self.docs += docs
    self.instances += instances
    now = time.time()
    if now - self.last >= self.every:
      self.last = now
      logging.info("%d documents, %d instances written (%.0f instances/s)",
                   self.docs, self.instances,
                   self.instances / (now - self.start))


def build(config, files, vocab, tokenizer, idf, output_dir, prefix,
          shuffle_buffer, num_workers, source=None):
  """Builds every shard into temp files.

  Returns:
    (BuildReport, {shard: stats}); the caller renames the temp files.
  """
  report = build_report.BuildReport()
  progress = _Progress()
  chunks = corpus_reader.iter_chunks(
      files, config.docs_per_chunk, report,
      max_undecodable_share=config.max_undecodable_share, source=source)
  with_cap = "cap" in config.aux_labels
  if num_workers <= 1:
    share = _Share(0, 1, config, vocab, idf, output_dir, prefix,
                   shuffle_buffer)
    try:
      for chunk in chunks:
        progress.add(*share.process(tokenizer.tokenize(chunk, report,
                                                       with_cap)))
    except BaseException:
      share.writer.abort()
      raise
    report.merge(share.report)
    return report, share.writer.close()
  return _build_parallel(config, chunks, vocab, tokenizer, idf, output_dir,
                         prefix, shuffle_buffer, num_workers, report, progress,
                         with_cap)


def _build_parallel(config, chunks, vocab, tokenizer, idf, output_dir, prefix,
                    shuffle_buffer, num_workers, report, progress, with_cap):
  ctx = multiprocessing.get_context("spawn")
  outbox = ctx.Queue()
  inboxes = [ctx.Queue(_QUEUE_DEPTH) for _ in range(num_workers)]
  procs = [ctx.Process(target=_worker_main, daemon=True,
                       args=(os.getpid(), w, num_workers, config,
                             vocab.path, idf, output_dir, prefix,
                             shuffle_buffer, inboxes[w], outbox))
           for w in range(num_workers)]
  for p in procs:
    p.start()
  stats, done = {}, set()

  def drain(block):
    while True:
      try:
        kind, worker, payload = outbox.get(timeout=0.5 if block else 0)
      except queue.Empty:
        dead = [w for w, p in enumerate(procs)
                if not p.is_alive() and w not in done]
        if dead:
          raise WorkerError(f"Transform worker(s) {dead} died (exit codes "
                            f"{[procs[w].exitcode for w in dead]}).")
        return
      if kind == "error":
        raise WorkerError(f"Transform worker {worker} failed:\n{payload}")
      if kind == "progress":
        progress.add(*payload)
      else:
        shard_stats, worker_report = payload
        stats.update(shard_stats)
        report.merge(worker_report)
        done.add(worker)

  def send(inbox, item):
    while True:
      try:
        inbox.put(item, timeout=0.5)
        return
      except queue.Full:
        drain(block=False)
        drain(block=True)

  try:
    for chunk in chunks:
      tokenized = tokenizer.tokenize(chunk, report, with_cap)
      for inbox in inboxes:
        send(inbox, tokenized)
      drain(block=False)
    for inbox in inboxes:
      send(inbox, None)
    while len(done) < num_workers:
      drain(block=True)
  finally:
    for p in procs:
      if p.is_alive() and len(done) < num_workers:
        p.terminate()
      p.join(timeout=10)
  return report, stats
