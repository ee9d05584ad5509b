"""Atomic TFRecord shard writing with a seeded, bounded shuffle buffer.

Records go to `<name>.tmp` files that the caller renames (`finalize`) only
when the whole build succeeded, so an interrupted build never leaves a shard
that looks finished. Each shard keeps
a shuffle buffer (bounded memory) seeded per shard: the dupes of a document
do not sit next to each other, and the output is the same on every run.
"""
import os
from typing import Dict, List

import numpy as np

from tfrecords_tools import file_io
from tfrecords_tools.s5_records import tfrecord_io

TMP_SUFFIX = ".tmp"


def shard_paths(output_dir: str, prefix: str, num_shards: int) -> List[str]:
  return [os.path.join(output_dir, f"{prefix}-{i:05d}-of-{num_shards:05d}"
                       ".tfrecord") for i in range(num_shards)]


def shard_of(file_index: int, doc_index: int, num_shards: int) -> int:
  """Shard of a document: consecutive documents go to consecutive shards."""
  return (file_index * 1_000_003 + doc_index) % num_shards


def remove_stale(output_dir: str, prefix: str, keep: List[str]) -> List[str]:
  """Deletes leftovers of earlier runs (temp files, shards of another count)."""
  removed = []
  for path in file_io.glob(os.path.join(output_dir, f"{prefix}-*")):
    if path.endswith(TMP_SUFFIX) or (path.endswith(".tfrecord") and
                                     path not in keep):
      file_io.remove(path)
      removed.append(path)
  return removed


class ShardWriter:
  """Writes records to some of the `num_shards` files under `output_dir`.

  Args:
    output_dir: existing directory.
    prefix: file name prefix.
    num_shards: number of files of the whole build.
    shuffle_buffer: records held in memory in total, across all shards.
    seed: base seed of the per-shard buffers.
    shards: the shard numbers this writer owns (default: all).
  """

  def __init__(self, output_dir: str, prefix: str, num_shards: int,
               shuffle_buffer: int, seed: int, shards=None):
    paths = shard_paths(output_dir, prefix, num_shards)
    self.shards = list(range(num_shards)) if shards is None else list(shards)
    self.paths = {s: paths[s] for s in self.shards}
    self._writers = {s: tfrecord_io.TFRecordFileWriter(
        p + TMP_SUFFIX, opener=file_io.open_file)
                     for s, p in self.paths.items()}
    self._capacity = max(1, shuffle_buffer // num_shards)
    self._buffers = {s: [] for s in self.shards}
    self._rngs = {s: np.random.default_rng([seed, 7919, s])
                  for s in self.shards}
    self.stats = {s: {"documents": 0, "instances": 0, "tokens": 0}
                  for s in self.shards}

  def add_document(self, shard: int, records: List[bytes], tokens: int):
    """Adds one document's records to an owned shard."""
    buf, writer = self._buffers[shard], self._writers[shard]
    free = self._capacity - len(buf)
    buf.extend(records[:free])
    rest = records[free:]
    if rest:
      slots = self._rngs[shard].integers(len(buf), size=len(rest))
      for j, record in zip(slots.tolist(), rest):
        writer.write(buf[j])
        buf[j] = record
    s = self.stats[shard]
    s["documents"] += 1
    s["instances"] += len(records)
    s["tokens"] += tokens

  def close(self) -> Dict[int, Dict]:
    """Flushes buffers into the temp files; returns per-shard stats."""
    for shard in self.shards:
      buf, writer = self._buffers[shard], self._writers[shard]
      for j in self._rngs[shard].permutation(len(buf)).tolist():
        writer.write(buf[j])
      buf.clear()
      writer.close()
    return self.stats

  def abort(self):
    """Closes and deletes the temp files (after an error)."""
    for shard, writer in self._writers.items():
      writer.close()
      tmp = self.paths[shard] + TMP_SUFFIX
      file_io.remove(tmp)


def finalize(output_dir: str, prefix: str, stats: Dict[int, Dict]):
  """Renames every shard's temp file; returns the manifest's shard list."""
  paths = shard_paths(output_dir, prefix, len(stats))
  out = []
  for shard in range(len(stats)):
    file_io.replace(paths[shard] + TMP_SUFFIX, paths[shard])
    out.append(dict(file=os.path.basename(paths[shard]),
                    bytes=file_io.getsize(paths[shard]), **stats[shard]))
  return out
