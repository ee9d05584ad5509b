"""GLUE leaderboard files: test TSVs in, `index<TAB>prediction` TSVs out."""

import csv
import os

import numpy as np
import pytest

from official_ext import finetune
from official_ext.finetuning import glue_data
from official_ext.finetuning import glue_submission
from official_ext.finetuning import glue_tasks
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx

G = glue_tasks.GLUE_TASKS


def _write_test(folder, header, rows, name='test.tsv'):
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, name), 'w') as f:
    f.write('\n'.join('\t'.join(r) for r in [header] + rows) + '\n')


def _read(path):
  with open(path) as f:
    return list(csv.reader(f, delimiter='\t'))


def test_test_columns_are_found_by_header(tmp_path):
  _write_test(tmp_path, ['index', '#1 ID', '#2 ID', '#1 String',
                         '#2 String'], [['7', 'a', 'b', 'one', 'two']])
  indices, examples = glue_submission.read_test_tsv(
      G['mrpc'], str(tmp_path / 'test.tsv'))
  assert indices == ['7']
  assert (examples[0].text_a, examples[0].text_b) == ('one', 'two')
  _write_test(tmp_path, ['index', 'question', 'text'], [['0', 'q', 's']])
  with pytest.raises(glue_data.GlueDataError,
                     match=r"test.tsv:1: no column 'sentence' in the header "
                     r"\['index', 'question', 'text'\]"):
    glue_submission.read_test_tsv(G['qnli'], str(tmp_path / 'test.tsv'))


def test_submission_formats(tmp_path):
  outputs = np.array([[0.2, 0.5, 0.3], [0.9, 0.0, 0.1]])
  path = glue_submission.write_submission(G['mnli'], 'mm', ['0', '1'],
                                          outputs, str(tmp_path))
  assert path.endswith('test/MNLI-mm.tsv')
  assert _read(path) == [['index', 'prediction'], ['0', 'entailment'],
                         ['1', 'contradiction']]
  path = glue_submission.write_submission(
      G['stsb'], '', ['3', '4'], np.array([[5.7], [2.12345]]), str(tmp_path))
  assert _read(path) == [['index', 'prediction'], ['3', '5.000'],
                         ['4', '2.123']]
  assert glue_submission.files(G['sst2']) == {'': ('test.tsv', 'SST-2.tsv')}


def test_predict_test_through_the_cli(capsys, tiny_export, tmp_path):
  data = tmp_path / 'data'
  folder = ffx.write_glue(data, 'sst2', ffx.classification_examples(8),
                          ffx.classification_examples(8, seed=1))
  rows = [[str(100 + i), s] for i, s in enumerate(ffx.sentences(5, seed=2))]
  _write_test(folder, ['index', 'sentence'], rows)
  model_dir = tmp_path / 'runs'
  argv = ['finetune', '--task=glue/sst2', f'--init_checkpoint={tiny_export}',
          f'--vocab_file={ffx.VOCAB_FILE}', f'--data_dir={data}',
          f'--model_dir={model_dir}', '--seeds=1', '--learning_rates=1e-4',
          '--batch_sizes=8', '--epochs=1', '--max_seq_length=32',
          '--predict_test']
  code, _, err = cli_harness.run_main(finetune.main, finetune.FLAGS, argv,
                                      capsys)
  assert code == 0, err
  path = model_dir / 'glue_sst2' / 'lr0.0001_bs8_ep1' / 'seed0' / 'test' / \
      'SST-2.tsv'
  submission = _read(path)
  assert submission[0] == ['index', 'prediction']
  assert [r[0] for r in submission[1:]] == [r[0] for r in rows]
  assert {r[1] for r in submission[1:]} <= {'0', '1'}


def test_mnli_test_splits_and_the_optional_diagnostic(tmp_path):
  data = tmp_path / 'data'
  folder = ffx.write_glue(data, 'mnli', [('a', 'b', 'neutral')],
                          [('c', 'd', 'entailment')],
                          dev_name='dev_matched.tsv')
  header = ffx.HEADERS['mnli'][:10]
  for name in ('test_matched.tsv', 'test_mismatched.tsv'):
    _write_test(folder, header, [[str(i)] * 8 + ['x y', 'z'] for i in
                                 range(3)], name=name)
  kwargs = dict(cache_dir=str(tmp_path / 'cache'), vocab_file=ffx.VOCAB_FILE,
                max_seq_length=16, do_lower_case=True)
  test = glue_submission.prepare(G['mnli'], str(data), **kwargs)
  assert sorted(test) == ['m', 'mm']
  _write_test(data / 'diagnostic', ['index', 'sentence1', 'sentence2'],
              [['0', 'p', 'h'], ['1', 'p2', 'h2']], name='diagnostic.tsv')
  test = glue_submission.prepare(G['mnli'], str(data), **kwargs)
  assert sorted(test) == ['ax', 'm', 'mm']
  assert test['ax']['count'] == 2 and test['ax']['indices'] == ['0', '1']
  assert glue_submission.files(G['mnli'])['ax'][1] == 'AX.tsv'
