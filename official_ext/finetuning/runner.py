"""One fine-tuning run: Model Garden task -> init -> train -> evaluate.

GLUE runs use Model Garden's `SentencePredictionTask` (a `BertClassifier`
on the pooled `[CLS]`; `num_classes=1` regresses STS-B with MSE) through
`sentence_prediction_task`, which makes its labels and outputs agree in
shape (Model Garden's regression loss broadcasts `[B]` against `[B, 1]`);
SQuAD runs use `question_answering.QuestionAnsweringTask` (a
`BertSpanLabeler`). Both restore the encoder through the task's
`init_checkpoint` after `encoder_init.check_checkpoint_fits`.

Training runs on the spine every job shares (`trainer/spine.py`): a
`TaskTrainer` drives the task's `train_step` under the given strategy for
`steps = ceil(epochs * num_train / batch_size)` steps over the repeated,
shuffled (seeded) Model Garden data loader; AdamW (weight decay 0.01,
epsilon 1e-6, clip norm 1), linear warm-up over `warmup_proportion` of the
steps, then linear decay to 0 (TEAMS/ELECTRA); a progress line every
`log_every` steps. A checkpoint is written every `checkpoint_every` steps
(rounded to `log_every`) under `run_dir/checkpoints`; a crashed run resumes
from it with the same data position (with `dropout_rate=0` the resumed run
equals an uninterrupted one); a finished run deletes it. Evaluation on the
dev set(s) after the last step (and after every epoch with
`eval_each_epoch`); the last evaluation is the run's result.

On disk, in `run_dir`: `run.json` (settings, metrics in percent, score,
timings), `predictions*.tsv` (GLUE: example_id, label, prediction) or
`predictions.json` + `null_odds.json` (SQuAD), and TensorBoard event files
under `tensorboard/train` (loss, task metrics, learning rate, examples/s)
and `tensorboard/eval`.
"""

import dataclasses
import json
import math
import os
import time
from typing import Any, Callable, Dict, Optional

import numpy as np
import tensorflow as tf
import tf_keras

from official.nlp.data import question_answering_dataloader
from official.nlp.data import sentence_prediction_dataloader
from official.nlp.tasks import question_answering
from official.nlp.tasks import sentence_prediction

from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import encoder_init
from official_ext.finetuning import glue_submission
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import length_batching
from official_ext.finetuning import metrics as metrics_lib
from official_ext.finetuning import sentence_prediction_task
from official_ext.finetuning import span_pair_task
from official_ext.finetuning import squad_data
from official_ext.finetuning import superglue_eval
from official_ext.finetuning import superglue_tasks
from official_ext.modeling.networks import flat_projection
from official_ext.trainer import checkpoint_fallback
from official_ext.trainer import corrupt_records
from official_ext.trainer import fault_policy
from official_ext.trainer import nan_guard
from official_ext.trainer import optimizer_builder
from official_ext.trainer import spine
from official_ext.trainer import task_trainer

RUN_FILE = 'run.json'
CHECKPOINT_SUBDIR = 'checkpoints'
# Settings that change how a run reports, not its result.
LOGGING_SETTINGS = frozenset({'log_every', 'checkpoint_every',
                              'eval_batch_size'})


@dataclasses.dataclass
class RunConfig:
  """Settings of one run (one grid point)."""
  seed: int
  learning_rate: float
  batch_size: int
  epochs: int
  max_seq_length: int
  warmup_proportion: float = 0.1
  weight_decay: float = 0.01
  clip_norm: float = 1.0
  eval_batch_size: int = 64
  log_every: int = 50
  checkpoint_every: int = 200
  mixed_precision: str = 'float32'
  eval_each_epoch: bool = False
  do_lower_case: bool = True
  # GLUE: train on a fixed subset of this many examples (0: all of them),
  # drawn with `train_subset_seed` (`train_subset`).
  max_train_examples: int = 0
  train_subset_seed: int = 0
  # GLUE: batches cut to their longest example (off on TPU) and, with a
  # window above 1, length-grouped over that many batches (`length_batching`).
  trim_padding: bool = True
  length_group_batches: int = 0
  # SQuAD only.
  max_query_length: int = 64
  doc_stride: int = 128
  n_best_size: int = 20
  max_answer_length: int = 30


