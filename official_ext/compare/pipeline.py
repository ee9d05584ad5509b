"""Runs a comparison: data stages, every arm's stage chain, the leaderboard.

`check` runs every bad-input check before anything is written (gin files
that do not exist, two arms with one name, arms reading records of another
corpus, unknown tasks, a budget no arm can meet, `--arms` naming no arm);
`run` then builds the data (`record_sets.build_stages`), runs each selected
arm's stages (`arm_stages.arm_stages`; up to `parallel` arms at once, each
stage a `stages.run_stage` around its own process, `stage_process`), and
writes the leaderboard (`leaderboard.write_leaderboard`) from every arm
whose stages have all finished. A rerun skips finished stages; several
processes may share one output dir with disjoint `--arms`.
"""
import concurrent.futures
import dataclasses
import json
import os
import threading
import time
from typing import Callable, Dict, Optional, Sequence

import tensorflow as tf

from official_ext import stage_process
from official_ext.compare import arm_stages
from official_ext.compare import arms as arms_lib
from official_ext.compare import budget as budget_lib
from official_ext.compare import example_scores
from official_ext.compare import leaderboard
from official_ext.compare import record_sets
from official_ext.compare import stages as stages_lib
from official_ext.finetuning import task_names

HELDOUT_PREFIX = 'held-out '
_PRINT_LOCK = threading.Lock()


def _say(line: str) -> None:
  with _PRINT_LOCK:
    print(f'[compare {time.strftime("%H:%M:%S")}] {line}', flush=True)


def resolved_arms(comparison, output_dir: str):
  """Arms with records and vocab filled in (the built vocab when the
  comparison builds its data)."""
  vocab = record_sets.vocab_file(comparison, output_dir)
  out = []
  for arm in comparison.resolved_arms():
    if arm.vocab is None and vocab:
      arm = dataclasses.replace(arm, vocab=vocab)
    out.append(arm)
  return out


def _named_manifests(comparison, arms, output_dir):
  named = []
  for arm in arms:
    if arm.pretrains:
      named.append((f'arm {arm.name!r}', record_sets.manifest(
          comparison, arm.records, output_dir)))
  for stream, value in (comparison.streams or {}).items():
    named.append((f'stream {stream!r}', record_sets.manifest(
        comparison, value, output_dir)))
  return named


def _exists(path: str) -> bool:
  """`path` exists as given or relative to the repo (stages run there)."""
  return tf.io.gfile.exists(path) or (
      '://' not in path and tf.io.gfile.exists(
          os.path.join(record_sets.REPO, path)))


def check(comparison, output_dir: str,
          selected: Optional[Sequence[str]] = None):
  """Every bad-input check; returns (arms, plan, selected arm names).

  Raises:
    arms_lib.ArmError, budget_lib.BudgetError: one line naming the input.
  """
  _, plan = comparison.check()
  arms = resolved_arms(comparison, output_dir)
  names = [a.name for a in arms]
  if selected:
    unknown = [n for n in selected if n not in names]
    if unknown:
      raise arms_lib.ArmError(f'--arms: {unknown} not among the arms '
                              f'{names}')
  for arm in arms:
    for gin_file in arm.gin_files:
      if not _exists(gin_file):
        raise arms_lib.ArmError(f'arm {arm.name!r}: gin file {gin_file!r} '
                                f'does not exist')
    if arm.pretrains and plan[arm.name].steps is None:
      raise budget_lib.BudgetError(
          f'arm {arm.name!r}: a wall_clock budget needs its measured step '
          f'time (Comparison.seconds_per_step; the trainer stops at a step '
          f'count)')
    if arm.init in ('pretrain', 'random') and not (arm.records or
                                                   comparison.records):
      raise arms_lib.ArmError(f'arm {arm.name!r}: no records (set '
                              f'Comparison.records or record_sets)')
  if comparison.heldout_every < 2:
    raise arms_lib.ArmError(f'heldout_every = {comparison.heldout_every}: '
                            f'must be >= 2')
  if comparison.checkpoints < 1:
    raise arms_lib.ArmError(f'checkpoints = {comparison.checkpoints}: must '
                            f'be >= 1')
  named = _named_manifests(comparison, arms, output_dir)
  given = [(label, path) for label, path in named
           if not any(path == record_sets.manifest(comparison, s, output_dir)
                      for s in comparison.record_sets or {})]
  missing = record_sets.missing_manifests(given)
  if missing:
    raise arms_lib.ArmError(f'records: {missing[0]}')
  if comparison.vocab and not _exists(comparison.vocab):
    raise arms_lib.ArmError(f'vocab {comparison.vocab} does not exist')
  for flag in comparison.finetune_flags:
    if flag.startswith('--data_dir=') and not _exists(flag.split('=', 1)[1]):
      raise arms_lib.ArmError(f'finetune_flags {flag}: no such directory '
                              f'(the task data)')
  record_sets.check_same_corpus(named)
  return arms, plan, list(selected or names)


