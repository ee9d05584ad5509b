"""GLUE test sets -> leaderboard submission files (`--predict_test`).

GLUE test labels are private: the leaderboard takes one TSV per task,
`<Name>.tsv` with the header `index<TAB>prediction` and one row per test
example (`CoLA.tsv`, `SST-2.tsv`, `MRPC.tsv`, `STS-B.tsv`, `QQP.tsv`,
`MNLI-m.tsv`, `MNLI-mm.tsv`, `QNLI.tsv`, `RTE.tsv`, `WNLI.tsv`, and `AX.tsv`
from the MNLI model on `diagnostic/diagnostic.tsv`). The
prediction is the label string of the task's label set (`0`/`1`,
`entailment`/`not_entailment`, MNLI's three) or, for STS-B, the score
clipped to [0, 5] with three decimals.

Test files are the GLUE download's `test.tsv` (MNLI `test_matched.tsv`,
`test_mismatched.tsv`), read by header name: the first column is the
index, the text columns are named as in `TEXT_COLUMNS`.
"""

import os
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf

from official.nlp.data import classifier_data_lib
from official.nlp.tools import tokenization

from official_ext.finetuning import glue_data

# Header names of the text column(s) in each task's test.tsv (MNLI's are
# also those of diagnostic.tsv).
TEXT_COLUMNS = {
    'cola': ('sentence',), 'sst2': ('sentence',),
    'mrpc': ('#1 String', '#2 String'), 'stsb': ('sentence1', 'sentence2'),
    'qqp': ('question1', 'question2'), 'mnli': ('sentence1', 'sentence2'),
    'qnli': ('question', 'sentence'), 'rte': ('sentence1', 'sentence2'),
    'wnli': ('sentence1', 'sentence2')}
# eval split ('' or MNLI m/mm) -> (test file, submission file). The GLUE
# diagnostic (AX) is predicted by the MNLI model from the download's
# diagnostic/diagnostic.tsv, when present.
_FILES = {'mnli': {'m': ('test_matched.tsv', 'MNLI-m.tsv'),
                   'mm': ('test_mismatched.tsv', 'MNLI-mm.tsv'),
                   'ax': (os.path.join('..', 'diagnostic', 'diagnostic.tsv'),
                          'AX.tsv')}}
_OPTIONAL = ('ax',)


def files(task) -> Dict[str, Tuple[str, str]]:
  """split -> (test TSV name, submission file name)."""
  return _FILES.get(task.name, {'': ('test.tsv', f'{task.glue_dir}.tsv')})


def read_test_tsv(task, path: str) -> Tuple[List[str], list]:
  """(indices, InputExamples) of a GLUE test TSV, columns found by header."""
  with tf.io.gfile.GFile(path, 'r') as f:
    lines = [l.rstrip('\r') for l in f.read().split('\n')]
  header = lines[0].split('\t') if lines else []
  columns = []
  for name in TEXT_COLUMNS[task.name]:
    if name not in header:
      raise glue_data.GlueDataError(
          f'{path}:1: no column {name!r} in the header {header} (GLUE '
          f'{task.glue_dir} test layout)')
    columns.append(header.index(name))
  indices, examples = [], []
  for line_no, line in enumerate(lines[1:], 2):
    if not line.strip():
      continue
    fields = line.split('\t')
    if len(fields) != len(header):
      raise glue_data.GlueDataError(
          f'{path}:{line_no}: expected {len(header)} tab-separated columns '
          f'(as its header), found {len(fields)}')
    texts = [tokenization.convert_to_unicode(fields[c]) for c in columns]
    indices.append(fields[0])
    examples.append(classifier_data_lib.InputExample(
        guid=f'test-{fields[0]}', text_a=texts[0],
        text_b=texts[1] if len(texts) > 1 else None,
        label=0.0 if task.is_regression else task.labels[0],
        example_id=len(examples)))
  if not examples:
    raise glue_data.GlueDataError(f'{path}: no test examples')
  return indices, examples


def prepare(task, data_dir: str, cache_dir: str, vocab_file: str,
            max_seq_length: int, do_lower_case: bool) -> Dict[str, dict]:
  """Writes each test split's TFRecord; split -> {path, count, indices}."""
  folder = glue_data.find_tsv_dir(task, data_dir) if data_dir else None
  if folder is None:
    raise glue_data.GlueDataError(
        f'GLUE {task.name}: --predict_test reads the GLUE download\'s TSV '
        f'test files; none found for {task.glue_dir} under '
        f'{data_dir or "<data_dir>"}')
  out_dir = os.path.join(cache_dir, f'{task.slug}-test')
  tokenizer = tokenization.FullTokenizer(vocab_file=vocab_file,
                                         do_lower_case=do_lower_case)
  out = {}
  for split, (test_name, _) in files(task).items():
    path = os.path.normpath(os.path.join(folder, test_name))
    if split in _OPTIONAL and not tf.io.gfile.exists(path):
      continue
    if not tf.io.gfile.exists(path):
      raise glue_data.GlueDataError(
          f'GLUE {task.name}: --predict_test needs {path} (the GLUE '
          f'download\'s test file)')
    indices, examples = read_test_tsv(task, path)
    record = os.path.join(out_dir, f'test{"_" + split if split else ""}'
                          '.tf_record')
    classifier_data_lib.file_based_convert_examples_to_features(
        examples, None if task.is_regression else list(task.labels),
        max_seq_length, tokenizer, record,
        label_type=float if task.is_regression else None)
    out[split] = {'path': record, 'count': len(examples), 'indices': indices}
  return out


def write_submission(task, split: str, indices: List[str],
                     outputs: np.ndarray, run_dir: str) -> str:
  """Writes `<run_dir>/test/<Name>.tsv` from outputs in example order."""
  if task.is_regression:
    values = [f'{v:.3f}' for v in np.clip(outputs.reshape(-1), 0.0, 5.0)]
  else:
    values = [task.labels[i] for i in np.argmax(outputs, axis=-1)]
  path = os.path.join(run_dir, 'test', files(task)[split][1])
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.gfile.GFile(path, 'w') as f:
    f.write('index\tprediction\n')
    for index, value in zip(indices, values):
      f.write(f'{index}\t{value}\n')
  return path


def predict_test(task, test: Dict[str, dict], run_dir: str, predict):
  """Predicts every prepared test split; `predict(path, count)` as runner's."""
  for split, info in test.items():
    ids, _, outputs = predict(info['path'], info['count'])
    outputs = np.asarray(outputs)[np.argsort(ids, kind='stable')]
    write_submission(task, split, info['indices'], outputs, run_dir)
