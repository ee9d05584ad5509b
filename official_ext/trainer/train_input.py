"""The training input stream, positioned by the global step (exact resume).

The stream is a pure function of (files, seed, global batch size): the
files, in the manifest's order, are split over input pipelines (one per
worker under `multi_worker_mirrored`); each epoch re-orders them with a
seeded shuffle; a deterministic interleave reads them; a seeded buffer
shuffles records. Nothing depends on wall-clock or thread timing. No record
is read by two pipelines in one pass over the data:

  * at least as many files as pipelines: whole files (pipeline i reads
    files i, i + P, ...), as Model Garden does;
  * fewer files: every pipeline reads the one shuffled stream and keeps
    records i, i + P, ... of it; pipeline i's per-replica batch at step s
    is then records s * B + i + P * j (j < B / P) of that stream, so the
    pipelines together feed exactly the global batch one pipeline would:
    training is the same on any number of workers.

Resuming at global step `s`, each pipeline skips the `s * global_batch /
num_pipelines` serialized records it fed before, *before* they are parsed
(a resume re-reads those bytes but does not decode them), then decodes,
batches and post-processes exactly as `AuxPretrainDataLoader` does. So step
`s + 1` of a resumed run sees the batch an uninterrupted run would, on any
strategy -- the data position needs no iterator in the checkpoint (TF's
distributed iterators cannot be checkpointed).
"""

from typing import Optional

import tensorflow as tf

from official.core import input_reader
from official_ext.data import pretrain_reader
from official_ext.trainer import corrupt_records
from official_ext.trainer import data_setup


def _records(files, config, input_context):
  """Serialized records of this input pipeline, repeated, in a fixed order."""
  pipelines = input_context.num_input_pipelines if input_context else 1
  index = input_context.input_pipeline_id if input_context else 0
  split_files = len(files) >= pipelines
  if split_files:
    files = files[index::pipelines]
  ds = tf.data.Dataset.from_tensor_slices(list(files))
  ds = ds.shuffle(len(files), seed=config.seed, reshuffle_each_iteration=True)
  ds = ds.repeat()
  ds = ds.interleave(tf.data.TFRecordDataset,
                     cycle_length=min(len(files), config.cycle_length or 4),
                     block_length=1, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=True)
  if config.shuffle_buffer_size > 1:
    ds = ds.shuffle(config.shuffle_buffer_size, seed=config.seed + 1,
                    reshuffle_each_iteration=True)
  if not split_files:  # After the shuffle: every pipeline shuffles alike.
    ds = ds.shard(pipelines, index)
  return ds


def records_to_skip(global_step: int, global_batch_size: int,
                    input_context: Optional[tf.distribute.InputContext]):
  """Records one input pipeline fed in `global_step` steps."""
  pipelines = input_context.num_input_pipelines if input_context else 1
  if global_batch_size % pipelines:
    raise ValueError(f'global batch {global_batch_size} is not divisible by '
                     f'{pipelines} input pipelines')
  return global_step * (global_batch_size // pipelines)


class PositionedDataLoader(pretrain_reader.AuxPretrainDataLoader):
  """`AuxPretrainDataLoader` reading the stream above from `start_step`;
  a shard repaired under `--skip_corrupt_records` is read from its copy
  (`corrupt_records.substitute(repair_dir, ...)`)."""

  def __init__(self, data: data_setup.PretrainData, start_step: int,
               repair_dir: Optional[str] = None):
    super().__init__(data.config)
    self._files = data.files
    self._start_step = start_step
    self._repair_dir = repair_dir

  def load(self, input_context=None):
    params = self._params
    files = corrupt_records.substitute(self._repair_dir, self._files)
    source = _records(files, params, input_context).skip(
        records_to_skip(self._start_step, params.global_batch_size,
                        input_context))
    # Batches of serialized records, each parsed in one vectorised call
    # (`_decode_batch`: every aux label, pair halves), as the reader does.
    reader = input_reader.InputReader(
        params=params.replace(shuffle_buffer_size=1),  # Shuffled above.
        dataset_fn=tf.data.TFRecordDataset, decoder_fn=None, parser_fn=None,
        postprocess_fn=self._decode_batch)
    return reader.read(input_context, dataset=source)


def training_dataset_fn(data: data_setup.PretrainData, start_step: int,
                        streams=None, repair_dir: Optional[str] = None):
  """A `dataset_fn(input_context)` for `distribute_datasets_from_function`.

  With `streams` (name -> PretrainData), batches are dicts
  `{'main': ..., name: ...}`, every stream positioned at `start_step`.
  `repair_dir`: see `PositionedDataLoader`.
  """
  loader = PositionedDataLoader(data, start_step, repair_dir)
  if not streams:
    return loader.load
  loaders = {name: PositionedDataLoader(d, start_step, repair_dir)
             for name, d in streams.items()}

  def load(input_context=None):
    return tf.data.Dataset.zip(
        {'main': loader.load(input_context),
         **{n: l.load(input_context) for n, l in loaders.items()}})
  return load
