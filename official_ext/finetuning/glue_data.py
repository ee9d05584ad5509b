"""GLUE data -> Model Garden sentence-prediction TFRecords.

Two sources, nothing downloaded:
  * `tsv`: the original GLUE TSV layout, `<data_dir>/<GLUE dir>/train.tsv`
    and `dev.tsv` (MNLI: `dev_matched.tsv`, `dev_mismatched.tsv`), or those
    files directly in `<data_dir>`. Every row is checked: its column count
    (the header's, or CoLA's 4) and its label (the task's label set; STS-B a
    score in [0, 5]); a bad row raises `GlueDataError` naming `file:line`
    (or is skipped and counted with `skip_bad_rows`).
  * `tfds`: TFDS `glue/<task>` already prepared under `tfds_data_dir`.

Rows become Model Garden `classifier_data_lib.InputExample`s and are written
by its `file_based_convert_examples_to_features` (features `input_ids`,
`input_mask`, `segment_ids` `[max_seq_length]`, `label_ids` int64 or float
for STS-B, `example_id`), which `SentencePredictionDataLoader` reads.
Outputs are cached under `cache_dir/<key>/` where the key hashes the input
files, vocab and settings.
"""

import dataclasses
import hashlib
import json
import math
import os
from typing import Dict, List, Optional

import tensorflow as tf

from official.nlp.data import classifier_data_lib
from official.nlp.tools import tokenization

from official_ext.finetuning import glue_tasks

STSB_RANGE = (0.0, 5.0)
_META = 'meta.json'


class GlueDataError(ValueError):
  """A GLUE input file or dataset is missing or malformed."""


@dataclasses.dataclass
class PreparedData:
  """TFRecords of one task, ready for the Model Garden data loader.

  Attributes:
    train_path: training TFRecord.
    num_train: training examples.
    eval_paths: eval split ('' or MNLI 'm'/'mm') -> TFRecord.
    num_eval: eval split -> examples.
    source: where the examples came from (files or TFDS name).
    skipped: bad rows skipped (`file:line: reason`), if allowed.
    test: with --predict_test, test split -> {path, count, indices}
      (`glue_submission.prepare`).
    train_subset: with --max_train_examples, the subset trained on
      (`train_subset.apply`: size, seed, of, label counts).
  """
  train_path: str
  num_train: int
  eval_paths: Dict[str, str]
  num_eval: Dict[str, int]
  source: str
  skipped: List[str] = dataclasses.field(default_factory=list)
  test: Dict[str, dict] = dataclasses.field(default_factory=dict)
  train_subset: Dict[str, object] = dataclasses.field(default_factory=dict)


def find_tsv_dir(task: glue_tasks.GlueTask, data_dir: str) -> Optional[str]:
  """The folder holding the task's `train.tsv`, or None."""
  for folder in (os.path.join(data_dir, task.glue_dir), data_dir):
    if tf.io.gfile.exists(os.path.join(folder, 'train.tsv')):
      return folder
  return None


def missing_data_message(task, data_dir, tfds_data_dir=None):
  expected = os.path.join(data_dir, task.glue_dir)
  files = ['train.tsv'] + [f for _, f in task.dev_files]
  message = (f'GLUE {task.name}: no data. Put the original GLUE TSV files '
             f'({", ".join(files)}) in {expected}/ (the layout of the GLUE '
             f'download, folder {task.glue_dir}) or directly in {data_dir}/')
  if tfds_data_dir is not None:
    message += (f', or prepare TFDS glue/{task.name} under {tfds_data_dir} '
                f'and pass --data_source=tfds')
  return message + '. Nothing is downloaded at run time.'


def _check_label(task, raw, where, label_column):
  """Returns the example label (str, or float for STS-B) or raises."""
  if task.is_regression:
    try:
      value = float(raw)
    except ValueError:
      raise GlueDataError(f'{where}: label {raw!r} (column {label_column}) is '
                          f'not a number; {task.name} labels are similarity '
                          f'scores in [{STSB_RANGE[0]}, {STSB_RANGE[1]}]'
                          ) from None
    if not (math.isfinite(value) and
            STSB_RANGE[0] <= value <= STSB_RANGE[1]):
      raise GlueDataError(f'{where}: label {value} (column {label_column}) is '
                          f'outside [{STSB_RANGE[0]}, {STSB_RANGE[1]}] '
                          f'for {task.name}')
    return value
  if raw not in task.labels:
    raise GlueDataError(f'{where}: label {raw!r} (column {label_column}) is '
                        f'not in the {task.name} label set '
                        f'{list(task.labels)}')
  return raw


