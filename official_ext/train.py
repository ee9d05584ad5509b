r"""Pretrains (or evaluates) a model described by gin files.

  python -m official_ext.train --gin_file=gin/teams_tiny.gin \
      --data_manifest=out/demo/data/manifest.json --model_dir=out/teams_tiny \
      --mode=train --strategy=one_device

gin files (`gin/`) bind the experiment: task and model, data, optimiser,
steps and intervals (`gin/README.md`). Bindings apply in this order, later
ones winning: the gin files, then the flags --data_manifest,
--eval_data_manifest, --mixed_precision, --jit_compile, --eval_at_start,
--init_checkpoint and --init_generator_checkpoint, then --gin_bindings.

Continued pretraining: `--init_checkpoint=EXPORT` (our export, or what
`official_ext.import_checkpoint` wrote from a released encoder) starts the
trunk(s) from that encoder on the first run (trainer/warm_start.py); a rerun
resumes from model_dir as usual.

model_dir receives checkpoints (`ckpt-<step>`), TensorBoard events
(`train/`, `eval/`), every evaluation with its step (`eval_history.json`;
`--eval_at_start` adds one before the first step) and
`operative_config.gin`. Re-running the same command
resumes from the newest checkpoint: step, weights, optimiser slots,
learning-rate schedule and data position (official_ext/trainer/train_input.py).
Bad input (gin, data, vocab, a checkpoint of another architecture) stops the
run before the first step with a message naming the culprit; a NaN/Inf loss
stops it without checkpointing the bad step (or, with
--on_nonfinite=rollback, rolls back past the data that produced it). A
training job holds model_dir's lock (`trainer/model_dir_lock.py`: a second
job on the same dir stops in one line; evaluation modes take no lock, so
continuous_eval can run beside the training job). Unreadable checkpoints,
corrupt records, failed saves: README "When things go wrong". Exit status 1
on such errors.
"""

import sys

from absl import app
from absl import flags
from absl import logging

from official_ext import distribution_flags
from official_ext import encoder_flags  # pylint: disable=unused-import
from official_ext import fault_flags
from official_ext import gin_flags  # pylint: disable=unused-import
from official_ext import output_dir as output_dir_lib
from official_ext.trainer import checkpointing
from official_ext.trainer import data_setup
from official_ext.trainer import experiment
from official_ext.trainer import gin_setup
from official_ext.trainer import model_dir_lock
from official_ext.trainer import runner
from official_ext.trainer import warm_start
from official_ext.trainer import worker_dirs

FLAGS = flags.FLAGS
flags.DEFINE_string('init_generator_checkpoint', None, 'ELECTRA/TEAMS: '
                    'the generator\'s encoder (binds Experiment.'
                    'init_generator_checkpoint; default: the generator\'s '
                    'layers come from --init_checkpoint).')
flags.DEFINE_enum('mode', 'train', runner.MODES,
                  'train: train to Experiment.train_steps; eval: evaluate the '
                  'newest checkpoint; train_and_eval: train, evaluating every '
                  'Experiment.eval_interval steps and at the end; '
                  'continuous_eval: evaluate each new checkpoint until the '
                  'one at train_steps.')
flags.DEFINE_string('data_manifest', None, 'Training data: a builder '
                    "manifest.json (binds DATA_MANIFEST).")
flags.DEFINE_string('eval_data_manifest', None, 'Evaluation data manifest '
                    '(binds EVAL_DATA_MANIFEST; default: the training data).')
flags.DEFINE_bool('jit_compile', None, 'Binds Experiment.jit_compile (XLA '
                  'for the training step).')
flags.DEFINE_bool('eval_at_start', None, 'Binds Experiment.eval_at_start '
                  '(train_and_eval: also evaluate before the first step of a '
                  'run starting at step 0, e.g. a warm-started encoder).')
flags.DEFINE_string('metrics_json', None, 'Also write the final evaluation '
                    '({metric: value}) to this JSON file (eval modes).')

USER_ERRORS = (gin_setup.GinConfigError, data_setup.DataError,
               experiment.ExperimentError,
               checkpointing.CheckpointMismatchError, runner.BuildError,
               warm_start.WarmStartError, output_dir_lib.OutputDirError,
               FileNotFoundError, *fault_flags.ERRORS)


def flag_bindings():
  """The gin bindings the convenience flags stand for."""
  out = []
  if FLAGS.data_manifest:
    out.append(f'DATA_MANIFEST = {FLAGS.data_manifest!r}')
  if FLAGS.eval_data_manifest:
    out.append(f'EVAL_DATA_MANIFEST = {FLAGS.eval_data_manifest!r}')
  if FLAGS.mixed_precision:
    out.append(f'Experiment.mixed_precision = {FLAGS.mixed_precision!r}')
  if FLAGS.jit_compile is not None:
    out.append(f'Experiment.jit_compile = {FLAGS.jit_compile}')
  if FLAGS.eval_at_start is not None:
    out.append(f'Experiment.eval_at_start = {FLAGS.eval_at_start}')
  if FLAGS.init_checkpoint:
    out.append(f'Experiment.init_checkpoint = {FLAGS.init_checkpoint!r}')
  if FLAGS.init_generator_checkpoint:
    out.append('Experiment.init_generator_checkpoint = '
               f'{FLAGS.init_generator_checkpoint!r}')
  return out


def run():
  """Parses, builds and runs; returns the last evaluation logs."""
  if FLAGS.model_dir:
    output_dir_lib.ensure(FLAGS.model_dir, 'model_dir')
  if not FLAGS.gin_file:
    raise gin_setup.GinConfigError('no --gin_file given (e.g. '
                                   '--gin_file=gin/teams_small.gin).')
  gin_setup.parse(FLAGS.gin_file, flag_bindings() + FLAGS.gin_bindings)
  # The strategy first: multi_worker_mirrored must configure TensorFlow's
  # context before anything (building the data) starts it.
  strategy = runner.build_phase(distribution_flags.build_strategy, FLAGS)
  exp = runner.build_phase(gin_setup.build_experiment)
  logging.info('strategy %s with %d replica(s)', type(strategy).__name__,
               strategy.num_replicas_in_sync)
  writes = FLAGS.mode in ('train', 'train_and_eval')
  with model_dir_lock.held(FLAGS.model_dir,
                           writes and worker_dirs.is_chief(strategy)):
    return runner.run(exp, FLAGS.model_dir, FLAGS.mode, strategy,
                      operative_config=gin_setup.operative_config,
                      faults=fault_flags.policy())


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    output = run()
  except USER_ERRORS as e:
    logging.error('%s', e)
    print(f'official_ext.train: error: {e}', file=sys.stderr, flush=True)
    sys.exit(1)
  if output:
    metrics = {k: float(v) for k, v in output.items()}
    print('final evaluation:', metrics, flush=True)
    if FLAGS.metrics_json:
      output_dir_lib.write_json(FLAGS.metrics_json, metrics)


if __name__ == '__main__':
  flags.mark_flag_as_required('model_dir')
  app.run(main)
