"""Collects run records into results.csv, results.md, results.png.

Two protocols per task (scores are percent points):
  * median over seeds (TEAMS): for each configuration (lr, batch, epochs) the
    median of every metric over its seeds; the configuration with the best
    median task score is reported.
  * best over the grid (olfmlm): the single run with the best task score.
The task score is `glue_tasks.task_score` (GLUE convention: the mean of a
task's metrics; SQuAD F1). The GLUE average is the mean task score over the
GLUE tasks present except WNLI (excluded as in BERT/ELECTRA/TEAMS); "paper
avg" averages each task's `paper_metric` (MCC, Spearman, accuracy, MNLI-m)
instead.

Files written in `model_dir`: `results.csv` (one row per run),
`results.md` (protocol table + per-configuration table), `results.png`
(score of every seed per configuration, median marked), `summary.json`.
"""

import csv
import json
import os
import statistics
from typing import Dict, List

import tensorflow as tf

from official_ext import figures
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import runner
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import task_names

CSV_FILE = 'results.csv'
MARKDOWN_FILE = 'results.md'
PLOT_FILE = 'results.png'
SUMMARY_FILE = 'summary.json'


class ReportError(ValueError):
  """Nothing to report."""


_HEADINGS = {'mcc': 'MCC', 'accuracy': 'Acc', 'f1': 'F1', 'pearson': 'P',
             'spearman': 'S', 'exact_match': 'EM', 'accuracy_m': 'm',
             'accuracy_mm': 'mm', 'f1_macro': 'F1m', 'f1a': 'F1a'}
_TITLES = {'cola': 'CoLA', 'sst2': 'SST-2', 'mrpc': 'MRPC', 'stsb': 'STS-B',
           'qqp': 'QQP', 'mnli': 'MNLI', 'qnli': 'QNLI', 'rte': 'RTE',
           'wnli': 'WNLI', 'v1.1': 'SQuAD 1.1', 'v2.0': 'SQuAD 2.0'}


def collect(model_dir: str) -> List[dict]:
  """Every `run.json` under `model_dir/<task>/<config>/seed*/`."""
  pattern = os.path.join(model_dir, '*', '*', 'seed*', runner.RUN_FILE)
  records = []
  for path in sorted(tf.io.gfile.glob(pattern)):
    with tf.io.gfile.GFile(path) as f:
      records.append(json.load(f))
  return records


def _task(record):
  return task_names.parse_task(record['task'])


def _title(task):
  return task.title if superglue_tasks.is_superglue(task) else \
      _TITLES[task.name]


def _order(task):
  if superglue_tasks.is_superglue(task):
    return len(glue_tasks.GLUE_ORDER) + superglue_tasks.SUPERGLUE_ORDER.index(
        task.name)
  if glue_tasks.is_glue(task):
    return glue_tasks.GLUE_ORDER.index(task.name)
  return (len(glue_tasks.GLUE_ORDER) + len(superglue_tasks.SUPERGLUE_ORDER) +
          sorted(glue_tasks.SQUAD_TASKS).index(task.name))


def summarise(records: List[dict]) -> Dict[str, dict]:
  """task name -> {'median', 'best', 'configs'} (see module docstring)."""
  by_task = {}
  for record in records:
    by_task.setdefault(record['task'], []).append(record)
  summary = {}
  for name in sorted(by_task, key=lambda n: _order(task_names.parse_task(n))):
    task = task_names.parse_task(name)
    keys = task.metric_keys()
    configs = []
    for config in sorted({r['config'] for r in by_task[name]}):
      runs = [r for r in by_task[name] if r['config'] == config]
      ok = [r for r in runs if r['status'] == 'ok']
      entry = {'config': config, 'learning_rate': runs[0]['learning_rate'],
               'batch_size': runs[0]['batch_size'],
               'epochs': runs[0]['epochs'], 'runs': len(runs),
               'ok': len(ok), 'seeds': sorted(r['seed'] for r in ok)}
      if ok:
        scores = [r['score'] for r in ok]
        entry.update({
            'metrics': {k: statistics.median(r['metrics'][k] for r in ok)
                        for k in keys},
            'score': statistics.median(scores),
            'mean': statistics.fmean(scores),
            'std': statistics.stdev(scores) if len(scores) > 1 else 0.0,
            'min': min(scores), 'max': max(scores)})
        entry['paper_value'] = entry['metrics'][task.paper_metric]
      configs.append(entry)
    scored = [c for c in configs if c['ok']]
    ok_runs = [r for r in by_task[name] if r['status'] == 'ok']
    task_summary = {'configs': configs, 'median': None, 'best': None}
    if scored:
      top = max(scored, key=lambda c: c['score'])
      task_summary['median'] = {
          'config': top['config'], 'seeds': top['ok'],
          'metrics': top['metrics'], 'score': top['score'],
          'paper_value': top['paper_value']}
      best = max(ok_runs, key=lambda r: r['score'])
      task_summary['best'] = {
          'config': best['config'], 'seed': best['seed'],
          'metrics': {k: best['metrics'][k] for k in keys},
          'score': best['score'],
          'paper_value': best['metrics'][task.paper_metric]}
    summary[name] = task_summary
  return summary


