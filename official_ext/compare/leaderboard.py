"""The comparison's leaderboard: one row per arm, markdown + CSV + plots.

Input: one record per arm (a dict; `official_ext/compare` stages write them):

  name              the arm's name
  steps, flops, seconds   pretraining budget used (training FLOPs from the
                    FLOPs model, `official_ext/compare/flops.py`; None when
                    unknown, e.g. a random-init or imported encoder)
  pretrain_metrics  {metric: value} on held-out records (MLM accuracy, RTD
                    AUC, MWS accuracy, ...), optional
  runs              the arm's fine-tuning `run.json` records
                    (`official_ext/finetuning/runner.py`)
  example_predictions  optional {task: {'ids', 'labels', 'seeds': {seed:
                    [prediction]}}} of the dev examples
                    (`example_scores.arm_predictions`)
  example_scores    optional {task: {seed: [per-example score, percent]}} of
                    the dev examples, in the same order for every arm

Per task the arm's score is the fine-tuning report's "median over seeds"
protocol (`reporting.summarise`: the configuration with the best median);
the spread is that configuration's min-max over seeds. The average is the
mean task score over the tasks present (WNLI and SuperGLUE diagnostics
excluded, as in the papers). Each arm is compared with a baseline arm by a
paired bootstrap (`significance.py`): over dev examples where both arms
have them (predictions: each resample recomputes the task metric, e.g. MCC
or F1, per seed; scores: seed-averaged per-example scores), else over
seeds; the average over seeds (per-seed mean over tasks) when all tasks
share seeds.
"""
import csv
import math
import os
import statistics
from typing import Dict, List, Optional

import tensorflow as tf

from official_ext import figures
from official_ext.compare import example_scores
from official_ext.compare import significance
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import reporting

AVERAGE = 'average'
FILES = {'markdown': 'leaderboard.md', 'csv': 'leaderboard.csv',
         'flops_plot': 'score_vs_flops.png',
         'spread_plot': 'seed_spreads.png'}


class LeaderboardError(ValueError):
  """Arm records that cannot make a leaderboard."""


def _in_average(task):
  return (task.name not in glue_tasks.EXCLUDED_FROM_AVERAGE
          and not getattr(task, 'diagnostic', False))


def _task_entry(task_name, task_summary, runs):
  """The median protocol's score, its configuration's seeds and spread."""
  median = task_summary['median']
  if not median:
    return None
  seeds = {r['seed']: r['score'] for r in runs
           if r['task'] == task_name and r['config'] == median['config']
           and r['status'] == 'ok'}
  return {'score': median['score'], 'config': median['config'],
          'seeds': seeds, 'min': min(seeds.values()),
          'max': max(seeds.values())}


def arm_row(arm: dict) -> dict:
  """One arm's row: budget, pretraining metrics, per-task entries, average.

  Raises:
    LeaderboardError: the arm has no fine-tuning runs.
  """
  if not arm.get('runs'):
    raise LeaderboardError(f'arm {arm.get("name")!r}: no fine-tuning runs')
  summary = reporting.summarise(arm['runs'])
  tasks = {}
  for name, task_summary in summary.items():
    entry = _task_entry(name, task_summary, arm['runs'])
    if entry:
      tasks[name] = entry
  average, used = reporting.glue_average(summary, 'median',
                                         member=_in_average)
  common = set.intersection(*(set(tasks[n]['seeds']) for n in used)) \
      if used else set()
  return {'name': arm['name'], 'steps': arm.get('steps'),
          'flops': arm.get('flops'), 'seconds': arm.get('seconds'),
          'pretrain_metrics': dict(arm.get('pretrain_metrics') or {}),
          'tasks': tasks, 'average': average, 'average_tasks': used,
          # Per-seed average over the averaged tasks (seeds all tasks have).
          'average_seeds': {s: statistics.fmean(tasks[n]['seeds'][s]
                                                for n in used)
                            for s in sorted(common)},
          'example_scores': arm.get('example_scores') or {},
          'example_predictions': arm.get('example_predictions') or {}}


def _versus(row, base, task, **bootstrap):
  """Significance of row - base on `task` (or AVERAGE), or None."""
  if task == AVERAGE:
    averaged = [t for t in row['average_tasks']
                if t in base['average_tasks']]
    if len(averaged) == 1:  # the average is that task's score
      return _versus(row, base, averaged[0], **bootstrap)
    if row['average_seeds'] and base['average_seeds']:
      return significance.compare_seeds(row['average_seeds'],
                                        base['average_seeds'], **bootstrap)
    return None
  if task not in row['tasks'] or task not in base['tasks']:
    return None
  mine = row['example_predictions'].get(task)
  theirs = base['example_predictions'].get(task)
  rows = mine and theirs and example_scores.bootstrap_rows(task, mine,
                                                           theirs)
  if rows:
    a, b, statistic = rows
    return significance.paired_bootstrap(a, b, statistic=statistic,
                                         method='dev examples', **bootstrap)
  mine = row['example_scores'].get(task, {})
  theirs = base['example_scores'].get(task, {})
  seeds = sorted(set(mine) & set(theirs))
  if seeds:
    return significance.paired_bootstrap(
        [statistics.fmean(v) for v in zip(*(mine[s] for s in seeds))],
        [statistics.fmean(v) for v in zip(*(theirs[s] for s in seeds))],
        method='dev examples', **bootstrap)
  return significance.compare_seeds(row['tasks'][task]['seeds'],
                                    base['tasks'][task]['seeds'],
                                    **bootstrap)


