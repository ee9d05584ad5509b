r"""Fine-tunes an encoder on GLUE / SQuAD with Model Garden's tasks.

  python -m official_ext.finetune --task=glue/sst2,glue/stsb \
      --init_checkpoint=out/pretrain/export --vocab_file=vocab.txt \
      --data_dir=glue_data --model_dir=out/finetune --seeds=15 \
      --learning_rates=1e-4 --batch_sizes=32 --epochs=3

Tasks: glue/{cola,sst2,mrpc,qqp,stsb,mnli,qnli,rte,wnli},
superglue/{boolq,cb,copa,multirc,record,rte,wic,wsc,axb,axg}, squad/{v1.1,v2.0}
(comma-separate several). `--init_checkpoint`: our export directory (with
`encoder_config.json`), or any `tf.train.Checkpoint(encoder=...)` such as
Model Garden's BERT checkpoints together with `--encoder_config_file`.
Data is read from `--data_dir` (GLUE TSV layout / SuperGLUE JSONL layout /
SQuAD JSON) or, for GLUE and SuperGLUE, from TFDS prepared under
`--tfds_data_dir`; nothing is downloaded. `--predict_test` also writes
leaderboard submission files. A `--max_seq_length` (or task default) longer
than the encoder's position embeddings, or SQuAD query/stride settings that
leave no room, stop the run with one line before any data work (exit 2).

Every (learning rate, batch size, epochs, seed) is one run under
`<model_dir>/<task>/<config>/seed<k>/` (run.json, predictions, TensorBoard);
finished runs are reused, a crashed one resumes from its last checkpoint.
Runs train on the Orbit spine (`--strategy`, `--tpu`, `--mixed_precision`)
and print a progress line every `--log_every` steps. The job holds
`<model_dir>/job.lock` (a second job on the same dir stops in one line);
`--on_nonfinite`, `--max_rollbacks`, `--skip_corrupt_records` and what
stops a run with exit 1: README "When things go wrong".
`--max_train_examples=N` trains on a fixed class-balanced subset of N
examples (the same for every seed and encoder; `_n<N>` in the config name).
Afterwards `<model_dir>/results.{csv,md,png}` and `summary.json` cover every run in `model_dir`: the median over seeds (TEAMS,
use --seeds=15) and the best over the grid (olfmlm), and the GLUE average.
"""

import sys

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf

from official.nlp.configs import encoders

from official_ext import distribution_flags
from official_ext import encoder_flags  # pylint: disable=unused-import
from official_ext import fault_flags
from official_ext import output_dir as output_dir_lib
from official_ext.finetuning import encoder_init
from official_ext.finetuning import glue_data
from official_ext.finetuning import glue_submission
from official_ext.finetuning import glue_tasks
from official_ext.finetuning import grid
from official_ext.finetuning import reporting
from official_ext.finetuning import runner
from official_ext.finetuning import squad_data
from official_ext.finetuning import superglue_data
from official_ext.finetuning import superglue_tasks
from official_ext.finetuning import task_names
from official_ext.finetuning import train_subset
from official_ext.trainer import model_dir_lock
from official_ext.trainer import worker_dirs

FLAGS = flags.FLAGS

flags.DEFINE_list('task', None, 'glue/<task>, superglue/<task> or '
                  'squad/<version>, comma-separated.')
flags.DEFINE_string('encoder_config_file', '', 'JSON encoder config for '
                    'checkpoints that are not our export: BertEncoderConfig '
                    'fields, a full EncoderConfig, or a BERT bert_config.json.')
flags.DEFINE_enum('encoder_type', 'auto', ['auto', 'bert', 'teams'],
                  'Encoder built from --encoder_config_file fields (auto: '
                  'bert; our export is always teams).')
flags.DEFINE_bool('do_lower_case', True, 'Lower-case text (uncased vocab).')
flags.DEFINE_float('dropout_rate', None, 'Encoder hidden and attention '
                   'dropout while fine-tuning; default: the encoder config\'s.')