def _in_glue_average(task):
  return (glue_tasks.is_glue(task) and task.prefix == glue_tasks.GLUE_PREFIX
          and task.name not in glue_tasks.EXCLUDED_FROM_AVERAGE)


def _in_superglue_average(task):
  return superglue_tasks.is_superglue(task) and not task.diagnostic


def glue_average(summary, protocol: str, value: str = 'score',
                 member=_in_glue_average):
  """(mean over GLUE tasks but WNLI, tasks used) of `value`, or (None, []).

  `member` picks the tasks (default GLUE; see `superglue_average`).
  """
  names = [n for n, s in summary.items()
           if member(task_names.parse_task(n)) and s[protocol]]
  if not names:
    return None, []
  return (statistics.fmean(summary[n][protocol][value] for n in names),
          names)


def superglue_average(summary, protocol: str, value: str = 'score'):
  """(mean over the SuperGLUE tasks but AX-b/AX-g, tasks used)."""
  return glue_average(summary, protocol, value, _in_superglue_average)


def write_csv(records: List[dict], path: str) -> None:
  """One row per run: hyperparameters, status, score and every metric."""
  metric_keys = []
  for record in sorted(records, key=lambda r: _order(_task(r))):
    for key in _task(record).metric_keys():
      if key not in metric_keys:
        metric_keys.append(key)
  columns = (['task', 'config', 'learning_rate', 'batch_size', 'epochs',
              'seed', 'status', 'score'] + metric_keys +
             ['train_steps', 'seconds', 'run_dir'])
  rows = sorted(records, key=lambda r: (_order(_task(r)), r['config'],
                                        r['seed']))
  with tf.io.gfile.GFile(path, 'w') as f:
    writer = csv.DictWriter(f, columns, extrasaction='ignore',
                            lineterminator='\n')
    writer.writeheader()
    for record in rows:
      row = dict(record)
      row.update(record.get('metrics') or {})
      for key in ['score'] + metric_keys:
        if isinstance(row.get(key), float):
          row[key] = f'{row[key]:.4f}'
      writer.writerow(row)


def _cell(values):
  return '/'.join(f'{v:.1f}' for v in values)


def markdown(summary: Dict[str, dict]) -> str:
  """The protocol table and the per-configuration table."""
  names = list(summary)
  headings = []
  for name in names:
    task = task_names.parse_task(name)
    metric_names = '/'.join(_HEADINGS.get(k, k) for k in task.metric_keys())
    headings.append(f'{_title(task)} {metric_names}')
  has_glue = any(task_names.parse_task(n).prefix == glue_tasks.GLUE_PREFIX
                 for n in names if glue_tasks.is_glue(task_names.parse_task(n)))
  has_superglue = any(_in_superglue_average(task_names.parse_task(n))
                      for n in names)
  if has_glue:
    headings += ['GLUE avg', 'paper avg']
  if has_superglue:
    headings += ['SuperGLUE avg']
  lines = ['| Protocol | ' + ' | '.join(headings) + ' |',
           '|---|' + '---|' * len(headings)]
  for protocol, label in (('median', 'median over seeds (TEAMS)'),
                          ('best', 'best over grid (olfmlm)')):
    cells = []
    for name in names:
      entry = summary[name][protocol]
      task = task_names.parse_task(name)
      cells.append(_cell(entry['metrics'][k] for k in task.metric_keys())
                   if entry else '–')
    if has_glue:
      for value in ('score', 'paper_value'):
        average, _ = glue_average(summary, protocol, value)
        cells.append('–' if average is None else f'{average:.1f}')
    if has_superglue:
      average, _ = superglue_average(summary, protocol)
      cells.append('–' if average is None else f'{average:.1f}')
    lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
  _, used = glue_average(summary, 'median')
  notes = ['', 'Scores in percent. Median: per configuration, the median of '
           'each metric over seeds; the configuration with the best median '
           'task score is shown. Best: the single run with the best task '
           'score.']
  if has_glue:
    titles = ', '.join(_title(task_names.parse_task(n)) for n in used)
    notes += ['', f'GLUE avg: mean task score (mean of each task\'s metrics) '
              f'over the GLUE tasks present, here {titles or "none"} (WNLI '
              f'excluded); paper avg: the same with MCC (CoLA), Spearman '
              f'(STS-B), accuracy (MNLI matched, others).']
  if has_superglue:
    _, used = superglue_average(summary, 'median')
    titles = ', '.join(_title(task_names.parse_task(n)) for n in used)
    notes += ['', f'SuperGLUE avg: mean task score over the SuperGLUE tasks '
              f'present, here {titles} (CB: acc and macro F1, MultiRC: F1a '
              f'and EM, ReCoRD: F1 and EM averaged; AX-b/AX-g excluded).']
  if 'squad/v2.0' in summary:
    notes += ['', 'SQuAD 2.0 EM/F1 at the no-answer thresholds that '
              'maximise them on dev (official evaluate-v2.0 search).']
  lines += notes
  lines += ['', '| Task | Config | lr | Batch | Epochs | Seeds ok/run | '
            'Median | Mean ± std | Min | Max |',
            '|---|---|---|---|---|---|---|---|---|---|']
  for name in names:
    for c in summary[name]['configs']:
      if c['ok']:
        stats = (f'{c["score"]:.1f} | {c["mean"]:.1f} ± {c["std"]:.1f} | '
                 f'{c["min"]:.1f} | {c["max"]:.1f}')
      else:
        stats = '– | – | – | –'
      lines.append(f'| {name} | {c["config"]} | {c["learning_rate"]:g} | '
                   f'{c["batch_size"]} | {c["epochs"]} | '
                   f'{c["ok"]}/{c["runs"]} | {stats} |')
  return '\n'.join(lines) + '\n'