def build(arms: List[dict], baseline: Optional[str] = None,
          **bootstrap) -> dict:
  """{'rows', 'tasks', 'metrics', 'baseline', 'versus'}; `versus[arm][task]`
  is a `significance.Significance` (tasks and AVERAGE) vs `baseline`.

  Raises:
    LeaderboardError: no arms, two arms with one name, unknown baseline.
  """
  if not arms:
    raise LeaderboardError('no arms to rank')
  names = [a['name'] for a in arms]
  for name in names:
    if names.count(name) > 1:
      raise LeaderboardError(f'two arms are named {name!r}')
  if baseline is not None and baseline not in names:
    raise LeaderboardError(f'baseline arm {baseline!r} is not one of '
                           f'{names}')
  rows = [arm_row(a) for a in arms]
  tasks = []
  metrics = []
  for row in rows:
    tasks += [t for t in row['tasks'] if t not in tasks]
    metrics += [m for m in row['pretrain_metrics'] if m not in metrics]
  versus = {}
  if baseline is not None:
    base = rows[names.index(baseline)]
    for row in rows:
      if row is not base:
        versus[row['name']] = {t: _versus(row, base, t, **bootstrap)
                               for t in tasks + [AVERAGE]}
  return {'rows': rows, 'tasks': tasks, 'metrics': metrics,
          'baseline': baseline, 'versus': versus}


def _number(value, digits=1):
  return '–' if value is None else f'{value:.{digits}f}'


def _flops(value):
  return '–' if value is None else f'{value:.3g}'


def _wall(seconds):
  if seconds is None:
    return '–'
  minutes, secs = divmod(int(round(seconds)), 60)
  return f'{minutes // 60}:{minutes % 60:02d}:{secs:02d}'


def markdown(board: dict) -> str:
  """The leaderboard table, then one significance line per arm and task."""
  base = board['baseline']
  headings = (['Arm', 'Steps', 'Train FLOPs', 'Wall'] + board['metrics']
              + board['tasks'] + ['Avg'] + ([f'vs {base} (avg)'] if base
                                            else []))
  lines = ['| ' + ' | '.join(headings) + ' |',
           '|---|' + '---|' * (len(headings) - 1)]
  for row in board['rows']:
    cells = [row['name'], '–' if row['steps'] is None else str(row['steps']),
             _flops(row['flops']), _wall(row['seconds'])]
    cells += [_number(row['pretrain_metrics'].get(m), 3)
              for m in board['metrics']]
    for task in board['tasks']:
      entry = row['tasks'].get(task)
      cells.append(f'{entry["score"]:.1f} ({entry["min"]:.1f}–'
                   f'{entry["max"]:.1f}, n={len(entry["seeds"])})'
                   if entry else '–')
    cells.append(_number(row['average']))
    if base:
      note = board['versus'].get(row['name'], {}).get(AVERAGE)
      cells.append('baseline' if row['name'] == base else
                   (note.note() if note else '–'))
    lines.append('| ' + ' | '.join(cells) + ' |')
  lines += ['', 'Task cells: median over seeds (min–max, n seeds) of the '
            'configuration with the best median, in percent. Avg: mean task '
            'score over the tasks present (WNLI excluded).']
  if base:
    lines += ['', f'Paired bootstrap vs {base} (difference [95% CI]; '
              'significant when the interval excludes 0):', '',
              '| Arm | Task | Difference | p | Verdict | Over |',
              '|---|---|---|---|---|---|']
    for name, notes in board['versus'].items():
      for task, note in notes.items():
        if note:
          verdict = 'significant' if note.significant else 'within noise'
          lines.append(f'| {name} | {task} | {note.difference:+.1f} '
                       f'[{note.low:.1f}, {note.high:.1f}] | '
                       f'{note.p_value:.3f} | {verdict} | {note.samples} '
                       f'{note.method} |')
  return '\n'.join(lines) + '\n'


