"""Supervised tasks of multi-task training -> cached TFRecords -> tf.data.

`prepare_task(spec, vocab_file, cache_dir)` reads a task's two splits
(`supervised_formats`), tokenises them with Model Garden's WordPiece
`FullTokenizer` and writes one `tf.train.Example` per example:

  kind             sequence(s), S = spec.max_seq_length        label
  classification   [CLS] a [SEP] (b [SEP])                      class index
  regression       same                                         float
  multiple_choice  C x [CLS] context [SEP] choice_c [SEP]       correct index
  span             [CLS] question [SEP] context [SEP]           start, end

Pairs are truncated longest-first (ties cut the second text); type ids are
0 up to and including the first [SEP], 1 after. Span tokens come from
`span_features` (question at most (S - 3) // 2 pieces, the context cut to
fit, one window): training questions whose answer does not fit are dropped
and counted (`dropped_train_examples`); dev questions keep gold positions
0, 0 and are counted (`dev_outside_window`).

Cache: `cache_dir/<task>-<key>/{train,dev}.tfrecord` and `meta.json`, key =
12 hex digits of sha256 over the two files' and the vocab's sha256, the
feature-relevant spec fields (kind, format, glue_task, text_columns,
label_column, labels, max_seq_length), `do_lower_case` and
`FEATURE_VERSION` (not head or weight, which do not change features). A
directory with `meta.json` is reused as it is; files are written under
temporary names and renamed, `meta.json` last.

`PreparedTask.dataset(split, batch_size, is_training, seed)` yields dicts:
`input_word_ids`, `input_mask`, `input_type_ids` int32 `[B, S]` (`[B, C, S]`
for multiple choice); `label` int32 `[B]` (float32 for regression) or, for
span tasks, `start_positions` and `end_positions` int32 `[B]`.
"""

import dataclasses
import hashlib
import json
import os
import uuid
from typing import List, Optional, Tuple

from absl import logging
import tensorflow as tf

from official.nlp.tools import tokenization

from official_ext.multitask import span_features
from official_ext.multitask import supervised_formats as formats
from official_ext.multitask import task_spec

SupervisedDataError = formats.SupervisedDataError
FEATURE_VERSION = 1
SHUFFLE_BUFFER = 10_000
META = 'meta.json'
ID_KEYS = ('input_word_ids', 'input_mask', 'input_type_ids')
SPAN_KEYS = ('start_positions', 'end_positions')