def read_tsv(task: glue_tasks.GlueTask, path: str, split: str,
             skip_bad_rows: bool = False):
  """Reads and checks one GLUE TSV.

  Args:
    task: the task (columns, labels).
    path: the TSV file.
    split: guid prefix (`train`, `dev`, `dev_m` ...).
    skip_bad_rows: skip malformed rows instead of raising.

  Returns:
    (examples, skipped): `InputExample`s with `example_id` = their index, and
    `file:line: reason` of each skipped row.
  """
  with tf.io.gfile.GFile(path, 'r') as f:
    lines = f.read().split('\n')
  examples, skipped = [], []
  if task.has_header:
    if not lines or not lines[0].strip():
      raise GlueDataError(f'{path}:1: expected a header line (GLUE '
                          f'{task.glue_dir} layout), found an empty line')
    num_columns = len(lines[0].rstrip('\r').split('\t'))
    why = 'as its header on line 1'
    needed = max(task.text_a, task.text_b or 0, task.label) + 1
    if num_columns < needed:
      raise GlueDataError(
          f'{path}:1: header has {num_columns} tab-separated columns; GLUE '
          f'{task.glue_dir} files have at least {needed}')
    first = 1
  else:
    num_columns = task.num_columns
    why = f'in the GLUE {task.glue_dir} layout'
    first = 0
  for index in range(first, len(lines)):
    line = lines[index].rstrip('\r')
    if not line.strip():
      continue
    where = f'{path}:{index + 1}'
    fields = line.split('\t')
    try:
      if len(fields) != num_columns:
        raise GlueDataError(f'{where}: expected {num_columns} tab-separated '
                            f'columns ({why}), found {len(fields)}')
      label_index = task.label % num_columns
      label = _check_label(task, fields[label_index].strip(), where,
                           label_index + 1)
    except GlueDataError as e:
      if not skip_bad_rows:
        raise
      skipped.append(str(e))
      continue
    examples.append(classifier_data_lib.InputExample(
        guid=f'{split}-{index + 1}',
        text_a=tokenization.convert_to_unicode(fields[task.text_a]),
        text_b=(None if task.text_b is None else
                tokenization.convert_to_unicode(fields[task.text_b])),
        label=label, example_id=len(examples)))
  if not examples:
    raise GlueDataError(f'{path}: no examples')
  return examples, skipped


