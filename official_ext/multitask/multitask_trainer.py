"""Multi-task training of one encoder on supervised tasks (Muppet / jiant).

    summary = train(specs, TrainerConfig(...), vocab_file=..., model_dir=...,
                    init_checkpoint=<our export dir or a checkpoint>)

Each update trains on the task(s) the composition plan picks
(`batch_composition`: dataset-homogeneous, batch-homogeneous, or
batch-heterogeneous with `tasks_per_update` sub-batches whose gradients are
summed into one update, `multitask_step`), with the tasks' sampling
probabilities (`task_sampling`, times each spec's `weight`) and per-task
loss scales (`loss_scaling.task_loss_scales`: Muppet's 1 / ln n or jiant's
size-based weights), optionally with R3F.

Every `eval_interval` updates each task's dev split is scored
(`multitask_eval`); the mean of the task scores drives early stopping
(`early_stopping.EarlyStopping`, patience in checks) and the best
checkpoint, whose encoder is exported to `<model_dir>/export` (the layout
`python -m official_ext.finetune --init_checkpoint=<model_dir>/export`
restores) and whose heads go to `<model_dir>/export/heads` (one checkpoint
entry per head name, for reuse at fine-tuning).

Training runs on the spine every job shares (`trainer/spine.py`): a
`multitask_program.MultiTaskProgram` (one update per Orbit step) under
`spine.make_controller`, which restores the newest checkpoint (exact
resume: weights, optimizer, update counter and each task's data position),
saves every `checkpoint_interval` updates and at each check, prints a
progress line with ETA and writes the train summaries; this module runs
`controller.train(steps=<next check>)` and the checks between.

On disk in `model_dir`: `ckpt-*` (model, optimizer, update counter; a rerun
resumes from the latest; a rerun of a finished or early-stopped run trains
no further and reuses its last check), `early_stopping.json`, `evals.jsonl`
(one line per check), `summary.json`, and TensorBoard under `tensorboard/`:
`train/<task>/loss` (mean over the log interval), `train/learning_rate`,
`train/examples_per_second`, `eval/<task>/<metric>` and `eval/mean_score`.
"""

import dataclasses
import json
import math
import os
import time
from typing import Any, Dict, Optional, Sequence

from absl import logging
import orbit
import tensorflow as tf
import tf_keras


from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import encoder_init
from official_ext.multitask import batch_composition
from official_ext.multitask import early_stopping as early_stopping_lib
from official_ext.multitask import loss_scaling
from official_ext.multitask import multitask_encoder
from official_ext.multitask import multitask_eval
from official_ext.multitask import multitask_model
from official_ext.multitask import multitask_program
from official_ext.multitask import multitask_step
from official_ext.multitask import supervised_data
from official_ext.multitask import task_sampling
from official_ext.multitask import task_spec as task_spec_lib
from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import fault_policy
from official_ext.trainer import optimizer_builder
from official_ext.trainer import spine

SUMMARY_FILE = 'summary.json'
EVALS_FILE = 'evals.jsonl'
STOPPING_FILE = 'early_stopping.json'
EXPORT_SUBDIR = 'export'


