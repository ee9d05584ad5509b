"""SuperGLUE data -> Model Garden sentence-prediction TFRecords.

Two sources, nothing downloaded:
  * `jsonl`: the official layout, `<data_dir>/<Task>/train.jsonl`,
    `val.jsonl`, `test.jsonl` (`<data_dir>/AX-b/AX-b.jsonl`,
    `<data_dir>/AX-g/AX-g.jsonl`; the diagnostics train on
    `<data_dir>/RTE/train.jsonl`).
  * `tfds`: TFDS `super_glue/<task>` prepared under `tfds_data_dir`.

Every record goes through the task's reader (`superglue_readers`); a line
that is not JSON, or a record missing a key, raises `SuperGlueDataError`
naming `file:line` and the key (or is skipped and listed with
`skip_bad_rows`). Items are written by Model Garden's
`classifier_data_lib.file_based_convert_examples_to_features` (WiC with its
`WiCProcessor.featurize_example`), with `example_id` = the item's index;
`<split>.meta.json` beside each TFRecord holds the items' regrouping data.
Outputs are cached under `cache_dir/<slug>-<key>/` (key: files, vocab,
settings).
"""

import dataclasses
import hashlib
import json
import os
from typing import Dict, List, Optional

import tensorflow as tf

from official.nlp.data import classifier_data_lib
from official.nlp.tools import tokenization

from official_ext.finetuning import glue_data
from official_ext.finetuning import superglue_readers
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import superglue_tfds

_META = 'meta.json'


class SuperGlueDataError(ValueError):
  """A SuperGLUE file or dataset is missing or malformed."""


@dataclasses.dataclass
class PreparedSuperGlue:
  """TFRecords of one task (the attributes the runner reads match GLUE's).

  Attributes:
    train_path, num_train: training TFRecord and its item count.
    eval_paths, num_eval: {'': dev TFRecord}, {'': items}.
    eval_meta: {'': the dev items' meta JSON}.
    test_path, num_test, test_meta: the unlabelled test set ('' / 0 when
      not prepared), for leaderboard predictions.
    source: where the records came from.
    skipped: bad records skipped (`file:line: reason`), if allowed.
  """
  train_path: str
  num_train: int
  eval_paths: Dict[str, str]
  num_eval: Dict[str, int]
  eval_meta: Dict[str, str]
  source: str
  test_path: str = ''
  num_test: int = 0
  test_meta: str = ''
  skipped: List[str] = dataclasses.field(default_factory=list)


def missing_data_message(task, data_dir):
  folder = os.path.join(data_dir, task.title)
  return (f'SuperGLUE {task.name}: no data. Put the official JSONL files '
          f'(train.jsonl, val.jsonl, test.jsonl) in {folder}/ (the layout '
          f'of the SuperGLUE download), or prepare TFDS {task.tfds_name} and '
          f'pass --tfds_data_dir. Nothing is downloaded at run time.')


def _files(task, data_dir, predict_test) -> Dict[str, str]:
  """split -> JSONL path ('train' from the train task's folder)."""
  trainer = superglue_tasks.SUPERGLUE_TASKS[task.train_task or task.name]
  files = {'train': os.path.join(data_dir, trainer.title, 'train.jsonl'),
           'dev': os.path.join(data_dir, task.title, task.eval_file)}
  if predict_test:
    files['test'] = os.path.join(data_dir, task.title, task.test_file)
  for split, path in files.items():
    if not tf.io.gfile.exists(path):
      raise SuperGlueDataError(f'SuperGLUE {task.name}: {path} ({split}) is '
                               f'missing. ' + missing_data_message(task,
                                                                   data_dir))
  return files


def iter_jsonl(path):
  """Yields (where, record) per non-blank line; bad JSON -> where, None."""
  with tf.io.gfile.GFile(path, 'r') as f:
    for line_no, line in enumerate(f, 1):
      if not line.strip():
        continue
      where = f'{path}:{line_no}'
      try:
        yield where, json.loads(line)
      except ValueError as e:
        yield where, SuperGlueDataError(f'{where}: not a JSON line ({e})')


def read_items(task, records, labelled, skip_bad_rows):
  """(items, groups, skipped) of (where, record) pairs for one split."""
  items, groups, skipped = [], {}, []
  for where, record in records:
    try:
      if isinstance(record, Exception):
        raise record
      new, group = superglue_readers.read(task, record, labelled)
    except (superglue_readers.RecordError, SuperGlueDataError) as e:
      message = str(e) if str(e).startswith(where) else f'{where}: {e}'
      if not skip_bad_rows:
        raise SuperGlueDataError(message) from None
      skipped.append(message)
      continue
    items.extend(new)
    groups.update(group or {})
  if not items:
    raise SuperGlueDataError(f'SuperGLUE {task.name}: no examples read')
  return items, groups, skipped