def read_tfds(task: glue_tasks.GlueTask, split: str, tfds_data_dir: str):
  """`InputExample`s of a prepared TFDS `glue/<task>` split (sorted by idx)."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder(f'glue/{task.name}', data_dir=tfds_data_dir)
  if not builder.is_prepared():
    raise GlueDataError(
        f'TFDS glue/{task.name} is not prepared under {tfds_data_dir} '
        f'(expected {builder.data_dir}); prepare it there beforehand (e.g. '
        f'`tfds build glue/{task.name} --data_dir={tfds_data_dir}` on a '
        f'machine with network) or use the GLUE TSV files. Nothing is '
        f'downloaded at run time.')
  label_feature = builder.info.features['label']
  rows = sorted(tfds.as_numpy(builder.as_dataset(split=split)),
                key=lambda row: int(row['idx']))
  examples = []
  for row in rows:
    where = f'TFDS glue/{task.name} {split} idx {int(row["idx"])}'
    raw = row['label']
    if task.is_regression:
      label = _check_label(task, str(float(raw)), where, 'label')
    elif int(raw) < 0:
      raise GlueDataError(f'{where}: unlabelled (label {int(raw)}); use a '
                          f'train or validation split')
    elif task.labels == ('0', '1'):
      label = _check_label(task, str(int(raw)), where, 'label')
    else:
      label = _check_label(task, label_feature.int2str(int(raw)), where,
                           'label')
    texts = [tokenization.convert_to_unicode(row[f])
             for f in task.tfds_fields]
    examples.append(classifier_data_lib.InputExample(
        guid=f'{split}-{int(row["idx"])}', text_a=texts[0],
        text_b=texts[1] if len(texts) > 1 else None, label=label,
        example_id=len(examples)))
  if not examples:
    raise GlueDataError(f'TFDS glue/{task.name} {split}: no examples')
  return examples


def _file_digest(path):
  digest = hashlib.sha256()
  with tf.io.gfile.GFile(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def _sources(task, data_source, data_dir, tfds_data_dir):
  """(description, {split: source}) where source is a path or TFDS split."""
  if data_source == 'tsv':
    folder = find_tsv_dir(task, data_dir)
    if folder is None:
      raise GlueDataError(missing_data_message(task, data_dir))
    sources = {'train': os.path.join(folder, 'train.tsv')}
    for split, name in task.dev_files:
      path = os.path.join(folder, name)
      if not tf.io.gfile.exists(path):
        raise GlueDataError(f'GLUE {task.name}: {path} is missing (found '
                            f'{sources["train"]}); ' +
                            missing_data_message(task, data_dir))
      sources['dev' + (f'_{split}' if split else '')] = path
    return folder, sources
  if data_source == 'tfds':
    sources = {'train': 'train'}
    for split, name in task.tfds_splits:
      sources['dev' + (f'_{split}' if split else '')] = name
    return f'tfds:glue/{task.name}@{tfds_data_dir}', sources
  raise GlueDataError(f'--data_source must be tsv, tfds or auto, got '
                      f'{data_source!r}')


def resolve_source(task, data_source, data_dir, tfds_data_dir):
  """`auto` -> `tsv` when the TSVs exist, else `tfds` when prepared."""
  if data_source != 'auto':
    return data_source
  if data_dir and find_tsv_dir(task, data_dir) is not None:
    return 'tsv'
  if tfds_data_dir:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    if tfds.builder(f'glue/{task.name}',
                    data_dir=tfds_data_dir).is_prepared():
      return 'tfds'
  raise GlueDataError(missing_data_message(task, data_dir or '<data_dir>',
                                           tfds_data_dir or '<tfds_data_dir>'))


def prepare(task: glue_tasks.GlueTask, data_dir: str, vocab_file: str,
            cache_dir: str, max_seq_length: int = 128,
            do_lower_case: bool = True, data_source: str = 'auto',
            tfds_data_dir: Optional[str] = None,
            skip_bad_rows: bool = False) -> PreparedData:
  """Checks the task's data and writes (or reuses) its TFRecords."""
  data_source = resolve_source(task, data_source, data_dir, tfds_data_dir)
  description, sources = _sources(task, data_source, data_dir, tfds_data_dir)
  key_parts = {'task': task.name, 'source': data_source,
               'vocab': _file_digest(vocab_file),
               'max_seq_length': max_seq_length,
               'do_lower_case': do_lower_case, 'skip_bad_rows': skip_bad_rows}
  if data_source == 'tsv':
    key_parts['files'] = {s: _file_digest(p) for s, p in sources.items()}
  else:
    key_parts['tfds'] = description
  key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()
                       ).hexdigest()[:16]
  out_dir = os.path.join(cache_dir, f'{task.slug}-{key}')
  meta_path = os.path.join(out_dir, _META)
  if tf.io.gfile.exists(meta_path):
    with tf.io.gfile.GFile(meta_path) as f:
      return PreparedData(**json.load(f)['prepared'])

  tokenizer = tokenization.FullTokenizer(vocab_file=vocab_file,
                                         do_lower_case=do_lower_case)
  label_list = None if task.is_regression else list(task.labels)
  label_type = float if task.is_regression else None
  paths, counts, skipped = {}, {}, []
  for split, source in sources.items():
    if data_source == 'tsv':
      examples, bad = read_tsv(task, source, split, skip_bad_rows)
      skipped.extend(bad)
    else:
      examples = read_tfds(task, source, tfds_data_dir)
    paths[split] = os.path.join(out_dir, f'{split}.tf_record')
    counts[split] = len(examples)
    classifier_data_lib.file_based_convert_examples_to_features(
        examples, label_list, max_seq_length, tokenizer, paths[split],
        label_type=label_type)
  eval_splits = [s for s in sources if s != 'train']
  prepared = PreparedData(
      train_path=paths['train'], num_train=counts['train'],
      eval_paths={_split_name(s): paths[s] for s in eval_splits},
      num_eval={_split_name(s): counts[s] for s in eval_splits},
      source=description, skipped=skipped)
  with tf.io.gfile.GFile(meta_path, 'w') as f:
    json.dump({'key': key_parts, 'prepared': dataclasses.asdict(prepared)},
              f, indent=2, sort_keys=True)
  return prepared


def _split_name(split: str) -> str:
  """'dev' -> '', 'dev_m' -> 'm'."""
  return split[4:] if split.startswith('dev_') else ''