def plot(records: List[dict], summary: Dict[str, dict], path: str) -> None:
  """One panel per task: every seed's score per configuration + medians."""
  plt = figures.pyplot()
  names = list(summary)
  columns = min(3, max(1, len(names)))
  rows = (len(names) + columns - 1) // columns
  figure, axes = plt.subplots(rows, columns, squeeze=False,
                              figsize=(4.5 * columns, 3.4 * rows))
  for index, name in enumerate(names):
    axis = axes[index // columns][index % columns]
    configs = [c['config'] for c in summary[name]['configs']]
    for x, config in enumerate(configs):
      scores = [r['score'] for r in records if r['task'] == name and
                r['config'] == config and r['status'] == 'ok']
      if scores:
        offsets = [0.08 * (i - (len(scores) - 1) / 2)
                   for i in range(len(scores))]
        axis.scatter([x + o for o in offsets], scores, s=14, alpha=0.7)
        median = statistics.median(scores)
        axis.hlines(median, x - 0.3, x + 0.3, colors='black')
    axis.set_xticks(range(len(configs)))
    axis.set_xticklabels(configs, rotation=20, fontsize=7)
    axis.set_xlim(-0.6, len(configs) - 0.4)
    axis.set_title(f'{_title(task_names.parse_task(name))} '
                   f'(task score, %)', fontsize=9)
    axis.grid(alpha=0.3)
  for index in range(len(names), rows * columns):
    axes[index // columns][index % columns].axis('off')
  figure.suptitle('Fine-tuning: score per seed (dots), median (bar)',
                  fontsize=10)
  figure.tight_layout()
  figures.save_png(figure, path)


def write_report(model_dir: str) -> Dict[str, str]:
  """Writes the four report files from every run under `model_dir`."""
  records = collect(model_dir)
  if not records:
    raise ReportError(f'{model_dir}: no run.json found under '
                     f'<task>/<config>/seed*/')
  summary = summarise(records)
  paths = {name: os.path.join(model_dir, file) for name, file in
           (('csv', CSV_FILE), ('markdown', MARKDOWN_FILE),
            ('plot', PLOT_FILE), ('summary', SUMMARY_FILE))}
  write_csv(records, paths['csv'])
  with tf.io.gfile.GFile(paths['markdown'], 'w') as f:
    f.write(markdown(summary))
  plot(records, summary, paths['plot'])
  averages = {p: dict(zip(('glue_average', 'tasks'),
                          glue_average(summary, p))) for p in
              ('median', 'best')}
  superglue = {p: dict(zip(('superglue_average', 'tasks'),
                           superglue_average(summary, p))) for p in
               ('median', 'best')}
  with tf.io.gfile.GFile(paths['summary'], 'w') as f:
    json.dump({'tasks': summary, 'glue_average': averages,
               'superglue_average': superglue}, f, indent=2, sort_keys=True)
  return paths