class DivergedError(RuntimeError):
  """The training loss became NaN or infinite."""


def config_name(learning_rate, batch_size, epochs, max_train_examples=0,
                train_subset_seed=0) -> str:
  """`lr<lr>_bs<batch>_ep<epochs>`, e.g. `lr3e-5_bs32_ep3`; a training
  subset adds `_n<size>` (and `s<seed>` for a subset seed other than 0)."""
  name = f'lr{learning_rate:g}_bs{batch_size}_ep{epochs}'.replace('e-0', 'e-')
  if max_train_examples:
    name += f'_n{max_train_examples}'
    if train_subset_seed:
      name += f's{train_subset_seed}'
  return name


def num_train_steps(num_train: int, batch_size: int, epochs: int) -> int:
  return max(1, math.ceil(epochs * num_train / batch_size))


def num_train(task, prepared) -> int:
  """Training examples (GLUE) or features (SQuAD) of a prepared task."""
  return (prepared.num_train if glue_tasks.is_glue(task)
          else prepared.num_train_features)


def _build_task(task, cfg, source, prepared, vocab_file, run_dir):
  """The Model Garden task object and its training data config."""
  if glue_tasks.is_glue(task):
    train_data = sentence_prediction_dataloader.SentencePredictionDataConfig(
        input_path=prepared.train_path, global_batch_size=cfg.batch_size,
        is_training=True, seq_length=cfg.max_seq_length,
        label_type='float' if task.is_regression else 'int', seed=cfg.seed,
        shuffle_buffer_size=min(prepared.num_train, 10000))
    config = sentence_prediction.SentencePredictionConfig(
        init_checkpoint=source.checkpoint,
        model=sentence_prediction.ModelConfig(
            num_classes=task.num_classes, encoder=source.encoder_config),
        train_data=train_data)
    if getattr(task, 'reader', None) == 'wsc':  # SuperGLUE WSC: span pair
      return span_pair_task.SpanPairTask(config, vocab_file,
                                         logging_dir=run_dir), train_data
    return sentence_prediction_task.SentencePredictionTask(
        config, logging_dir=run_dir), train_data
  train_data = question_answering_dataloader.QADataConfig(
      input_path=prepared.train_path, global_batch_size=cfg.batch_size,
      is_training=True, seq_length=cfg.max_seq_length,
      version_2_with_negative=task.version_2_with_negative, seed=cfg.seed,
      shuffle_buffer_size=min(prepared.num_train_features, 10000))
  config = question_answering.QuestionAnsweringConfig(
      init_checkpoint=source.checkpoint, n_best_size=cfg.n_best_size,
      max_answer_length=cfg.max_answer_length,
      model=question_answering.ModelConfig(encoder=source.encoder_config),
      train_data=train_data,
      validation_data=question_answering_dataloader.QADataConfig(
          input_path='', is_training=False, vocab_file=vocab_file,
          do_lower_case=cfg.do_lower_case))
  return question_answering.QuestionAnsweringTask(
      config, logging_dir=run_dir), train_data


def _predict(task, mg_task, model, cfg, path, count, trim):
  """(example ids, label ids, outputs) of every example of a TFRecord,
  batches cut to their longest example when `trim` (`_trims`)."""
  infer = tf.function(
      lambda features: mg_task.inference_step(features, model),
      reduce_retracing=True)
  data_cfg = sentence_prediction_dataloader.SentencePredictionDataConfig(
      input_path=path, global_batch_size=cfg.eval_batch_size,
      is_training=False, drop_remainder=False,
      seq_length=cfg.max_seq_length, include_example_id=True,
      label_type='float' if task.is_regression else 'int')
  ids, labels, outputs = [], [], []
  dataset = length_batching.apply(mg_task.build_inputs(data_cfg), trim)
  for batch in dataset:
    ids.append(batch.pop('example_id').numpy())
    labels.append(batch.pop('label_ids').numpy())
    outputs.append(infer(batch).numpy())
  ids = np.concatenate(ids)
  if len(ids) != count:
    raise RuntimeError(f'evaluated {len(ids)} of {count} examples of {path}')
  return ids, np.concatenate(labels), np.concatenate(outputs)


