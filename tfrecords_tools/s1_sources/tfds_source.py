"""TFDS corpora read from a locally prepared data directory (no download).

`--tfds_name=wikipedia/20230601.en --tfds_split=train --tfds_data_dir=DIR`
reads the dataset that `download_and_prepare` (or `tfds build`) wrote under
DIR; nothing is downloaded or generated at build time. Each stored shard of
the split is one input unit ("file"), named `tfds:<name>:<split>[a:b]` with
the shard's absolute example range, so a Beam runner reads shards in
parallel and each document keeps a position independent of the runner.
Rows are numbered from 0 within the split.
"""
import re
from typing import Callable, Iterator, List, Tuple

from tfrecords_tools.s1_sources import corpus_reader

_UNIT = re.compile(r"^tfds:(?P<name>.+):(?P<split>[^:\[]+)"
                   r"\[(?P<start>\d+):(?P<end>\d+)\]$")


def _builder(name: str, data_dir: str):
  """The prepared builder, or InputError naming the dataset and directory."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  where = data_dir or "the default TFDS data dir"
  try:
    builder = tfds.builder(name, data_dir=data_dir)
  except Exception as e:  # DatasetNotFoundError, bad config names...
    raise corpus_reader.InputError(
        f"TFDS dataset {name!r} is not prepared in {where} (--tfds_name, "
        f"--tfds_data_dir): {str(e).splitlines()[0]}") from e
  if not builder.is_prepared():
    raise corpus_reader.InputError(
        f"TFDS dataset {name!r} is not prepared in {where} (--tfds_name, "
        "--tfds_data_dir); prepare it first with `tfds build` (no download "
        "happens at build time).")
  return builder


def expand(name: str, split: str, data_dir: str, text_field: str) -> List[str]:
  """The split's units: one `tfds:<name>:<split>[a:b]` per stored shard.

  Raises:
    InputError: dataset not prepared, no such split, or no such feature.
  """
  builder = _builder(name, data_dir)
  splits = builder.info.splits
  if split not in splits:
    raise corpus_reader.InputError(
        f"TFDS dataset {name!r} has no split {split!r} (--tfds_split); it "
        f"has {sorted(splits.keys())}.")
  if text_field not in builder.info.features:
    raise corpus_reader.InputError(
        f"TFDS dataset {name!r} has no feature {text_field!r} (--text_field);"
        f" it has {sorted(builder.info.features.keys())}.")
  units, start = [], 0
  for length in splits[split].shard_lengths:
    if length:
      units.append(f"tfds:{name}:{split}[{start}:{start + length}]")
    start += length
  return units


def iter_rows(unit: str, data_dir: str, text_field: str,
              bad_row: Callable[[str, str, str], None]
              ) -> Iterator[Tuple[int, str]]:
  """Yields (row number in the split, text) of one unit from `expand`."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  m = _UNIT.match(unit)
  if not m:
    raise corpus_reader.InputError(f"Not a TFDS input unit: {unit!r}.")
  builder = _builder(m["name"], data_dir)
  start = int(m["start"])
  dataset = builder.as_dataset(
      split=f"{m['split']}[{start}:{m['end']}]", shuffle_files=False,
      read_config=tfds.ReadConfig(interleave_cycle_length=1))
  for row, example in enumerate(tfds.as_numpy(dataset), start):
    raw = example[text_field]
    try:
      text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
      bad_row("tfds_text_not_utf8", f"{unit}:{row}",
              f"feature {text_field!r} is not UTF-8 ({e})")
      continue
    yield row, text