flags.DEFINE_string('data_dir', '', 'GLUE TSV folders (<data_dir>/SST-2/...) '
                    'and/or SQuAD JSON files.')
flags.DEFINE_enum('data_source', 'auto', ['auto', 'tsv', 'tfds'],
                  'GLUE source; auto: TSV when present, else prepared TFDS.')
flags.DEFINE_string('tfds_data_dir', None, 'Where TFDS glue/* is prepared.')
flags.DEFINE_integer('seeds', grid.DEFAULT_SEEDS, 'Seeds per configuration '
                     f'(TEAMS median protocol: {grid.TEAMS_SEEDS}).')
flags.DEFINE_list('max_train_examples', [], 'GLUE tasks: train on a fixed '
                  'class-balanced subset of this many training examples, '
                  'the same for every seed and encoder; several sizes '
                  '(e.g. 100,300,1000,all) make a learning curve in one '
                  'process; `all`: the whole set; default: all.')
flags.DEFINE_integer('min_train_steps', 0, 'Raise the epochs of a run '
                     'whose training set is small so that it trains at '
                     'least this many steps (learning curves); 0: off.')
flags.DEFINE_integer('train_subset_seed', 0, 'Seed choosing the '
                     '--max_train_examples subset (independent of --seeds).')
flags.DEFINE_integer('first_seed', 0, 'Seeds are first_seed, first_seed+1, '
                     '...')
flags.DEFINE_list('learning_rates', [], 'Peak learning rates; default by '
                  'encoder size (GLUE 1e-4 small / 3e-5 base / 2e-5 large, '
                  'SQuAD 1e-4 / 5e-5 / 3e-5).')
flags.DEFINE_list('batch_sizes', [str(grid.DEFAULT_BATCH_SIZE)],
                  'Training batch sizes.')
flags.DEFINE_list('epochs', [], 'Training epochs; default GLUE 3, SQuAD 2.')
flags.DEFINE_integer('max_seq_length', None, 'Default GLUE 128, SQuAD 384.')
flags.DEFINE_integer('max_query_length', 64, 'SQuAD question tokens.')
flags.DEFINE_integer('doc_stride', 128, 'SQuAD context window stride.')
flags.DEFINE_float('warmup_proportion', 0.1, 'Linear warm-up share.')
flags.DEFINE_float('weight_decay', 0.01, 'AdamW weight decay.')
flags.DEFINE_integer('eval_batch_size', 64, 'Evaluation batch size.')
flags.DEFINE_bool('eval_each_epoch', False, 'Also evaluate after each epoch '
                  '(TensorBoard and run.json history).')
flags.DEFINE_integer('log_every', 50, 'Steps per progress line and '
                     'TensorBoard training summary.')
flags.DEFINE_integer('checkpoint_every', 200, 'Checkpoint period in steps '
                     '(rounded to --log_every): a crashed run resumes there; '
                     'a finished run removes its checkpoints.')
flags.DEFINE_bool('trim_padding', True, 'GLUE: cut each batch to its '
                  'longest example (padding is masked, so results are '
                  'equal up to float rounding; off on TPU).')
flags.DEFINE_integer('length_group_batches', 0, 'GLUE: sort each window of '
                     'this many training batches by length before batching '
                     '(similar lengths share a batch: less padding, other '
                     'batch compositions); 0 or 1: off.')
flags.DEFINE_bool('skip_bad_rows', False, 'Skip malformed TSV rows / SQuAD '
                  'questions (listed in the logs) instead of failing.')
flags.DEFINE_bool('overwrite', False, 'Re-run finished runs.')
flags.DEFINE_bool('predict_test', False, 'Also predict the test sets and '
                  'write leaderboard submission files (GLUE TSV / SuperGLUE '
                  'JSONL) under each run\'s test/ folder.')
flags.DEFINE_bool('report_only', False, 'Only rebuild the reports from the '
                  'runs already in --model_dir.')

