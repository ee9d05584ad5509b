"""The stages of one arm: each a `python -m` module run with its flags.

Layout under the comparison's output dir (one root, so `tensorboard
--logdir DIR` overlays every arm's pretraining and fine-tuning curves):

  <arm>/pretrain/             official_ext.train's model_dir (checkpoints,
                              train/ and eval/ events, operative config)
  <arm>/export/               official_ext.export (pretrain arms: the
                              newest checkpoint; random arms: untrained)
  <arm>/architecture/         random arms: the operative config export reads
  <arm>/finetune/             official_ext.finetune's model_dir (every task
                              and seed; its results.md / summary.json)
  <arm>/stages/<stage>/       stage.json (done marker + result) and the log

Stages, in order: `pretrain` (TRAIN_STEPS from the budget plan, resuming
from its own checkpoints), `heldout_eval` (`--mode=eval` on the held-out
records, every batch: EVAL_STEPS = -1 after the arm's bindings,
`--metrics_json`), `export`, then `finetune_<task>_seed<k>` per
task and seed (`--seeds=1 --first_seed=k`; a crashed run resumes from its
checkpoint). A checkpoint arm skips pretraining and export and fine-tunes
its `init_checkpoint`.
"""
import dataclasses
import os
from typing import List, Optional

from official_ext.compare import record_sets


@dataclasses.dataclass(frozen=True)
class Stage:
  """name: unique within the arm; kind: pretrain | heldout_eval | export |
  finetune; args: the module and its flags; task/seed: finetune stages."""
  name: str
  kind: str
  args: tuple
  task: Optional[str] = None
  seed: Optional[int] = None


def arm_dir(output_dir: str, arm_name: str) -> str:
  return os.path.join(output_dir, arm_name)


def stage_dir(output_dir: str, arm_name: str, stage_name: str) -> str:
  return os.path.join(output_dir, arm_name, 'stages', stage_name)


def task_slug(task: str) -> str:
  return task.replace('/', '_')


def _intervals(steps: int, checkpoints: int):
  """(log interval, checkpoint interval): ~10 log lines per run, at most
  100 steps apart; `checkpoints` checkpoints (multiples of the log
  interval, as the trainer requires)."""
  log = max(1, min(100, steps // 10))
  every = max(log, (steps // max(1, checkpoints)) // log * log)
  return log, every


def pretrain_bindings(comparison, steps: int, stream_manifests) -> List[str]:
  """The budget's and data's bindings (the arm's own bindings follow)."""
  log, every = _intervals(steps, comparison.checkpoints)
  out = [f'TRAIN_STEPS = {steps}', f'LOG_INTERVAL = {log}',
         f'CHECKPOINT_INTERVAL = {every}',
         f'EVAL_INTERVAL = {max(log, steps // log * log)}']
  if comparison.warmup_fraction is not None:
    out.append('WARMUP_STEPS = '
               f'{max(1, round(comparison.warmup_fraction * steps))}')
  for stream, path in sorted(stream_manifests.items()):
    out.append(f'{stream.upper()}_DATA_MANIFEST = {path!r}')
  return out


def _gin_flags(arm, bindings, last=()):
  """The arm's gin files; `bindings`, the arm's own, then `last`."""
  return ([f'--gin_file={g}' for g in arm.gin_files] +
          [f'--gin_bindings={b}'
           for b in list(bindings) + list(arm.bindings) + list(last)])


def arm_stages(comparison, arm, steps: Optional[int], output_dir: str,
               tasks, seeds) -> List[Stage]:
  """Every stage of `arm` (an ArmSpec with resolved records/vocab)."""
  root = arm_dir(output_dir, arm.name)
  pretrain = os.path.join(root, 'pretrain')
  export = os.path.join(root, 'export')
  stages = []
  if arm.init in ('pretrain', 'random'):
    records = record_sets.manifest(comparison, arm.records or
                                   comparison.records, output_dir)
    streams = {name: record_sets.manifest(comparison, value, output_dir)
               for name, value in (comparison.streams or {}).items()}
  if arm.pretrains:
    bindings = pretrain_bindings(comparison, steps, streams)
    stages.append(Stage('pretrain', 'pretrain', tuple(
        ['official_ext.train', f'--data_manifest={records}',
         f'--model_dir={pretrain}', '--mode=train'] +
        _gin_flags(arm, bindings))))
    heldout = record_sets.heldout_manifest(
        comparison, arm.records or comparison.records, output_dir)
    if heldout:
      heldout_streams = {
          name: record_sets.heldout_manifest(comparison, value, output_dir)
          or streams[name] for name, value in (comparison.streams or
                                               {}).items()}
      eval_bindings = pretrain_bindings(comparison, steps, heldout_streams)
      metrics = os.path.join(stage_dir(output_dir, arm.name,
                                       'heldout_eval'), 'metrics.json')
      stages.append(Stage('heldout_eval', 'heldout_eval', tuple(
          ['official_ext.train', f'--data_manifest={records}',
           f'--eval_data_manifest={heldout}', f'--model_dir={pretrain}',
           '--mode=eval', f'--metrics_json={metrics}'] +
          _gin_flags(arm, eval_bindings, last=['EVAL_STEPS = -1']))))
    stages.append(Stage('export', 'export', (
        'official_ext.export', f'--model_dir={pretrain}',
        f'--output_dir={export}')))
  elif arm.init == 'random':
    architecture = os.path.join(root, 'architecture')
    stages.append(Stage('export', 'export', (
        'official_ext.export', f'--model_dir={architecture}',
        f'--output_dir={export}', '--random_init')))
  init = export if arm.init != 'checkpoint' else arm.init_checkpoint
  for task in tasks:
    for seed in seeds:
      stages.append(Stage(
          f'finetune_{task_slug(task)}_seed{seed}', 'finetune', tuple(
              ['official_ext.finetune', f'--task={task}',
               f'--init_checkpoint={init}',
               f'--model_dir={os.path.join(root, "finetune")}',
               '--seeds=1', f'--first_seed={seed}'] +
              ([f'--vocab_file={arm.vocab}'] if arm.vocab else []) +
              list(comparison.finetune_flags)), task=task, seed=seed))
  return stages


def architecture_config(comparison, arm, output_dir: str) -> str:
  """A random arm's `operative_config.gin` for export: its gin files and
  bindings plus the data (export builds the model and reads the vocab from
  the records' manifest)."""
  records = record_sets.manifest(comparison, arm.records or
                                 comparison.records, output_dir)
  lines = [f"include '{g}'" for g in arm.gin_files]
  lines += list(arm.bindings) + [f'DATA_MANIFEST = {records!r}']
  return '\n'.join(lines) + '\n'
