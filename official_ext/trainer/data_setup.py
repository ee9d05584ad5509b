"""Resolves and checks the pretraining data an experiment names.

`pretrain_data(...)` (gin: `train/pretrain_data`, `eval/pretrain_data`)
turns a build's `manifest.json` -- or an explicit `input_path` plus shapes --
into a `PretrainData`: the reader config, the shard files, and the vocab size.
Everything is checked here, before any model is built: the manifest and every
shard it lists exist and have the size the manifest records (a truncated or
half-finished copy is caught before step 1, in one line naming the shard,
the expected and the found size), the vocab file exists and is the one the
records were built with (sha256), and explicit bindings agree with the
manifest. Each error names the path or binding at fault.

The auxiliary labels a run reads also choose the input it trains on, as
olfmlm formats each run's input by its tasks: records built with TCP/SCP
(corruption) or TGS (trigram shuffle) labels give their corrupted view only
to a run that reads those labels, and the plain input to every other run
(`features.view_prefix`; a run no view fits is refused).
"""

import concurrent.futures
import dataclasses
import json
import os
from typing import Optional, Sequence, Tuple

import tensorflow as tf

from official_ext.data import features
from official_ext.data import pretrain_reader
from official_ext.data import record_integrity
from tfrecords_tools.s2_tokens import vocab as vocab_lib

NO_DATA_HELP = ('pass --data_manifest=PATH/manifest.json (or bind '
                "DATA_MANIFEST = '...', or pretrain_data.input_path with "
                'seq_length, max_predictions_per_seq and vocab_file)')


class DataError(ValueError):
  """Training data that cannot be used; the message names the culprit."""


@dataclasses.dataclass(frozen=True)
class PretrainData:
  """A checked data source.

  Attributes:
    config: the reader config (`input_path` = the comma-joined `files`).
    files: the shard files, in the manifest's order.
    vocab_size: rows of the vocab the records' ids index.
    vocab_file: the vocab file, when known.
    source: the manifest (or input_path) the data came from, for messages.
  """
  config: pretrain_reader.AuxPretrainDataConfig
  files: Tuple[str, ...]
  vocab_size: int
  vocab_file: Optional[str]
  source: str


def _read_manifest(path):
  if not tf.io.gfile.exists(path):
    raise DataError(f'data manifest {path!r} does not exist; {NO_DATA_HELP}.')
  try:
    with tf.io.gfile.GFile(path) as f:
      manifest = json.load(f)
    if 'max_seq_length' not in manifest['settings']:
      raise KeyError('settings.max_seq_length')
  except (ValueError, KeyError) as e:
    raise DataError(f'data manifest {path!r} is not a builder manifest: '
                    f'{e!r}') from e
  return manifest


def _shard_problem(file, expected):
  """(file, 'missing' or the size problem) or None (stats run in threads:
  one request per shard on a bucket)."""
  try:
    problem = record_integrity.size_problem(file, expected)
  except tf.errors.NotFoundError:
    problem = 'missing'
  return (file, problem) if problem else None


def _manifest_files(path, manifest):
  """The shard files the manifest lists; each must exist with the size the
  manifest records."""
  out_dir = os.path.dirname(path)
  shards = [s for s in manifest.get('shards', []) if s.get('instances', 1)]
  files = [os.path.join(out_dir, s['file']) for s in shards]
  if not files:
    raise DataError(f'data manifest {path!r} lists no non-empty shard.')
  with concurrent.futures.ThreadPoolExecutor(16) as pool:
    problems = [p for p in pool.map(_shard_problem, files,
                                    [s.get('bytes') for s in shards]) if p]
  missing = [f for f, problem in problems if problem == 'missing']
  if missing:
    raise DataError(f'data file {missing[0]!r} listed in {path!r} is missing'
                    f' ({len(missing)} of {len(files)} shards missing).')
  if problems:
    file, problem = problems[0]
    raise DataError(f'data file {file!r} listed in {path!r}: {problem} '
                    f'({len(problems)} of {len(files)} shards differ).')
  return files


def _glob_files(input_path):
  files = []
  for pattern in input_path.split(','):
    matched = sorted(tf.io.gfile.glob(pattern.strip()))
    if not matched:
      raise DataError(f'data file pattern {pattern.strip()!r} '
                      '(pretrain_data.input_path) matches no file.')
    files.extend(matched)
  return files


def _find_vocab(named, manifest_path):
  """`named` as given, else relative to the manifest's dir and its parent."""
  candidates = [named]
  if manifest_path and not os.path.isabs(named):
    here = os.path.dirname(manifest_path if '://' in manifest_path
                           else os.path.abspath(manifest_path))
    for base in (here, os.path.dirname(here)):
      candidates += [os.path.join(base, named),
                     os.path.join(base, os.path.basename(named))]
  for path in candidates:
    if tf.io.gfile.exists(path):
      return path
  raise DataError(
      f'vocab file {named!r}' +
      (f' named by {manifest_path!r}' if manifest_path else '') +
      f' does not exist (looked at {sorted(set(candidates))}); bind '
      "pretrain_data.vocab_file='...'.")


def _check_vocab(path, manifest, manifest_path):
  try:
    vocab = vocab_lib.load_vocab(path)
  except vocab_lib.VocabError as e:
    raise DataError(str(e)) from e
  want = (manifest or {}).get('vocab', {})
  if want.get('sha256') and want['sha256'] != vocab.sha256:
    raise DataError(
        f'vocab file {path!r} (sha256 {vocab.sha256[:12]}, {len(vocab.tokens)}'
        f' tokens) is not the vocab {manifest_path!r} was built with (sha256 '
        f"{want['sha256'][:12]}, {want.get('size')} tokens).")
  return len(vocab.tokens)