@dataclasses.dataclass
class TrainerConfig:
  """Settings of a multi-task run (module docstring).

  Attributes:
    composition: 'dataset_homogeneous', 'batch_homogeneous' or
      'batch_heterogeneous' (Muppet's choice).
    tasks_per_update: sub-batches per update (heterogeneous only; >= 2).
    sampling: task sampling method ('natural' = proportional to size,
      'uniform', 'proportional', 'log_proportional', 'power').
    sampling_power: exponent of 'power' sampling (jiant: 0.75).
    loss_scaling: 'muppet' (1 / ln n), 'uniform', 'proportional' or 'power'.
    scaling_power: exponent of 'power' scaling.
    batch_size: examples per sub-batch (global, over replicas).
    total_updates: optimizer updates (the schedule's length).
    learning_rate, warmup_proportion, weight_decay, clip_norm: AdamW with
      linear warm-up then linear decay (as fine-tuning).
    eval_interval: updates between validations (0: only at the end).
    eval_batch_size: dev batch size.
    patience: stop after this many validations without improvement of the
      mean score (0: never stop early).
    r3f_lambda, r3f_noise, r3f_eps: R3F (lambda 0: off).
    r4f: spectrally normalised classification heads (R4F with r3f_lambda).
    reuse_heads: start heads from those of the same name saved with
      `init_checkpoint` (a multi-task export's `heads/`; Muppet reuses
      pre-finetuned heads at fine-tuning).
    dropout_rate: encoder and head dropout.
    log_interval: updates between train-loss summaries.
    checkpoint_interval: updates between checkpoints (0: eval_interval).
    seed: sampling, shuffling and initialisation seed.
  """
  composition: str = 'batch_heterogeneous'
  tasks_per_update: int = 4
  sampling: str = 'natural'
  sampling_power: float = 0.75
  loss_scaling: str = 'muppet'
  scaling_power: float = 0.75
  batch_size: int = 32
  total_updates: int = 1000
  learning_rate: float = 5e-5
  warmup_proportion: float = 0.06
  weight_decay: float = 0.01
  clip_norm: float = 1.0
  eval_interval: int = 100
  eval_batch_size: int = 64
  patience: int = 20
  r3f_lambda: float = 0.0
  r3f_noise: str = 'uniform'
  r3f_eps: float = 1e-5
  r4f: bool = False
  reuse_heads: bool = False
  dropout_rate: float = 0.1
  log_interval: int = 10
  checkpoint_interval: int = 0
  seed: int = 0

  def check(self) -> 'TrainerConfig':
    if self.composition not in batch_composition.KINDS:
      raise ValueError(f'unknown composition {self.composition!r}; known: '
                       f'{", ".join(batch_composition.KINDS)}.')
    for name in ('batch_size', 'total_updates', 'eval_batch_size',
                 'log_interval'):
      if getattr(self, name) < 1:
        raise ValueError(f'{name} must be >= 1, got {getattr(self, name)}.')
    for name in ('eval_interval', 'patience', 'checkpoint_interval'):
      if getattr(self, name) < 0:
        raise ValueError(f'{name} must be >= 0, got {getattr(self, name)}.')
    if not 0 <= self.warmup_proportion <= 1:
      raise ValueError('warmup_proportion must lie in [0, 1], got '
                       f'{self.warmup_proportion}.')
    return self

  @property
  def sub_batches(self) -> int:
    return (self.tasks_per_update
            if self.composition == 'batch_heterogeneous' else 1)


def _build_heads(model, prepared):
  """Creates every head's variables (one dev example per task), so that the
  optimizer and `MultiTaskStep` see them."""
  for p in prepared:
    batch = next(iter(p.dataset('dev', 1, is_training=False)))
    model(batch, task=p.spec.name, training=False)


def _task_probabilities(prepared, config):
  """Size-based probabilities times each spec's weight, renormalised
  (`check_specs` has refused every weight 0)."""
  sizes = {p.spec.name: p.num_train for p in prepared}
  probabilities = task_sampling.sampling_probabilities(
      sizes, config.sampling, config.sampling_power)
  weighted = {t: probabilities[t] * p.spec.weight
              for t, p in zip(sizes, prepared)}
  total = sum(weighted.values())
  return {t: w / total for t, w in weighted.items()}


def _previous_summary(model_dir):
  path = os.path.join(model_dir, SUMMARY_FILE)
  if not tf.io.gfile.exists(path):
    return {}
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def _last_eval(model_dir, at):
  """The record of the check at update `at` in evals.jsonl, or {}."""
  path = os.path.join(model_dir, EVALS_FILE)
  if not tf.io.gfile.exists(path):
    return {}
  with tf.io.gfile.GFile(path) as f:
    records = [json.loads(line) for line in f if line.strip()]
  records = [r for r in records if r.get('update') == at]
  return records[-1] if records else {}