@dataclasses.dataclass
class PreparedTask:
  """One task's cached features.

  Attributes:
    spec: the task.
    num_train: training examples (after dropping span answers that do not
      fit).
    num_dev: dev examples.
    num_classes: classes (classification), 1 (regression), else None.
    num_choices: candidates per example (multiple choice), else None.
    labels: class names in index order (classification), else None.
    feature_dir: the cache directory holding the TFRecords.
    dropped_train_examples: span training questions dropped (answer outside
      the window).
    dev_outside_window: span dev questions whose gold is 0, 0.
  """
  spec: task_spec.TaskSpec
  num_train: int
  num_dev: int
  num_classes: Optional[int]
  num_choices: Optional[int]
  labels: Optional[Tuple[str, ...]]
  feature_dir: str = ''
  dropped_train_examples: int = 0
  dev_outside_window: int = 0

  @property
  def num_predictions(self) -> Optional[int]:
    """Muppet's n: classes, candidates, positions (span); None: regression."""
    kind = self.spec.kind
    if kind == 'classification':
      return self.num_classes
    if kind == 'multiple_choice':
      return self.num_choices
    if kind == 'span':
      return self.spec.max_seq_length
    return None

  def record_path(self, split: str) -> str:
    if split not in formats.SPLITS:
      raise ValueError(f'task {self.spec.name!r}: split must be one of '
                       f'{formats.SPLITS}, got {split!r}')
    return os.path.join(self.feature_dir, f'{split}.tfrecord')

  def _feature_spec(self):
    length = self.spec.max_seq_length * (self.num_choices or 1)
    spec = {k: tf.io.FixedLenFeature([length], tf.int64) for k in ID_KEYS}
    if self.spec.kind == 'span':
      spec.update({k: tf.io.FixedLenFeature([], tf.int64)
                   for k in SPAN_KEYS})
    elif self.spec.kind == 'regression':
      spec['label'] = tf.io.FixedLenFeature([], tf.float32)
    else:
      spec['label'] = tf.io.FixedLenFeature([], tf.int64)
    return spec

  def _parse(self, serialized):
    """Batch of serialized examples -> the feature dict (int32 ids)."""
    parsed = tf.io.parse_example(serialized, self._feature_spec())
    out = {}
    for key, value in parsed.items():
      if value.dtype == tf.int64:
        value = tf.cast(value, tf.int32)
      if key in ID_KEYS and self.num_choices:
        value = tf.reshape(value, [-1, self.num_choices,
                                   self.spec.max_seq_length])
      out[key] = value
    return out

  def dataset(self, split: str, batch_size: int, is_training: bool,
              seed: int = 0, skip_batches: int = 0,
              record_path: Optional[str] = None) -> tf.data.Dataset:
    """Batches of one split.

    Args:
      split: 'train' or 'dev'.
      batch_size: examples per batch B.
      is_training: True: shuffled with `seed`, repeated forever, full
        batches only; False: one pass in file order, last batch may be
        smaller.
      seed: shuffle seed.
      skip_batches: batches left out at the start, before they are parsed
        (a resumed run's data position).
      record_path: read this file instead of the split's (a repaired copy:
        `trainer/corrupt_records`).

    Returns:
      A dataset of feature dicts (see the module docstring for keys and
      shapes).
    """
    path = record_path or self.record_path(split)
    if not isinstance(batch_size, int) or batch_size < 1:
      raise ValueError(f'task {self.spec.name!r}: batch_size must be a '
                       f'positive int, got {batch_size!r}')
    ds = tf.data.TFRecordDataset(path)
    if is_training:
      size = self.num_train if split == 'train' else self.num_dev
      ds = ds.shuffle(min(size, SHUFFLE_BUFFER), seed=seed,
                      reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch_size, drop_remainder=is_training).skip(skip_batches)
    ds = ds.map(self._parse, num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _file_digest(path):
  digest = hashlib.sha256()
  with tf.io.gfile.GFile(path, 'rb') as f:
    while True:
      chunk = f.read(1 << 20)
      if not chunk:
        return digest.hexdigest()
      digest.update(chunk)


def cache_key(spec: task_spec.TaskSpec, vocab_file: str,
              do_lower_case: bool) -> str:
  """12 hex digits naming the task's feature directory."""
  parts = {
      'train': _file_digest(formats.split_file(spec, 'train')),
      'dev': _file_digest(formats.split_file(spec, 'dev')),
      'vocab': _file_digest(vocab_file),
      'spec': {'kind': spec.kind, 'format': spec.resolved_format,
               'glue_task': spec.glue_task,
               'text_columns': list(spec.text_columns),
               'label_column': spec.label_column,
               'labels': list(spec.labels) if spec.labels else None,
               'max_seq_length': spec.max_seq_length},
      'do_lower_case': bool(do_lower_case),
      'version': FEATURE_VERSION,
  }
  return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()
                        ).hexdigest()[:12]


