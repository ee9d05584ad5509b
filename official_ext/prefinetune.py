r"""Multi-task pre-finetuning (Muppet) and intermediate-task training (jiant).

  python -m official_ext.prefinetune --gin_file=gin/multitask/muppet_tiny.gin \
      --model_dir=out/muppet --init_checkpoint=out/demo/export/pretrained

A gin file (`gin/multitask/`) binds `MultiTaskRun`: the stages (each a list
of `TaskSpec`s and a `TrainerConfig`), the vocab, the encoder to start from
and an optional fine-tuning target (`FinetuneTarget`, run through
`python -m official_ext.finetune`). --init_checkpoint and --vocab_file
override the gin values; --gin_bindings apply last.

model_dir receives one directory per stage (`<i>-<name>/`: checkpoints,
`tensorboard/`, `evals.jsonl`, `summary.json`, `export/` with the best
encoder), `target/` and `pipeline.json`. A rerun skips finished stages and
resumes an interrupted one. Bad input (a gin error, a task with an empty
split, a head that does not match its data, every sampling weight 0, a
checkpoint of another size) stops the run with a message naming it; exit 1.
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
from official_ext.finetuning import encoder_init
from official_ext.multitask import configurables
from official_ext.multitask import pipeline
from official_ext.multitask import supervised_formats
from official_ext.multitask import task_spec
from official_ext.trainer import gin_setup
from official_ext.trainer import model_dir_lock
from official_ext.trainer import runner
from official_ext.trainer import worker_dirs

FLAGS = flags.FLAGS


USER_ERRORS = (gin_setup.GinConfigError, task_spec.TaskSpecError,
               supervised_formats.SupervisedDataError,
               encoder_init.EncoderInitError, pipeline.PipelineError,
               output_dir_lib.OutputDirError, FileNotFoundError,
               *fault_flags.ERRORS)


def _bindings():
  out = []
  if FLAGS.init_checkpoint:
    out.append(f'MultiTaskRun.init_checkpoint = {FLAGS.init_checkpoint!r}')
  if FLAGS.vocab_file:
    out.append(f'MultiTaskRun.vocab_file = {FLAGS.vocab_file!r}')
  return out + list(FLAGS.gin_bindings)


def run():
  if not FLAGS.model_dir:
    raise gin_setup.GinConfigError('no --model_dir given.')
  output_dir_lib.ensure(FLAGS.model_dir, 'model_dir')
  if not FLAGS.gin_file:
    raise gin_setup.GinConfigError('no --gin_file given (e.g. '
                                   '--gin_file=gin/multitask/muppet_tiny.gin).')
  gin_setup.parse(FLAGS.gin_file, _bindings())
  try:
    config = configurables.multitask_run()  # pylint: disable=no-value-for-parameter
  except (TypeError, ValueError) as e:
    if isinstance(e, USER_ERRORS):
      raise
    raise gin_setup.GinConfigError(f'gin configuration: {e}') from e
  strategy = distribution_flags.build_strategy(FLAGS)
  with model_dir_lock.held(FLAGS.model_dir, worker_dirs.is_chief(strategy)):
    path = runner.write_operative_config(
        FLAGS.model_dir, gin_setup.operative_config(), 'train')
    logging.info('operative gin config written to %s', path)
    return pipeline.run_pipeline(
        config.stages, FLAGS.model_dir, config.vocab_file,
        init_checkpoint=config.init_checkpoint,
        encoder_size=config.encoder_size,
        max_seq_length=config.max_seq_length, target=config.target,
        strategy=strategy, faults=fault_flags.policy())


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  try:
    outcome = run()
  except USER_ERRORS as e:
    logging.error('%s', e)
    print(f'official_ext.prefinetune: error: {e}', file=sys.stderr,
          flush=True)
    sys.exit(1)
  for stage in outcome['stages']:
    print(f"stage {stage['stage']}: best mean dev score "
          f"{stage['best_mean_score']:.2f} after {stage['updates']} updates "
          f"({stage['dir']})", flush=True)
  print(f"final encoder: {outcome['final_encoder']}", flush=True)
  if 'target' in outcome:
    print(f"target {outcome['target']['task']}: "
          f"{outcome['target']['dir']}/results.md", flush=True)


if __name__ == '__main__':
  flags.mark_flag_as_required('model_dir')
  app.run(main)