def _evaluate_glue(task, mg_task, model, cfg, prepared, run_dir, trim):
  """Dev metrics (percent) of a GLUE run; writes predictions*.tsv."""
  predict = lambda path, count: _predict(task, mg_task, model, cfg, path,
                                         count, trim)
  if superglue_tasks.is_superglue(task):  # grouped predictions, own files
    return superglue_eval.evaluate(task, prepared, run_dir, predict)
  results = {}
  for split, path in prepared.eval_paths.items():
    ids, labels, outputs = predict(path, prepared.num_eval[split])
    if task.is_regression:
      predictions = outputs.reshape(-1)
    else:
      predictions = np.argmax(outputs, axis=-1)
    values = metrics_lib.glue_metrics(task.metrics, predictions, labels)
    results.update({glue_tasks.metric_key(k, split): v
                    for k, v in values.items()})
    name = 'predictions' + (f'_{split}' if split else '') + '.tsv'
    with tf.io.gfile.GFile(os.path.join(run_dir, name), 'w') as f:
      f.write('example_id\tlabel\tprediction\n')
      for i, label, pred in zip(ids, labels, predictions):
        if task.is_regression:
          f.write(f'{i}\t{label:.4f}\t{pred:.4f}\n')
        else:
          f.write(f'{i}\t{task.labels[label]}\t{task.labels[pred]}\n')
  if getattr(prepared, 'test', None):  # --predict_test: leaderboard TSVs
    glue_submission.predict_test(task, prepared.test, run_dir, predict)
  return results


def _evaluate_squad(task, mg_task, model, cfg, prepared, vocab_file, run_dir):
  """Dev metrics (percent) of a SQuAD run; writes predictions.json."""
  params = question_answering_dataloader.QADataConfig(
      input_path=prepared.dev_file, is_training=False, drop_remainder=False,
      global_batch_size=cfg.eval_batch_size, seq_length=cfg.max_seq_length,
      version_2_with_negative=task.version_2_with_negative,
      input_preprocessed_data_path=prepared.eval_dir,
      doc_stride=cfg.doc_stride, query_length=cfg.max_query_length,
      vocab_file=vocab_file, do_lower_case=cfg.do_lower_case)
  all_predictions, all_nbest, scores_diff = question_answering.predict(
      mg_task, params, model)
  answers = squad_data.gold_answers(prepared.dev_file,
                                    task.version_2_with_negative)
  if task.version_2_with_negative:
    # The best non-null span of each question; the threshold decides.
    predictions = {q: next((e['text'] for e in nbest if e['text']), '')
                   for q, nbest in all_nbest.items()}
    na_scores = {q: float(v) for q, v in scores_diff.items()}
    results = metrics_lib.squad_v2_metrics(predictions, na_scores, answers)
    with tf.io.gfile.GFile(os.path.join(run_dir, 'null_odds.json'), 'w') as f:
      json.dump(na_scores, f, indent=1)
  else:
    predictions = dict(all_predictions)
    results = metrics_lib.squad_v1_metrics(predictions, answers)
  with tf.io.gfile.GFile(os.path.join(run_dir, 'predictions.json'), 'w') as f:
    json.dump(predictions, f, indent=1)
  return results


# Strategies that compile each new input shape anew: no trimmed batches.
SHAPE_COMPILING_STRATEGIES = (tf.distribute.TPUStrategy,
                              tf.distribute.experimental.TPUStrategy)


def _trims(task, cfg, strategy) -> bool:
  """Whether batches are cut to their longest example: GLUE with
  `trim_padding`, not on the run's `strategy` if it is a TPU one (each new
  shape would compile anew)."""
  return (glue_tasks.is_glue(task) and cfg.trim_padding and
          not isinstance(strategy, SHAPE_COMPILING_STRATEGIES))