USER_ERRORS = (output_dir_lib.OutputDirError, glue_tasks.TaskError,
               glue_data.GlueDataError, squad_data.SquadDataError,
               encoder_init.EncoderInitError, superglue_data.SuperGlueDataError,
               grid.GridError, reporting.ReportError, train_subset.SubsetError)


def _numbers(values, kind, flag):
  try:
    return [kind(v) for v in values]
  except ValueError:
    raise grid.GridError(f'--{flag}: expected {kind.__name__}s, got '
                         f'{",".join(values)}') from None


def _check_lengths(task, flag_values, source):
  """`--max_seq_length` (or the task's default) and SQuAD's query/stride
  settings against the encoder's positions; one-line EncoderInitError."""
  family = grid.family(task)
  length, note = flag_values.max_seq_length, ''
  if not length:
    length = grid.DEFAULT_MAX_SEQ_LENGTH[family]
    note = f' (the {glue_tasks.full_name(task)} default)'
  squad = not glue_tasks.is_glue(task)
  encoder_init.check_sequence_fits(
      source, length, '--max_seq_length', note,
      max_query_length=flag_values.max_query_length if squad else None,
      doc_stride=flag_values.doc_stride if squad else None)


def subset_sizes(values):
  """--max_train_examples as sizes in order given, None for `all` (the
  whole set); [None] when empty. One-line SubsetError on bad values."""
  sizes = []
  for value in values or ['all']:
    if value.strip().lower() == 'all':
      size = None
    else:
      try:
        size = int(value)
      except ValueError:
        raise train_subset.SubsetError(
            f'--max_train_examples: expected whole numbers or all, got '
            f'{value!r}') from None
      train_subset.check_size(size, available=float('inf'))
    if size not in sizes:
      sizes.append(size)
  return sizes


def _check_subset_tasks(tasks, sizes):
  """--max_train_examples: single-example GLUE tasks only."""
  if sizes == [None]:
    return
  for task in tasks:
    if not glue_tasks.is_glue(task) or superglue_tasks.is_superglue(task):
      raise train_subset.SubsetError(
          f'--max_train_examples: {glue_tasks.full_name(task)} is not a GLUE '
          f'task (subsets of grouped or span examples are not supported)')