def _agree(name, bound, found, manifest_path):
  if bound is not None and found is not None and bound != found:
    raise DataError(f'pretrain_data.{name}={bound!r} disagrees with '
                    f'{manifest_path!r}, which says {found!r}.')
  return found if found is not None else bound


def manifest_casing(data: PretrainData) -> Optional[bool]:
  """The `do_lower_case` the records were built with (None: no manifest)."""
  if not data.source.endswith('.json') or not tf.io.gfile.exists(
      data.source):
    return None
  return _read_manifest(data.source)['settings'].get('do_lower_case')


def _view_without_manifest(first_file: str, aux_labels) -> str:
  """The view of records named by `input_path` alone: the changed one when
  the run reads a label that changes the input and the records hold that
  view apart (a `--corruption_view=separate` build), read off the keys of
  the first record; the only one otherwise."""
  if not features.input_changes(aux_labels):
    return ''
  changed = features.CORRUPTED_PREFIX + features.INPUT_IDS
  for raw in tf.data.TFRecordDataset(first_file).take(1):
    keys = tf.train.Example.FromString(raw.numpy()).features.feature
    return features.CORRUPTED_PREFIX if changed in keys else ''
  return ''


def pretrain_data(manifest: Optional[str] = None,
                  input_path: Optional[str] = None,
                  global_batch_size: int = 256, is_training: bool = True,
                  seq_length: Optional[int] = None,
                  max_predictions_per_seq: Optional[int] = None,
                  vocab_file: Optional[str] = None,
                  vocab_size: Optional[int] = None,
                  aux_labels: Sequence[str] = (), paired: bool = False,
                  next_sentence_labels: bool = False,
                  shuffle_buffer_size: int = 1000, seed: int = 0,
                  cycle_length: int = 4) -> PretrainData:
  """A checked `PretrainData` (see the module docstring).

  Args:
    manifest: a build's manifest.json; supplies files, shapes and vocab.
    input_path: comma-separated globs, when there is no manifest.
    global_batch_size: records per step over all replicas.
    is_training: repeat and shuffle (training) or read once in order (eval).
    seq_length, max_predictions_per_seq: record shapes (from the manifest
      when there is one; a binding must then agree with it).
    vocab_file: overrides the manifest's vocab path (must be the same vocab).
    vocab_size: needed without manifest or vocab_file; else checked.
    aux_labels: auxiliary labels to read (a subset of the manifest's);
      they choose the input view (module docstring).
    paired: records hold continuation pairs (from the manifest if given).
    next_sentence_labels: also read `next_sentence_labels` (the NSP, ASP,
      SO or SDP labels of records built with that --pair_mode).
    shuffle_buffer_size, seed, cycle_length: training order (deterministic
      for a fixed seed; see `train_input`).
  """
  if manifest is None and input_path is None:
    raise DataError(f'no data given: {NO_DATA_HELP}.')
  info, found_vocab_size, pair_mode, view = None, None, '', ''
  if manifest is not None:
    info = _read_manifest(manifest)
    files = _manifest_files(manifest, info)
    settings = info['settings']
    seq_length = _agree('seq_length', seq_length, settings['max_seq_length'],
                        manifest)
    max_predictions_per_seq = _agree(
        'max_predictions_per_seq', max_predictions_per_seq,
        settings['max_predictions_per_seq'], manifest)
    missing = sorted(set(aux_labels) - set(settings.get('aux_labels', ())))
    if missing:
      raise DataError(f'pretrain_data.aux_labels asks for {missing}, which '
                      f'{manifest!r} was not built with.')
    try:
      view = pretrain_reader.view_for(settings, aux_labels)
    except ValueError as e:
      raise DataError(f'{manifest}: {e}') from None
    pair_mode = settings.get('pair_mode', '')
    paired = pair_mode == 'consecutive'
    if (next_sentence_labels and
        pair_mode not in pretrain_reader.LABELLED_PAIR_MODES):
      raise DataError(
          f'pretrain_data.next_sentence_labels=True but {manifest!r} was '
          f'built with --pair_mode={pair_mode}, whose records carry no '
          f'sentence-task labels (one of '
          f'{pretrain_reader.LABELLED_PAIR_MODES} has them).')
    vocab_file = vocab_file or info.get('vocab', {}).get('path')
  else:
    files = _glob_files(input_path)
    if seq_length is None or max_predictions_per_seq is None:
      raise DataError('pretrain_data.input_path without a manifest needs '
                      'pretrain_data.seq_length and max_predictions_per_seq.')
    view = _view_without_manifest(files[0], aux_labels)
  if vocab_file:
    vocab_file = _find_vocab(vocab_file, manifest)
    found_vocab_size = _check_vocab(vocab_file, info, manifest)
  vocab_size = _agree('vocab_size', vocab_size, found_vocab_size,
                      vocab_file or manifest)
  if vocab_size is None:
    raise DataError(f'the vocab size of {input_path!r} is unknown; bind '
                    "pretrain_data.vocab_file='...' or vocab_size.")
  if global_batch_size <= 0:
    raise DataError(f'pretrain_data.global_batch_size={global_batch_size} '
                    'must be positive.')
  config = pretrain_reader.AuxPretrainDataConfig(
      input_path=','.join(files), global_batch_size=global_batch_size,
      is_training=is_training, seq_length=seq_length,
      max_predictions_per_seq=max_predictions_per_seq,
      use_next_sentence_label=next_sentence_labels,
      pair_mode=pair_mode, aux_labels=tuple(aux_labels), view_prefix=view,
      paired=paired, shuffle_buffer_size=shuffle_buffer_size, seed=seed,
      cycle_length=cycle_length, deterministic=True)
  return PretrainData(config=config, files=tuple(files), vocab_size=vocab_size,
                      vocab_file=vocab_file, source=manifest or input_path)