def _train_dataset_fn(mg_task, train_data, cfg, trim, glue, repair_dir):
  """`start_step -> dataset_fn(input_context)`: Model Garden's seeded,
  repeated training stream (GLUE: length-batched, `length_batching`),
  positioned at `start_step` (each step consumed one per-replica batch per
  local replica of every input pipeline), read from a repaired copy of the
  records if `repair_dir` lists one (`corrupt_records`); batches cut to
  their longest example when `trim` (`_trims`)."""
  window = cfg.length_group_batches if glue else 0

  def at_step(start_step):
    def dataset_fn(input_context=None):
      per_pipeline = 1
      if input_context:
        per_pipeline = (input_context.num_replicas_in_sync //
                        input_context.num_input_pipelines)
      data = train_data.replace(input_path=corrupt_records.substitute(
          repair_dir, [train_data.input_path])[0])
      dataset = length_batching.apply(
          mg_task.build_inputs(data, input_context), trim, window, cfg.seed)
      return dataset.skip(start_step * per_pipeline)
    return dataset_fn
  return at_step


def _load_history(path):
  if not tf.io.gfile.exists(path):
    return []
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def run(task, cfg: RunConfig, source: encoder_init.EncoderSource,
        prepared: Any, vocab_file: str, run_dir: str,
        extra: Optional[Dict[str, Any]] = None,
        strategy: Optional[tf.distribute.Strategy] = None,
        print_fn: Optional[Callable[[str], None]] = None,
        faults: fault_policy.FaultPolicy = fault_policy.FaultPolicy()
        ) -> Dict[str, Any]:
  """Trains and evaluates one run on the training spine; returns (and
  writes) its record.

  Args:
    task: `GlueTask` or `SquadTask`.
    cfg: hyperparameters of this run.
    source: the resolved encoder.
    prepared: `glue_data.PreparedData` or `squad_data.PreparedSquad`.
    vocab_file: WordPiece vocab (SQuAD featurises the dev set with it).
    run_dir: output directory of this run.
    extra: more fields for the record (e.g. the grid point's config name).
    strategy: where to train (default: the current/default strategy).
    print_fn: where progress lines go (default: stdout).
    faults: what a non-finite loss or a corrupt record does.

  Returns:
    The run record written to `run_dir/run.json`.
  """
  start = time.time()
  strategy = strategy or tf.distribute.get_strategy()
  tf.io.gfile.makedirs(run_dir)
  tf_keras.backend.clear_session()
  tf_keras.utils.set_random_seed(cfg.seed)
  optimizer_builder.set_mixed_precision_policy(cfg.mixed_precision)
  examples = num_train(task, prepared)
  steps = num_train_steps(examples, cfg.batch_size, cfg.epochs)
  steps_per_epoch = max(1, math.ceil(examples / cfg.batch_size))
  warmup = int(round(cfg.warmup_proportion * steps))
  with strategy.scope():
    mg_task, train_data = _build_task(task, cfg, source, prepared,
                                      vocab_file, run_dir)
    model = mg_task.build_model()
    encoder_init.freeze_unused_pooler(model)  # no gradient: not trained
    # Embedding projections differentiate as matmuls (same layer/weights).
    flat_projection.flatten_projections(model)
    optimizer = optimizer_builder.with_loss_scaling(optimizer_builder.adamw(
        decay_steps=steps, learning_rate=cfg.learning_rate,
        warmup_steps=warmup, weight_decay=cfg.weight_decay,
        clip_norm=cfg.clip_norm), cfg.mixed_precision)
    getattr(optimizer, 'inner_optimizer', optimizer).build(
        model.trainable_variables)  # no variables made in tracing
  checkpoint_dir = os.path.join(run_dir, CHECKPOINT_SUBDIR)
  trim = _trims(task, cfg, strategy)
  trainer = task_trainer.TaskTrainer(
      mg_task, model, optimizer, strategy,
      train_dataset_fn=_train_dataset_fn(mg_task, train_data, cfg, trim,
                                         glue_tasks.is_glue(task),
                                         checkpoint_dir),
      global_batch_size=cfg.batch_size)
  say = print_fn or (lambda line: print(f'{task.slug} seed {cfg.seed}: '
                                        f'{line}', flush=True))
  resuming = bool(checkpoint_fallback.newest_readable(checkpoint_dir, say))
  restored = 0
  if source.checkpoint:
    restored = encoder_init.check_checkpoint_fits(
        source.checkpoint, model.checkpoint_items['encoder'], source)
    if not resuming:
      mg_task.initialize(model)
  # Checkpoints at loop ends that fall on an interval multiple (and at
  # epoch ends when evaluating each epoch): loops of `log_every` steps.
  steps_per_loop = max(1, min(cfg.log_every, steps))
  interval = max(1, cfg.checkpoint_every // steps_per_loop) * steps_per_loop
  last_logs = {}
  controller = spine.make_controller(
      trainer, checkpoint_dir, steps, steps_per_loop, interval,
      max_checkpoints=1,
      summary_dir=os.path.join(run_dir, 'tensorboard', 'train'),
      print_fn=say, train_actions=[last_logs.update], faults=faults,
      record_files=[train_data.input_path])
  eval_writer = tf.summary.create_file_writer(
      os.path.join(run_dir, 'tensorboard', 'eval'))

  def evaluate(step):
    if glue_tasks.is_glue(task):
      results = _evaluate_glue(task, mg_task, model, cfg, prepared, run_dir,
                               trim)
    else:
      results = _evaluate_squad(task, mg_task, model, cfg, prepared,
                                vocab_file, run_dir)
    with eval_writer.as_default():
      for key, value in results.items():
        tf.summary.scalar(key, value, step=step)
      tf.summary.scalar('score', glue_tasks.task_score(task, results),
                        step=step)
    return results

  # Epoch-end evaluations survive a crash in history.json; a resumed run
  # continues after the last one.
  history_path = os.path.join(checkpoint_dir, 'history.json')
  history = _load_history(history_path) if resuming else []
  stops = [steps]
  if cfg.eval_each_epoch:
    stops = sorted({min(e * steps_per_epoch, steps)
                    for e in range(1, cfg.epochs + 1)} | {steps})
  try:
    for stop in stops:
      if int(trainer.global_step.numpy()) < stop:
        controller.train(steps=stop)
      if stop != steps and not any(h['step'] == stop for h in history):
        history.append({'step': stop, 'metrics': evaluate(stop)})
        output_dir_lib.write_json(history_path, history)
  except nan_guard.NonFiniteLossError as e:
    raise DivergedError(f'{run_dir}: {e} (learning_rate='
                        f'{cfg.learning_rate})') from e
  results = evaluate(steps)
  history.append({'step': steps, 'metrics': results})
  eval_writer.close()

  record = {
      'task': glue_tasks.full_name(task), 'slug': task.slug,
      'config': config_name(cfg.learning_rate, cfg.batch_size, cfg.epochs,
                            cfg.max_train_examples, cfg.train_subset_seed),
      'status': 'ok', 'seed': cfg.seed,
      'learning_rate': cfg.learning_rate, 'batch_size': cfg.batch_size,
      'epochs': cfg.epochs, 'train_steps': steps, 'warmup_steps': warmup,
      'metrics': results, 'score': glue_tasks.task_score(task, results),
      'paper_metric': task.paper_metric,
      'final_train_loss': float(np.asarray(last_logs.get(mg_task.loss,
                                                         np.nan))),
      'history': history, 'num_train': examples,
      # --max_train_examples: the subset trained on (size, seed, of, labels).
      'train_subset': getattr(prepared, 'train_subset', None) or None,
      # --skip_bad_rows: input rows left out, counted with a few examples.
      'skipped_rows': len(prepared.skipped),
      'skipped_examples': list(prepared.skipped[:5]),
      'restored_variables': restored, 'encoder': source.describe(),
      'settings': dataclasses.asdict(cfg), 'run_dir': run_dir,
      'replicas': strategy.num_replicas_in_sync, 'resumed': resuming,
      'seconds': round(time.time() - start, 2),
      'versions': {'tensorflow': tf.__version__},
  }
  record.update(extra or {})
  output_dir_lib.write_json(os.path.join(run_dir, RUN_FILE), record)
  # The run is finished: its record is what a rerun reuses, so the
  # checkpoints (encoder + optimizer slots) are no longer needed.
  tf.io.gfile.rmtree(checkpoint_dir)
  return record