def finetune(flag_values) -> dict:
  """Runs the requested grid for every task and writes the reports."""
  if not flag_values.model_dir:
    raise grid.GridError('--model_dir is required')
  if flag_values.report_only:
    return reporting.write_report(flag_values.model_dir)
  if not flag_values.task:
    raise grid.GridError('--task is required')
  tasks = [task_names.parse_task(name) for name in flag_values.task]
  sizes = subset_sizes(flag_values.max_train_examples)
  _check_subset_tasks(tasks, sizes)
  if flag_values.min_train_steps < 0:
    raise grid.GridError(f'--min_train_steps must be at least 0, got '
                         f'{flag_values.min_train_steps}')
  source = encoder_init.resolve(flag_values.init_checkpoint,
                                flag_values.encoder_config_file,
                                flag_values.encoder_type)
  if flag_values.dropout_rate is not None:
    source = encoder_init.with_dropout(source, flag_values.dropout_rate)
  vocab_file = flag_values.vocab_file or source.vocab_file
  encoder_init.check_vocab(vocab_file, source)
  for task in tasks:  # Lengths the encoder cannot take, before any building.
    _check_lengths(task, flag_values, source)
  if source.checkpoint:  # Fail on another model size before any data work.
    encoder_init.check_checkpoint_fits(
        source.checkpoint, encoders.build_encoder(source.encoder_config),
        source)
  try:
    strategy = distribution_flags.build_strategy(flag_values)
  except ValueError as e:
    raise grid.GridError(str(e)) from None
  # Settings checked: now the output directory, before any data work.
  output_dir_lib.ensure(flag_values.model_dir, 'model_dir')
  cache_dir = f'{flag_values.model_dir}/data_cache'
  plans = []
  for task in tasks:  # Check every task's data before any training.
    family = grid.family(task)
    max_seq_length = (flag_values.max_seq_length or
                      grid.DEFAULT_MAX_SEQ_LENGTH[family])
    if superglue_tasks.is_superglue(task):
      prepared = superglue_data.prepare(
          task, flag_values.data_dir, vocab_file, cache_dir, max_seq_length,
          flag_values.do_lower_case, flag_values.tfds_data_dir,
          flag_values.skip_bad_rows, flag_values.predict_test)
    elif glue_tasks.is_glue(task):
      prepared = glue_data.prepare(
          task, flag_values.data_dir, vocab_file, cache_dir, max_seq_length,
          flag_values.do_lower_case, flag_values.data_source,
          flag_values.tfds_data_dir, flag_values.skip_bad_rows)
      if flag_values.predict_test:
        prepared.test = glue_submission.prepare(
            task, flag_values.data_dir, cache_dir, vocab_file,
            max_seq_length, flag_values.do_lower_case)
    else:
      if not flag_values.data_dir:
        raise squad_data.SquadDataError(
            squad_data.missing_data_message(task, '<data_dir>'))
      prepared = squad_data.prepare(
          task, flag_values.data_dir, vocab_file, cache_dir, max_seq_length,
          flag_values.max_query_length, flag_values.doc_stride,
          flag_values.do_lower_case, flag_values.skip_bad_rows)
    for line in prepared.skipped:
      logging.warning('skipped: %s', line)
    learning_rates = (_numbers(flag_values.learning_rates, float,
                               'learning_rates')
                      or grid.default_learning_rates(task, source.size))
    epochs = (_numbers(flag_values.epochs, int, 'epochs')
              or [grid.DEFAULT_EPOCHS[family]])
    batch_sizes = _numbers(flag_values.batch_sizes, int, 'batch_sizes')
    base = runner.RunConfig(
        seed=0, learning_rate=0.0, batch_size=1, epochs=1,
        max_seq_length=max_seq_length,
        warmup_proportion=flag_values.warmup_proportion,
        weight_decay=flag_values.weight_decay,
        eval_batch_size=flag_values.eval_batch_size,
        log_every=flag_values.log_every,
        checkpoint_every=flag_values.checkpoint_every,
        mixed_precision=flag_values.mixed_precision or 'float32',
        eval_each_epoch=flag_values.eval_each_epoch,
        do_lower_case=flag_values.do_lower_case,
        max_query_length=flag_values.max_query_length,
        doc_stride=flag_values.doc_stride,
        trim_padding=flag_values.trim_padding,
        length_group_batches=flag_values.length_group_batches)
    for size in sizes:  # Every size's subset before any training.
      subset = prepared if size is None else train_subset.apply(
          prepared, size, flag_values.train_subset_seed)
      points = grid.expand(learning_rates, batch_sizes, epochs,
                           flag_values.seeds, flag_values.first_seed,
                           size or 0, flag_values.train_subset_seed,
                           min_train_steps=flag_values.min_train_steps,
                           num_train=runner.num_train(task, subset))
      plans.append((task, points, base, subset))
  with model_dir_lock.held(flag_values.model_dir,
                           worker_dirs.is_chief(strategy)):
    for task, points, base, prepared in plans:
      grid.run_grid(task, points, base, source, prepared, vocab_file,
                    flag_values.model_dir, flag_values.overwrite,
                    log=lambda message: logging.info('%s', message),
                    strategy=strategy, faults=fault_flags.policy(flag_values))
    paths = reporting.write_report(flag_values.model_dir)
  logging.info('reports: %s', paths)
  return paths


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    paths = finetune(FLAGS)
  except USER_ERRORS as e:
    sys.stderr.write(f'finetune: error: {e}\n')
    sys.exit(2)
  except fault_flags.ERRORS as e:
    sys.stderr.write(f'finetune: error: {e}\n')
    sys.exit(fault_flags.EXIT_CODE)
  with tf.io.gfile.GFile(paths['markdown']) as f:
    print(f.read())


if __name__ == '__main__':
  app.run(main)
