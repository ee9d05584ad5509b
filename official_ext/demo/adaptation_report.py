"""The main job's tables, plots and summary.json (`adaptation`).

Held-out pretraining metrics of each continued encoder at its first and
last step (its `eval_history.json`); per training-set size each encoder's
SST-2 score (median [min-max] over seeds) with the gaps continued -
released and released - random and their noise verdicts
(`learning_curve.table`); `comparison.png` (every seed's score on the whole
training set, per encoder), `learning_curve.png` (with curve sizes) and
`summary.json` (`results.summary`).
"""

import os
from typing import Dict, List, Sequence, Tuple

from official_ext import figures
from official_ext import learning_curve
from official_ext import output_dir as output_dir_lib
from official_ext.demo import results
from official_ext.trainer import eval_history

METRIC = 'SST-2 sample dev accuracy (%)'
TUNE_METRIC = 'SST-2 accuracy (%) on 1 in 4 training examples, held out'
# Held-out metric -> (label, chance).
HELDOUT = (('mlm_accuracy', 'MLM accuracy', '1/vocab'),
           ('rtd_auc', 'RTD AUC', '0.5'),
           ('mws_accuracy', 'MWS accuracy', '1/(K+1)'))


def heldout(model_dirs: Dict[str, str]) -> Dict[str, dict]:
  """{encoder: {'first': {step, metrics}, 'last': {...}}} of each continued
  encoder whose history has an evaluation."""
  out = {}
  for name, model_dir in model_dirs.items():
    history = eval_history.read(model_dir)
    if history:
      out[name] = {'first': history[0], 'last': history[-1]}
  return out


def heldout_table(first_last: Dict[str, dict]) -> str:
  """Markdown: each held-out metric at the first and last step."""
  lines = ['| continued encoder | held-out metric | step | value | step | '
           'value | chance |', '|---|---|---|---|---|---|---|']
  for name, ends in first_last.items():
    first, last = ends['first'], ends['last']
    for key, label, chance in HELDOUT:
      if key in last['metrics']:
        if name.endswith('teams') and key == 'mlm_accuracy':
          label = 'MLM accuracy (generator)'
        lines.append(
            f"| {name} | {label} | {first['step']} | "
            f"{first['metrics'].get(key, float('nan')):.3f} | "
            f"{last['step']} | {last['metrics'][key]:.3f} | {chance} |")
  return '\n'.join(lines)


def pairs(names: Sequence[str]) -> List[Tuple[str, str]]:
  """The compared pairs: each continued encoder vs the released one, and
  the released one vs random init."""
  out = [(n, 'released') for n in names if n.startswith('continued_')]
  if 'random' in names:
    out.append(('released', 'random'))
  return out


def curves(out: str, names: Sequence[str]):
  """{encoder: [Point]} of every finished fine-tuning run."""
  scores = {name: results.scores([os.path.join(out, 'finetune', name)])
            for name in names}
  return learning_curve.points({k: v for k, v in scores.items() if v})


def comparison_plot(out: str, names: Sequence[str], full_size: int,
                    metric: str, title: str) -> str:
  """Every seed's score on the whole training set, a dot per seed and a
  bar at the median, per encoder; returns the PNG's path."""
  pyplot = figures.pyplot()
  figure, axes = pyplot.subplots(figsize=(1.6 * len(names) + 2, 3.6))
  for index, name in enumerate(names):
    values = results.scores([os.path.join(out, 'finetune', name)]).get(
        full_size, [])
    axes.scatter([index] * len(values), values, label=name)
    if values:
      axes.hlines(sorted(values)[len(values) // 2], index - 0.25,
                  index + 0.25)
  axes.set_xticks(range(len(names)), names, fontsize=8)
  axes.set_ylabel(metric)
  axes.set_title(title, fontsize=9)
  figure.tight_layout()
  path = os.path.join(out, 'comparison.png')
  figures.save_png(figure, path)
  return path


def report(out: str, names: Sequence[str], continued: Dict[str, str],
           full_size: int, tuned: bool, label: str) -> Tuple[str, dict]:
  """Writes the plots; returns the printed report and what summary.json
  holds besides the times (`write_summary`)."""
  metric = TUNE_METRIC if tuned else METRIC
  first_last = heldout(continued)
  by_encoder = curves(out, names)
  text = []
  if first_last:
    text += ['Continued pretraining, on held-out in-domain documents '
             '(never trained on). The released encoder ships without these '
             'heads: at step 0 they are untrained, so part of the rise is '
             'the head learning.', '', heldout_table(first_last), '']
  text += [f'Fine-tuning ({metric}):', '',
           learning_curve.table(by_encoder, metric, full_size,
                                pairs(list(by_encoder)))]
  plot = comparison_plot(out, list(by_encoder), full_size, metric,
                         f'{label}: released vs continued vs random init')
  text += ['', f'plot: {plot}']
  if any(len(points) > 1 for points in by_encoder.values()):
    path = os.path.join(out, 'learning_curve.png')
    learning_curve.plot(by_encoder, path, metric,
                        f'{label} by labelled data: released, continued, '
                        'random init')
    text.append(f'plot: {path}')
  return '\n'.join(text), dict(curves=by_encoder, metric=metric,
                               heldout=first_last)


def write_summary(out: str, seconds: float, stage_seconds: Dict[str, float],
                  content: dict, full_size: int, **extra) -> str:
  """`<out>/summary.json` (`results.summary`); returns its path."""
  summary = results.summary(seconds, stage_seconds, content['curves'],
                            full_size, metric=content['metric'],
                            heldout=content['heldout'], **extra)
  path = os.path.join(out, results.SUMMARY_FILE)
  output_dir_lib.write_json(path, summary)
  return path
