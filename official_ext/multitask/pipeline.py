"""Stages of supervised training after pretraining (jiant, Muppet).

    pretrained encoder -> stage 1 tasks -> stage 2 tasks -> ... -> target

A `Stage` is one multi-task run (`multitask_trainer.train`) over its tasks:
Muppet pre-finetuning is one stage over many tasks; jiant's
intermediate-task training is one stage per intermediate task (or group),
each starting from the previous stage's best encoder with new heads (the
previous stage's heads are dropped, as jiant discards an intermediate
task's classifier). A final `FinetuneTarget` runs
`python -m official_ext.finetune` (Model Garden's GLUE/SQuAD tasks) from the
last stage's export.

Stage i writes `<model_dir>/<i>-<name>/`; a stage whose `summary.json`
exists is skipped on a rerun (an interrupted stage resumes from its
checkpoint), so the pipeline restarts where it stopped.
"""

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from absl import logging
import tensorflow as tf

from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import encoder_init
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import grid
from official_ext.finetuning import task_names
from official_ext.multitask import multitask_trainer
from official_ext.multitask import task_spec as task_spec_lib
from official_ext.trainer import fault_policy


@dataclasses.dataclass
class Stage:
  """One multi-task training stage.

  Attributes:
    name: stage name (directory `<i>-<name>`).
    tasks: its tasks.
    trainer: its `TrainerConfig`.
  """
  name: str
  tasks: Sequence[task_spec_lib.TaskSpec]
  trainer: multitask_trainer.TrainerConfig = dataclasses.field(
      default_factory=multitask_trainer.TrainerConfig)


@dataclasses.dataclass
class FinetuneTarget:
  """The target task, fine-tuned by `official_ext.finetune`.

  Attributes:
    task: e.g. 'glue/rte' or 'squad/v1.1'.
    data_dir: the task's data directory.
    args: more finetune flags, e.g. ['--seeds=3', '--epochs=3'].
  """
  task: str
  data_dir: str
  args: Sequence[str] = ()


class PipelineError(RuntimeError):
  """A stage failed; the message names it."""


def stage_dir(model_dir: str, index: int, stage: Stage) -> str:
  return os.path.join(model_dir, f'{index}-{stage.name}')


def _check(stages):
  if not stages:
    raise PipelineError('the pipeline has no stages.')
  names = [s.name for s in stages]
  for name in names:
    if not name or '/' in name or names.count(name) > 1:
      raise PipelineError(f'stage names must be unique, non-empty and '
                          f'without "/": {names}.')
  for stage in stages:
    try:
      task_spec_lib.check_specs(stage.tasks)
      stage.trainer.check()
    except ValueError as e:
      raise PipelineError(f'stage {stage.name!r}: {e}') from e


def _check_target(target, init_checkpoint, max_seq_length):
  """Fails before stage 1 when the target's sequence length (its
  `--max_seq_length` arg, else finetune's default for the task) exceeds the
  positions of the encoder the stages train (those of the start encoder)."""
  if target is None:
    return
  given = [a.split('=', 1)[1] for a in target.args
           if a.startswith('--max_seq_length=')]
  try:
    tasks = [task_names.parse_task(t) for t in target.task.split(',')]
    source = (encoder_init.resolve(init_checkpoint) if init_checkpoint else
              None)
    for task in tasks:
      length = (int(given[-1]) if given else
                grid.DEFAULT_MAX_SEQ_LENGTH[grid.family(task)])
      note = '' if given else f' (the {glue_tasks.full_name(task)} default)'
      if source is not None:
        encoder_init.check_sequence_fits(source, length,
                                         '--max_seq_length', note)
      elif length > max_seq_length:
        raise encoder_init.EncoderInitError(
            f'--max_seq_length={length}{note} exceeds the new '
            f'encoder\'s {max_seq_length} position embeddings '
            '(MultiTaskRun.max_seq_length)')
  except ValueError as e:
    raise PipelineError(f'target {target.task!r}: {e}') from e


def run_finetune(target: FinetuneTarget, init_checkpoint: str,
                 vocab_file: str, model_dir: str,
                 faults: fault_policy.FaultPolicy = fault_policy.FaultPolicy()
                 ) -> Dict[str, Any]:
  """Runs the finetune CLI on the target (with the stages' `faults`
  policy); returns its summary.json."""
  args = [sys.executable, '-m', 'official_ext.finetune',
          f'--task={target.task}', f'--init_checkpoint={init_checkpoint}',
          f'--vocab_file={vocab_file}', f'--data_dir={target.data_dir}',
          f'--model_dir={model_dir}', *faults.as_flags()] + list(target.args)
  logging.info('target: %s', ' '.join(args))
  proc = subprocess.run(args, capture_output=True, text=True, check=False)
  if proc.returncode:
    raise PipelineError(f'target {target.task!r}: finetune exited with '
                        f'{proc.returncode}:\n{proc.stderr[-3000:]}')
  with tf.io.gfile.GFile(os.path.join(model_dir, 'summary.json')) as f:
    return json.load(f)


def run_pipeline(stages: Sequence[Stage], model_dir: str, vocab_file: str,
                 init_checkpoint: str = '', encoder_size: str = 'tiny',
                 max_seq_length: int = 128,
                 target: Optional[FinetuneTarget] = None,
                 strategy: Optional[tf.distribute.Strategy] = None,
                 faults: fault_policy.FaultPolicy = fault_policy.FaultPolicy()
                 ) -> Dict[str, Any]:
  """Runs every stage in order, then the target; returns a summary.

  Args:
    stages: the stages, in order.
    model_dir: root output directory.
    vocab_file: WordPiece vocab of the encoder.
    init_checkpoint: the pretrained encoder (our export directory or a
      checkpoint); '' starts stage 1 from a random `encoder_size` encoder.
    encoder_size: size of a random encoder.
    max_seq_length: position embeddings of a random encoder.
    target: optional fine-tuning of the final encoder.
    strategy: distribution strategy of the stages.
    faults: what a non-finite loss or a corrupt record does in a stage.
  """
  _check(stages)
  _check_target(target, init_checkpoint, max_seq_length)
  results: List[Dict[str, Any]] = []
  current = init_checkpoint
  for index, stage in enumerate(stages, start=1):
    out = stage_dir(model_dir, index, stage)
    done = os.path.join(out, multitask_trainer.SUMMARY_FILE)
    if tf.io.gfile.exists(done):
      logging.info('stage %d %r: already done (%s)', index, stage.name, done)
      with tf.io.gfile.GFile(done) as f:
        summary = json.load(f)
    else:
      logging.info('stage %d %r: %d task(s) from %s', index, stage.name,
                   len(stage.tasks), current or 'a random encoder')
      summary = multitask_trainer.train(
          stage.tasks, stage.trainer, vocab_file=vocab_file, model_dir=out,
          init_checkpoint=current, encoder_size=encoder_size,
          max_seq_length=max_seq_length, strategy=strategy, faults=faults)
    results.append({'stage': stage.name, 'dir': out,
                    'best_mean_score': summary['best']['best'],
                    'updates': summary['updates']})
    current = summary['export_dir']
  outcome = {'stages': results, 'final_encoder': current}
  if target is not None:
    target_dir = os.path.join(model_dir, 'target')
    finetune = run_finetune(target, current, vocab_file, target_dir, faults)
    outcome['target'] = {'task': target.task, 'dir': target_dir,
                         'summary': finetune}
  output_dir_lib.write_json(os.path.join(model_dir, 'pipeline.json'),
                             outcome)
  return outcome
