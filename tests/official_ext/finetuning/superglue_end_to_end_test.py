"""Every SuperGLUE task trains and evaluates through `official_ext.finetune`.

The data is written in the official JSONL layout; each run's metrics are
recomputed by hand from its dev predictions file (leaderboard format) and
the gold labels, and `--predict_test` files parse back to the test ids.
"""

import collections
import json
import os

import pytest

from official_ext import finetune
from tests import cli_harness
from tests.official_ext.finetuning import finetuning_fixtures as ffx
from tests.official_ext.finetuning import superglue_fixtures as sfx

FLAGS = finetune.FLAGS
TITLES = {'boolq': 'BoolQ', 'cb': 'CB', 'copa': 'COPA', 'multirc': 'MultiRC',
          'record': 'ReCoRD', 'rte': 'RTE', 'wic': 'WiC', 'wsc': 'WSC',
          'axb': 'AX-b', 'axg': 'AX-g'}


def _jsonl(path):
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _f1(pred, gold):
  tp = sum(p == g == 1 for p, g in zip(pred, gold))
  if tp == 0:
    return 0.0
  precision, recall = tp / sum(pred), tp / sum(gold)
  return 2 * precision * recall / (precision + recall)


def _mcc(pred, gold):
  tp = sum(p == g == 1 for p, g in zip(pred, gold))
  tn = sum(p == g == 0 for p, g in zip(pred, gold))
  fp = sum(p == 1 and g == 0 for p, g in zip(pred, gold))
  fn = sum(p == 0 and g == 1 for p, g in zip(pred, gold))
  denominator = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5
  return (tp * tn - fp * fn) / denominator if denominator else 0.0


def _hand_metrics(name, predictions, gold_records):
  """The task's metrics (percent) from its submission records, by hand."""
  gold = {r['idx']: r for r in gold_records}
  if name == 'multirc':
    pred, true, right = [], [], []
    for p in predictions:
      questions = {q['idx']: q for q in gold[p['idx']]['passage']['questions']}
      for q in p['passage']['questions']:
        answers = {a['idx']: a['label'] for a in questions[q['idx']]['answers']}
        ok = True
        for a in q['answers']:
          pred.append(a['label'])
          true.append(answers[a['idx']])
          ok = ok and a['label'] == answers[a['idx']]
        right.append(ok)
    return {'f1a': 100 * _f1(pred, true),
            'exact_match': 100 * sum(right) / len(right)}
  if name == 'record':
    answers = {qa['idx']: [a['text'] for a in qa['answers']]
               for r in gold_records for qa in r['qas']}
    em = [p['label'] in answers[p['idx']] for p in predictions]
    # Single-word entities: token F1 is 1 exactly when EM is.
    return {'f1': 100 * sum(em) / len(em),
            'exact_match': 100 * sum(em) / len(em)}
  pairs = [(p['label'], gold[p['idx']]['label']) for p in predictions]
  if name in ('axb', 'axg'):
    return {'mcc': 100 * _mcc([int(p == 'entailment') for p, _ in pairs],
                              [int(g == 'entailment') for _, g in pairs])}
  accuracy = 100 * sum(p == g for p, g in pairs) / len(pairs)
  if name != 'cb':
    return {'accuracy': accuracy}
  classes = {g for _, g in pairs} | {p for p, _ in pairs}
  f1s = [_f1([int(p == c) for p, _ in pairs], [int(g == c) for _, g in pairs])
         for c in classes]
  return {'accuracy': accuracy, 'f1_macro': 100 * sum(f1s) / len(f1s)}


def _finetune(capsys, export_dir, tmp_path, names):
  data_dir = sfx.write_all(tmp_path / 'data')
  model_dir = str(tmp_path / 'runs')
  argv = ['finetune', f'--task={",".join("superglue/" + n for n in names)}',
          f'--init_checkpoint={export_dir}', f'--vocab_file={ffx.VOCAB_FILE}',
          f'--data_dir={data_dir}', f'--model_dir={model_dir}', '--seeds=1',
          '--learning_rates=1e-4', '--batch_sizes=8', '--epochs=1',
          '--max_seq_length=48', '--eval_batch_size=32', '--log_every=1',
          '--predict_test']
  code, out, err = cli_harness.run_main(finetune.main, FLAGS, argv, capsys)
  assert code == 0, err
  return data_dir, model_dir, out


def _check(names, data_dir, model_dir, out):
  with open(os.path.join(model_dir, 'summary.json')) as f:
    summary = json.load(f)
  scores = []
  for name in names:
    title = TITLES[name]
    task_summary = summary['tasks'][f'superglue/{name}']['best']
    run_dir = os.path.join(model_dir, f'superglue_{name}',
                           task_summary['config'], 'seed0')
    with open(os.path.join(run_dir, 'run.json')) as f:
      record = json.load(f)
    eval_file = f'{title}.jsonl' if title.startswith('AX') else 'val.jsonl'
    gold = _jsonl(os.path.join(data_dir, title, eval_file))
    dev = _jsonl(os.path.join(run_dir, 'dev', f'{title}.jsonl'))
    assert sorted(p['idx'] for p in dev) == sorted(
        {g['qas'][0]['idx'] for g in gold} | {g['qas'][1]['idx'] for g in gold}
        if name == 'record' else [g['idx'] for g in gold])
    assert record['metrics'] == pytest.approx(_hand_metrics(name, dev, gold))
    assert record['skipped_rows'] == 0
    test_file = f'{title}.jsonl' if title.startswith('AX') else 'test.jsonl'
    test = _jsonl(os.path.join(run_dir, 'test', f'{title}.jsonl'))
    expected_ids = [g['idx'] for g in _jsonl(os.path.join(data_dir, title,
                                                          test_file))]
    if name == 'record':
      expected_ids = [qa['idx'] for g in _jsonl(os.path.join(
          data_dir, title, test_file)) for qa in g['qas']]
    assert [p['idx'] for p in test] == expected_ids
    label_types = collections.Counter(type(p.get('label')).__name__
                                      for p in test)
    assert list(label_types) == [{'boolq': 'bool', 'wic': 'bool',
                                  'wsc': 'bool', 'copa': 'int',
                                  'multirc': 'NoneType'}.get(name, 'str')]
    if name not in ('axb', 'axg'):
      scores.append(record['score'])
  average = summary['superglue_average']['best']['superglue_average']
  assert average == pytest.approx(sum(scores) / len(scores))
  table = [l for l in out.splitlines() if l.startswith('| Protocol')]
  assert table and 'SuperGLUE avg' in table[0]


def test_wsc_record_train_evaluate_and_submit(capsys, tiny_export, tmp_path):
  # The span-pair and the candidate-ranking paths; all tasks: --runslow.
  names = ['wsc', 'record']
  _check(names, *_finetune(capsys, tiny_export, tmp_path, names))


@pytest.mark.slow
def test_every_superglue_task_trains_evaluates_and_submits(capsys,
                                                           tiny_export,
                                                           tmp_path):
  names = list(TITLES)
  _check(names, *_finetune(capsys, tiny_export, tmp_path, names))