def _wic_featurize(ex_index, example, label_list, max_seq_length, tokenizer):
  """Model Garden's WiC features; the word's segment 2 folded into 1.

  Model Garden gives the word segment id 2, which needs type_vocab_size 3;
  BERT-style encoders have 2, so the word shares segment B.
  """
  feature = classifier_data_lib.WiCProcessor().featurize_example(
      ex_index, example, label_list, max_seq_length, tokenizer)
  feature.segment_ids = [min(s, 1) for s in feature.segment_ids]
  return feature


def _examples(task, items):
  out = []
  for i, item in enumerate(items):
    label = item.label if item.label is not None else task.labels[0]
    if task.reader == 'wic':
      out.append(classifier_data_lib.WiCInputExample(
          guid=str(i), text_a=item.text_a, text_b=item.text_b,
          label=task.labels.index(label), word=item.word, example_id=i))
    else:
      out.append(classifier_data_lib.InputExample(
          guid=str(i), text_a=item.text_a, text_b=item.text_b, label=label,
          example_id=i))
  return out


def _write(task, items, groups, path, tokenizer, max_seq_length):
  classifier_data_lib.file_based_convert_examples_to_features(
      _examples(task, items), list(task.labels), max_seq_length, tokenizer,
      path, featurize_fn=_wic_featurize if task.reader == 'wic' else None)
  meta_path = path + '.meta.json'
  with tf.io.gfile.GFile(meta_path, 'w') as f:
    json.dump({'items': [it.meta for it in items],
               'labels': [it.label for it in items], 'groups': groups}, f)
  return meta_path


def load_meta(path):
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def prepare(task, data_dir: str, vocab_file: str, cache_dir: str,
            max_seq_length: int = 128, do_lower_case: bool = True,
            tfds_data_dir: Optional[str] = None, skip_bad_rows: bool = False,
            predict_test: bool = False) -> PreparedSuperGlue:
  """Checks the task's data and writes (or reuses) its TFRecords."""
  use_tfds = not (data_dir and tf.io.gfile.exists(
      os.path.join(data_dir, task.title)))
  if use_tfds and not tfds_data_dir:
    raise SuperGlueDataError(missing_data_message(task,
                                                  data_dir or '<data_dir>'))
  splits = ['train', 'dev'] + (['test'] if predict_test else [])
  digest = glue_data._file_digest  # pylint: disable=protected-access
  key_parts = {'task': task.name, 'vocab': digest(vocab_file),
               'max_seq_length': max_seq_length, 'lower': do_lower_case,
               'skip_bad_rows': skip_bad_rows, 'splits': splits}
  if use_tfds:
    source = f'tfds:{task.tfds_name}@{tfds_data_dir}'
    key_parts['tfds'] = source
  else:
    files = _files(task, data_dir, predict_test)
    source = os.path.join(data_dir, task.title)
    key_parts['files'] = {s: digest(p) for s, p in files.items()}
  key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()
                       ).hexdigest()[:16]
  out_dir = os.path.join(cache_dir, f'{task.slug}-{key}')
  meta_path = os.path.join(out_dir, _META)
  if tf.io.gfile.exists(meta_path):
    return PreparedSuperGlue(**load_meta(meta_path)['prepared'])
  tokenizer = tokenization.FullTokenizer(vocab_file=vocab_file,
                                         do_lower_case=do_lower_case)
  trainer = superglue_tasks.SUPERGLUE_TASKS[task.train_task or task.name]
  paths, counts, metas, skipped = {}, {}, {}, []
  for split in splits:
    reading = trainer if split == 'train' else task
    labelled = split != 'test'
    if use_tfds:
      try:
        records = superglue_tfds.iter_records(reading, split, tfds_data_dir)
      except superglue_tfds.NotPreparedError as e:
        raise SuperGlueDataError(str(e)) from None
    else:
      records = iter_jsonl(files[split])
    items, groups, bad = read_items(reading, records, labelled,
                                    skip_bad_rows)
    skipped.extend(bad)
    paths[split] = os.path.join(out_dir, f'{split}.tf_record')
    counts[split] = len(items)
    metas[split] = _write(reading, items, groups, paths[split], tokenizer,
                          max_seq_length)
  prepared = PreparedSuperGlue(
      train_path=paths['train'], num_train=counts['train'],
      eval_paths={'': paths['dev']}, num_eval={'': counts['dev']},
      eval_meta={'': metas['dev']}, source=source,
      test_path=paths.get('test', ''), num_test=counts.get('test', 0),
      test_meta=metas.get('test', ''), skipped=skipped)
  with tf.io.gfile.GFile(meta_path, 'w') as f:
    json.dump({'key': key_parts, 'prepared': dataclasses.asdict(prepared)},
              f, indent=2, sort_keys=True)
  return prepared