def _ints(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def truncate_pair(tokens_a: List[str], tokens_b: Optional[List[str]],
                  max_tokens: int) -> Tuple[List[str], Optional[List[str]]]:
  """Cuts the longer text (the second on ties) until both fit."""
  a = list(tokens_a)
  if tokens_b is None:
    return a[:max_tokens], None
  b = list(tokens_b)
  while len(a) + len(b) > max_tokens:
    (a if len(a) > len(b) else b).pop()
  return a, b


class _Featurizer:
  """Examples of one task -> `tf.train.Example`s."""

  def __init__(self, spec, vocab_file, do_lower_case, labels):
    self.spec = spec
    self.length = spec.max_seq_length
    self.tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case)
    for token in ('[CLS]', '[SEP]'):
      if token not in self.tokenizer.vocab:
        raise SupervisedDataError(f'vocab {vocab_file} has no {token} token '
                                  f'(task {spec.name!r})')
    self.label_index = {l: i for i, l in enumerate(labels or ())}

  def pack(self, tokens_a, tokens_b=None):
    """[CLS] a [SEP] (b [SEP]) -> (ids, mask, type ids), padded to S."""
    tokens = ['[CLS]'] + tokens_a + ['[SEP]']
    types = [0] * len(tokens)
    if tokens_b is not None:
      tokens += tokens_b + ['[SEP]']
      types += [1] * (len(tokens_b) + 1)
    ids = self.tokenizer.convert_tokens_to_ids(tokens)
    pad = [0] * (self.length - len(ids))
    return ids + pad, [1] * len(ids) + pad, types + pad

  def pair(self, text_a, text_b):
    a = self.tokenizer.tokenize(text_a)
    b = None if text_b is None else self.tokenizer.tokenize(text_b)
    a, b = truncate_pair(a, b, self.length - (2 if b is None else 3))
    return self.pack(a, b)

  def _example(self, ids, mask, types, **extra):
    features = {'input_word_ids': _ints(ids), 'input_mask': _ints(mask),
                'input_type_ids': _ints(types)}
    features.update(extra)
    return tf.train.Example(features=tf.train.Features(feature=features))

  def text(self, ex: formats.TextExample):
    if self.spec.kind == 'regression':
      label = tf.train.Feature(float_list=tf.train.FloatList(
          value=[ex.label]))
    else:
      label = _ints([self.label_index[ex.label]])
    return self._example(*self.pair(ex.text_a, ex.text_b), label=label)

  def choice(self, ex: formats.ChoiceExample):
    columns = ([], [], [])
    for choice in ex.choices:
      for column, values in zip(columns, self.pair(ex.context, choice)):
        column.extend(values)
    return self._example(*columns, label=_ints([ex.label]))

  def span(self, ex: formats.SpanExample):
    """(record, answer in window)."""
    tokens = span_features.span_tokens(
        self.tokenizer, ex.question, ex.context, ex.answer_start,
        ex.answer_text, self.length)
    start, end = (tokens.start, tokens.end) if tokens.in_window else (0, 0)
    record = self._example(*self.pack(tokens.question, tokens.context),
                           start_positions=_ints([start]),
                           end_positions=_ints([end]))
    return record, tokens.in_window


def _featurize(featurizer, examples, split):
  """(serialized records, examples dropped or out of window)."""
  kind = featurizer.spec.kind
  records, outside = [], 0
  for ex in examples:
    if kind == 'span':
      record, in_window = featurizer.span(ex)
      if not in_window:
        outside += 1
        if split == 'train':
          continue
    elif kind == 'multiple_choice':
      record = featurizer.choice(ex)
    else:
      record = featurizer.text(ex)
    records.append(record.SerializeToString())
  return records, outside


def _atomic_write(path, write):
  tmp = f'{path}.tmp-{uuid.uuid4().hex}'
  write(tmp)
  tf.io.gfile.rename(tmp, path, overwrite=True)


def _write_records(path, records):
  def write(tmp):
    with tf.io.TFRecordWriter(tmp) as writer:
      for record in records:
        writer.write(record)
  _atomic_write(path, write)


def _write_json(path, value):
  def write(tmp):
    with tf.io.gfile.GFile(tmp, 'w') as f:
      json.dump(value, f, indent=2, sort_keys=True)
  _atomic_write(path, write)