def _work(stage, output_dir, comparison, arm, plan):
  """stage_dir -> the stage's result (runs its process)."""
  def work(stage_dir):
    if stage.kind == 'export' and arm.init == 'random':
      path = os.path.join(arm_stages.arm_dir(output_dir, arm.name),
                          'architecture', 'operative_config.gin')
      tf.io.gfile.makedirs(os.path.dirname(path))
      with tf.io.gfile.GFile(path, 'w') as f:
        f.write(arm_stages.architecture_config(comparison, arm, output_dir))
    stage_process.run_module(stage.name, stage.args, stage_dir,
                             label='compare', echo=lambda _: None)
    if stage.kind == 'pretrain':
      latest = tf.train.latest_checkpoint(os.path.join(
          arm_stages.arm_dir(output_dir, arm.name), 'pretrain'))
      if not (latest or '').endswith(f'ckpt-{plan.steps}'):
        raise stage_process.StageError(
            f'stage {stage.name!r} of arm {arm.name!r} stopped at {latest}, '
            f'before step {plan.steps} (rerun to resume)')
      return {'steps': plan.steps, 'flops': plan.flops}
    if stage.kind == 'heldout_eval':
      with tf.io.gfile.GFile(os.path.join(stage_dir, 'metrics.json')) as f:
        return {'metrics': json.load(f)}
    if stage.kind == 'finetune':
      slug = task_names.parse_task(stage.task).slug
      pattern = os.path.join(arm_stages.arm_dir(output_dir, arm.name),
                             'finetune', slug, '*', f'seed{stage.seed}',
                             'run.json')
      paths = sorted(tf.io.gfile.glob(pattern))
      if not paths:
        raise stage_process.StageError(
            f'stage {stage.name!r} of arm {arm.name!r} wrote no {pattern}')
      runs = []
      for path in paths:  # One per configuration (a learning-rate grid).
        with tf.io.gfile.GFile(path) as f:
          runs.append({'run': json.load(f), 'run_dir': os.path.dirname(path)})
      return {'runs': runs}
    return {}
  return work


def run_arm(comparison, arm, plan, output_dir, tasks, seeds) -> Dict[str, dict]:
  """Runs (or skips) every stage of `arm`; stage name -> its record."""
  records = {}
  stages = arm_stages.arm_stages(comparison, arm,
                                 plan.steps if plan else None, output_dir,
                                 tasks, seeds)
  for index, stage in enumerate(stages, 1):
    records[stage.name] = stages_lib.run_stage(
        f'{arm.name} {stage.name} ({index}/{len(stages)})',
        arm_stages.stage_dir(output_dir, arm.name, stage.name),
        _work(stage, output_dir, comparison, arm, plan), log=_say)
  return records


def arm_record(comparison, arm, plan, output_dir) -> Optional[dict]:
  """The leaderboard's record of `arm` from its finished stages; None when
  a fine-tuning stage has not finished."""
  records = {}
  for stage in arm_stages.arm_stages(comparison, arm,
                                     plan.steps if plan else None,
                                     output_dir, comparison.tasks,
                                     comparison.seeds):
    done = stages_lib.done_record(
        arm_stages.stage_dir(output_dir, arm.name, stage.name))
    if done is None:
      return None
    records[stage.name] = done
  finetuned = [entry for r in records.values() for entry in r.get('runs', [])]
  pretrain = records.get('pretrain', {})
  metrics = records.get('heldout_eval', {}).get('metrics', {})
  return {
      'name': arm.name, 'steps': pretrain.get('steps'),
      'flops': pretrain.get('flops'), 'seconds': pretrain.get('seconds'),
      'pretrain_metrics': {HELDOUT_PREFIX + k: v for k, v in metrics.items()
                           if k.endswith(('_accuracy', '_auc'))},
      'runs': [entry['run'] for entry in finetuned],
      'example_predictions': example_scores.arm_predictions(
          [(entry['run'], entry['run_dir']) for entry in finetuned])}


def write_report(comparison, arms, plan, output_dir,
                 log: Callable[[str], None] = _say) -> Optional[dict]:
  """The leaderboard of every finished arm (None when none finished)."""
  finished, waiting = [], []
  for arm in arms:
    record = arm_record(comparison, arm, plan.get(arm.name), output_dir)
    (finished if record else waiting).append(record or arm.name)
  if waiting:
    log(f'not finished yet (left out of the leaderboard): {waiting}')
  if not finished:
    return None
  baseline = comparison.baseline
  if baseline not in [r['name'] for r in finished]:
    baseline = None
  return leaderboard.write_leaderboard(finished, output_dir, baseline)


def run(comparison, output_dir: str, selected: Optional[Sequence[str]] = None,
        parallel: int = 1, report_only: bool = False) -> Optional[dict]:
  """Checks, runs the stages and writes the leaderboard; returns its paths.

  Raises:
    ArmError / BudgetError: bad input (before anything is written).
    stage_process.StageError: a stage failed (the other arms finish first).
  """
  arms, plan, selected = check(comparison, output_dir, selected)
  start = time.time()
  if not report_only:
    tf.io.gfile.makedirs(output_dir)
    for name, stage_dir, args in record_sets.build_stages(comparison,
                                                           output_dir):
      stages_lib.run_stage(name, stage_dir, _module_work(name, args),
                           log=_say)
    record_sets.check_same_corpus(_named_manifests(comparison, arms,
                                                   output_dir))
    chosen = [a for a in arms if a.name in selected]
    errors = []
    with concurrent.futures.ThreadPoolExecutor(max(1, parallel)) as pool:
      futures = {pool.submit(run_arm, comparison, arm, plan.get(arm.name),
                             output_dir, comparison.tasks,
                             comparison.seeds): arm.name for arm in chosen}
      for future in concurrent.futures.as_completed(futures):
        try:
          future.result()
          _say(f'arm {futures[future]}: all stages done')
        except stage_process.StageError as e:
          errors.append(e)
          _say(f'arm {futures[future]}: FAILED: {str(e).splitlines()[0]}')
    if errors:
      raise errors[0]
  paths = write_report(comparison, arms, plan, output_dir)
  _say(f'finished in {time.time() - start:.0f} s')
  return paths


def _module_work(name, args):
  def work(stage_dir):
    stage_process.run_module(name, args, stage_dir, label='compare',
                             echo=lambda _: None)
    return {}
  return work