def train(specs: Sequence[task_spec_lib.TaskSpec], config: TrainerConfig,
          vocab_file: str, model_dir: str, init_checkpoint: str = '',
          encoder_size: str = 'tiny', max_seq_length: int = 128,
          cache_dir: Optional[str] = None,
          strategy: Optional[tf.distribute.Strategy] = None,
          do_lower_case: bool = True,
          faults: fault_policy.FaultPolicy = fault_policy.FaultPolicy()
          ) -> Dict[str, Any]:
  """Trains, validates, exports the best encoder; returns the summary
  (`faults`: what a non-finite loss or a corrupt record does)."""
  start = time.time()
  config.check()
  task_spec_lib.check_specs(specs)
  strategy = strategy or tf.distribute.get_strategy()
  if init_checkpoint:  # a task the encoder cannot take: before any data work
    multitask_encoder.check_lengths(specs,
                                    encoder_init.resolve(init_checkpoint))
  tf.io.gfile.makedirs(model_dir)
  cache_dir = cache_dir or os.path.join(model_dir, 'features')
  prepared = [supervised_data.prepare_task(s, vocab_file, cache_dir,
                                           do_lower_case) for s in specs]
  probabilities = _task_probabilities(prepared, config)
  scales = loss_scaling.task_loss_scales(prepared, config.loss_scaling,
                                         config.scaling_power)
  plan = batch_composition.build_composition(
      config.composition, probabilities,
      tasks_per_update=config.sub_batches,
      total_updates=config.total_updates, seed=config.seed)
  logging.info('multi-task plan: %s; loss scales %s', plan.describe(), scales)

  tf_keras.utils.set_random_seed(config.seed)
  with strategy.scope():
    encoder, source = multitask_encoder.build_encoder(
        init_checkpoint, encoder_size,
        multitask_encoder.vocab_size(vocab_file), max_seq_length,
        config.dropout_rate)
    multitask_encoder.check_lengths(specs, source)
    if source.checkpoint:
      multitask_encoder.restore_encoder(encoder, source, vocab_file)
    model = multitask_model.build_multitask_model(
        encoder, prepared, dropout_rate=config.dropout_rate,
        spectral_norm=config.r4f)
    _build_heads(model, prepared)
    reused = []
    if config.reuse_heads and init_checkpoint:
      reused = multitask_encoder.restore_heads(model, init_checkpoint)
      logging.info('heads restored from %s: %s', init_checkpoint, reused)
    optimizer = optimizer_builder.adamw(
        decay_steps=config.total_updates,
        learning_rate=config.learning_rate,
        warmup_steps=int(round(config.warmup_proportion *
                               config.total_updates)),
        weight_decay=config.weight_decay, clip_norm=config.clip_norm)
    optimizer.build(model.trainable_variables)
    update = orbit.utils.create_global_step()
  step = multitask_step.MultiTaskStep(
      model, optimizer, strategy, scales, config.sub_batches,
      multitask_step.R3FConfig(config.r3f_lambda, config.r3f_noise,
                               config.r3f_eps))
  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer,
                                   update=update)
  program = multitask_program.MultiTaskProgram(
      step, plan, prepared, config.batch_size, config.seed, update,
      checkpoint, strategy, repair_dir=model_dir)
  eval_interval = config.eval_interval or config.total_updates
  ckpt_interval = config.checkpoint_interval or eval_interval
  label = os.path.basename(os.path.normpath(model_dir))  # e.g. 1-muppet
  say = lambda line: print(f'{label}: {line}', flush=True)
  resuming = bool(checkpoint_fallback.newest_readable(model_dir, say))
  controller = spine.make_controller(
      program, model_dir, config.total_updates,
      # Loops end at every log, checkpoint and eval step.
      steps_per_loop=math.gcd(config.log_interval, ckpt_interval,
                              eval_interval),
      checkpoint_interval=ckpt_interval, max_checkpoints=3,
      summary_dir=os.path.join(model_dir, 'tensorboard', 'train'),
      print_fn=say, faults=faults, record_files=program.record_files)
  stopping_path = os.path.join(model_dir, STOPPING_FILE)
  stopper = early_stopping_lib.EarlyStopping(
      patience=config.patience or 10**9, lr_patience=10**9, min_lr=0.0)
  if resuming and tf.io.gfile.exists(stopping_path):
    with tf.io.gfile.GFile(stopping_path) as f:
      stopper = early_stopping_lib.EarlyStopping.from_state_dict(json.load(f))
  resumed = int(update.numpy())
  if resuming:
    logging.info('resumed from %s at update %d', model_dir, resumed)
  evaluator = multitask_eval.MultiTaskEvaluator(model, prepared,
                                                config.eval_batch_size)
  eval_writer = tf.summary.create_file_writer(
      os.path.join(model_dir, 'tensorboard', 'eval'))
  export_dir = os.path.join(model_dir, EXPORT_SUBDIR)
  stopped = ''
  last_eval: Dict[str, Any] = {}

  def validate(at):
    nonlocal last_eval
    results = evaluator.evaluate()
    mean = multitask_eval.mean_score(results)
    # The linear schedule sets the rate; only patience is used here (the
    # stopper needs a positive rate, which a learning_rate of 0 is not).
    decision = stopper.update(at, mean, 1.0)
    with eval_writer.as_default():
      for t, r in results.items():
        for k, v in r.items():
          tf.summary.scalar(f'{t}/{k}', v, step=at)
      tf.summary.scalar('mean_score', mean, step=at)
    eval_writer.flush()
    record = {'update': at, 'mean_score': mean, 'tasks': results,
              'improved': decision.improved}
    with tf.io.gfile.GFile(os.path.join(model_dir, EVALS_FILE), 'a') as f:
      f.write(json.dumps(record, sort_keys=True) + '\n')
    if decision.improved:
      multitask_encoder.export_best(model, source, export_dir)
      output_dir_lib.write_json(os.path.join(export_dir, 'best.json'), record)
    output_dir_lib.write_json(stopping_path, stopper.state_dict())
    logging.info('update %d: mean score %.2f (best %.2f at %d) %s', at,
                 mean, decision.best, decision.best_step,
                 {t: {k: round(v, 2) for k, v in r.items()}
                  for t, r in results.items()})
    last_eval = record
    return decision

  stops = sorted(set(range(eval_interval, config.total_updates,
                           eval_interval)) | {config.total_updates})
  if stopper.stopped:
    # An early-stopped run is finished: a rerun must not train on.
    stops = []
    stopped = _previous_summary(model_dir).get('stopped_early') or (
        f'stopped early before update {resumed} (early_stopping.json)')
  for stop in stops:
    if int(update.numpy()) < stop:
      controller.train(steps=stop)
    # A check not yet made at this step (one killed after the checkpoint
    # of `stop` is made on resume).
    if int(update.numpy()) == stop and not _last_eval(model_dir, stop):
      decision = validate(stop)
      if decision.stop:
        stopped = decision.reason
        break
  if not last_eval:  # resumed after the end: its last check, else score it
    last_eval = _last_eval(model_dir, int(update.numpy()))
  if not last_eval:
    validate(int(update.numpy()))
  summary = {
      'tasks': {p.spec.name: {'kind': p.spec.kind, 'head': p.spec.head_name,
                              'num_train': p.num_train, 'num_dev': p.num_dev,
                              'probability': probabilities[p.spec.name],
                              'loss_scale': scales[p.spec.name],
                              'sub_batches_trained':
                              program.sub_batches_trained[p.spec.name]}
                for p in prepared},
      'plan': plan.describe(), 'updates': int(update.numpy()),
      'stopped_early': stopped, 'last_eval': last_eval,
      'best': stopper.state_dict(), 'export_dir': export_dir,
      'reused_heads': reused,
      'config': dataclasses.asdict(config), 'init_checkpoint':
      init_checkpoint, 'seconds': round(time.time() - start, 1)}
  output_dir_lib.write_json(os.path.join(model_dir, SUMMARY_FILE), summary)
  return summary