def _from_meta(spec, feature_dir, meta):
  labels = meta['labels']
  return PreparedTask(
      spec=spec, num_train=meta['num_train'], num_dev=meta['num_dev'],
      num_classes=meta['num_classes'], num_choices=meta['num_choices'],
      labels=tuple(labels) if labels is not None else None,
      feature_dir=feature_dir,
      dropped_train_examples=meta['dropped_train_examples'],
      dev_outside_window=meta['dev_outside_window'])


def _load_cached(spec, feature_dir):
  meta_path = os.path.join(feature_dir, META)
  if not tf.io.gfile.exists(meta_path):
    return None
  for split in formats.SPLITS:
    if not tf.io.gfile.exists(os.path.join(feature_dir, f'{split}.tfrecord')):
      return None
  with tf.io.gfile.GFile(meta_path, 'r') as f:
    meta = json.load(f)
  logging.info('task %s: reusing %s (%d train, %d dev examples)', spec.name,
               feature_dir, meta['num_train'], meta['num_dev'])
  return _from_meta(spec, feature_dir, meta)


def prepare_task(spec: task_spec.TaskSpec, vocab_file: str, cache_dir: str,
                 do_lower_case: bool = True) -> PreparedTask:
  """Reads, checks, tokenises and caches one task (or reuses its cache).

  Args:
    spec: the task.
    vocab_file: WordPiece vocab (the pretraining one).
    cache_dir: parent of the per-task feature directories.
    do_lower_case: lower-case and strip accents before WordPiece.

  Returns:
    The `PreparedTask`.

  Raises:
    SupervisedDataError: a missing or malformed file, an empty split (also
      when every span training answer falls outside the window).
    task_spec.TaskSpecError: inconsistent settings.
  """
  spec.check()
  if not tf.io.gfile.exists(vocab_file):
    raise SupervisedDataError(f'task {spec.name!r}: vocab file {vocab_file} '
                              f'does not exist')
  feature_dir = os.path.join(
      cache_dir, f'{spec.name}-{cache_key(spec, vocab_file, do_lower_case)}')
  cached = _load_cached(spec, feature_dir)
  if cached is not None:
    return cached

  train = formats.read_split(spec, 'train')
  dev = formats.read_split(spec, 'dev')
  labels = formats.class_labels(spec, train, dev)
  choices = (formats.num_choices(spec, train, dev)
             if spec.kind == 'multiple_choice' else None)
  featurizer = _Featurizer(spec, vocab_file, do_lower_case, labels)
  train_records, dropped = _featurize(featurizer, train, 'train')
  dev_records, outside = _featurize(featurizer, dev, 'dev')
  if not train_records:
    raise SupervisedDataError(
        f'task {spec.name!r} (train split): no examples left: all '
        f'{len(train)} answers fall outside the window of max_seq_length '
        f'{spec.max_seq_length} (file {spec.train_file})')

  tf.io.gfile.makedirs(feature_dir)
  _write_records(os.path.join(feature_dir, 'train.tfrecord'), train_records)
  _write_records(os.path.join(feature_dir, 'dev.tfrecord'), dev_records)
  num_classes = (len(labels) if labels else
                 1 if spec.kind == 'regression' else None)
  meta = {'task': spec.name, 'kind': spec.kind,
          'train_file': spec.train_file, 'dev_file': spec.dev_file,
          'vocab_file': vocab_file, 'do_lower_case': bool(do_lower_case),
          'max_seq_length': spec.max_seq_length,
          'num_train': len(train_records), 'num_dev': len(dev_records),
          'num_classes': num_classes, 'num_choices': choices,
          'labels': list(labels) if labels else None,
          'dropped_train_examples': dropped, 'dev_outside_window': outside,
          'feature_version': FEATURE_VERSION}
  _write_json(os.path.join(feature_dir, META), meta)
  logging.info('task %s (%s): %d train examples (%d dropped), %d dev '
               'examples -> %s', spec.name, spec.kind, len(train_records),
               dropped, len(dev_records), feature_dir)
  return _from_meta(spec, feature_dir, meta)
