"""The manifest written beside the shards: what was built, from what, and how.

JSON with the settings, the vocab's sha256, the inputs, the feature layout,
per-shard counts (documents, instances, tokens, bytes), every skip and repair
by reason with example locations, and the timing.
"""
import json
import time

from tfrecords_tools import file_io
from tfrecords_tools.s2_tokens import vocab as vocab_lib

FORMAT_VERSION = 1


def make(config, files, vocab: vocab_lib.Vocab, idf_meta, shards, report,
         seconds, num_workers, runner) -> dict:
  totals = {k: sum(s[k] for s in shards)
            for k in ("documents", "instances", "tokens", "bytes")}
  return {
      "format_version": FORMAT_VERSION,
      "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
      "settings": config.to_json(),
      "vocab": {"path": vocab.path, "sha256": vocab.sha256, "size": len(vocab)},
      "idf": idf_meta,
      "inputs": [{"path": f, "bytes": _size(f)} for f in files],
      "features": [{"name": s.name, "dtype": s.dtype,
                    "shape": [s.size(config.max_seq_length,
                                     config.max_predictions_per_seq)]}
                   for s in config.feature_specs()],
      "shards": shards,
      "totals": totals,
      "report": report.to_json(),
      "run": {"seconds": round(seconds, 3), "num_workers": num_workers,
              "runner": runner,
              "instances_per_second": round(totals["instances"] /
                                            max(seconds, 1e-9), 1)},
  }


def _size(path):
  try:
    return file_io.getsize(path)
  except Exception:  # pylint: disable=broad-except
    # OSError locally; tf.errors.NotFoundError (not an OSError) remotely.
    return None


def write(path: str, manifest: dict) -> None:
  """Writes the manifest; the build calls it last (see file_io's doc)."""
  file_io.write_text_atomically(path, json.dumps(manifest, indent=1))


def read(path: str) -> dict:
  with file_io.open_file(path) as f:
    return json.load(f)


def summary(manifest: dict) -> dict:
  """The manifest without the per-feature and per-input detail."""
  return {k: manifest[k] for k in ("settings", "vocab", "totals", "shards",
                                   "report", "run")}