def write_csv(board: dict, path: str) -> None:
  """One row per arm: budget, metrics, each task's median/min/max/seeds,
  average and the average's comparison with the baseline."""
  columns = ['arm', 'steps', 'flops', 'seconds'] + board['metrics']
  for task in board['tasks']:
    columns += [f'{task} median', f'{task} min', f'{task} max',
                f'{task} seeds']
  columns += ['average', 'vs_baseline', 'difference', 'ci_low', 'ci_high',
              'p_value', 'significant']
  with tf.io.gfile.GFile(path, 'w') as f:
    writer = csv.DictWriter(f, columns, lineterminator='\n')
    writer.writeheader()
    for row in board['rows']:
      out = {'arm': row['name'], 'steps': row['steps'],
             'flops': row['flops'], 'seconds': row['seconds'],
             'average': row['average']}
      out.update(row['pretrain_metrics'])
      for task, entry in row['tasks'].items():
        out.update({f'{task} median': entry['score'],
                    f'{task} min': entry['min'], f'{task} max': entry['max'],
                    f'{task} seeds': len(entry['seeds'])})
      note = board['versus'].get(row['name'], {}).get(AVERAGE)
      if note:
        out.update({'vs_baseline': board['baseline'],
                    'difference': note.difference, 'ci_low': note.low,
                    'ci_high': note.high, 'p_value': note.p_value,
                    'significant': note.significant})
      writer.writerow({k: (f'{v:.4f}' if isinstance(v, float) and
                           not v.is_integer() else v)
                       for k, v in out.items()})


def plot_score_vs_flops(board: dict, path: str) -> None:
  """The TEAMS-paper figure: average score vs pretraining FLOPs, per arm
  (arms without FLOPs are listed in the title and drawn as a dashed level
  line when they have an average)."""
  plt = figures.pyplot()
  figure, axis = plt.subplots(figsize=(5.5, 4))
  missing, shown = [], []
  for index, row in enumerate(board['rows']):
    if row['flops'] is None or row['average'] is None:
      missing.append(row['name'])
      if row['average'] is not None:  # e.g. random init: a level line
        axis.axhline(row['average'], linestyle='--', color=f'C{index}',
                     label=f'{row["name"]} (no pretraining FLOPs)')
      continue
    shown.append(row['flops'])
    axis.scatter([row['flops']], [row['average']], s=30, color=f'C{index}')
    axis.annotate(row['name'], (row['flops'], row['average']), fontsize=8,
                  xytext=(4, 4), textcoords='offset points')
  axis.set_xscale('log')
  if shown:  # At least a decade either way: no crowded minor tick labels.
    axis.set_xlim(min(shown) / 3, max(shown) * 3)
    axis.xaxis.set_minor_formatter(plt.NullFormatter())
  axis.set_xlabel('pretraining FLOPs')
  axis.set_ylabel('average score (%)')
  axis.grid(alpha=0.3)
  title = 'Average fine-tuning score vs pretraining compute'
  if missing:
    title += f'\n(no FLOPs: {", ".join(missing)})'
    if axis.get_legend_handles_labels()[0]:
      axis.legend(fontsize=7, loc='best')
  axis.set_title(title, fontsize=9)
  figure.tight_layout()
  figures.save_png(figure, path)


def plot_seed_spreads(board: dict, path: str) -> None:
  """One panel per task: each arm's seeds (dots) and median (bar)."""
  plt = figures.pyplot()
  tasks = board['tasks']
  columns = min(3, max(1, len(tasks)))
  rows = math.ceil(len(tasks) / columns) or 1
  figure, axes = plt.subplots(rows, columns, squeeze=False,
                              figsize=(4.5 * columns, 3.4 * rows))
  names = [r['name'] for r in board['rows']]
  for index, task in enumerate(tasks):
    axis = axes[index // columns][index % columns]
    for x, row in enumerate(board['rows']):
      entry = row['tasks'].get(task)
      if entry:
        scores = list(entry['seeds'].values())
        axis.scatter([x] * len(scores), scores, s=14, alpha=0.7,
                     color=f'C{x}')
        axis.hlines(entry['score'], x - 0.3, x + 0.3, colors='black')
    axis.set_xticks(range(len(names)))
    axis.set_xticklabels(names, rotation=20, fontsize=7)
    axis.set_title(f'{task} (score per seed, %)', fontsize=9)
    axis.grid(alpha=0.3)
  for index in range(len(tasks), rows * columns):
    axes[index // columns][index % columns].axis('off')
  figure.tight_layout()
  figures.save_png(figure, path)


def write_leaderboard(arms: List[dict], output_dir: str,
                      baseline: Optional[str] = None,
                      **bootstrap) -> Dict[str, str]:
  """Writes FILES under `output_dir`; returns {kind: path}."""
  board = build(arms, baseline, **bootstrap)
  tf.io.gfile.makedirs(output_dir)
  paths = {kind: os.path.join(output_dir, name)
           for kind, name in FILES.items()}
  with tf.io.gfile.GFile(paths['markdown'], 'w') as f:
    f.write(markdown(board))
  write_csv(board, paths['csv'])
  plot_score_vs_flops(board, paths['flops_plot'])
  plot_seed_spreads(board, paths['spread_plot'])
  return paths
