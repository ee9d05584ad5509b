r"""Compares pretraining objectives under one budget: one resumable command.

  python -m official_ext.compare \
      --gin_file=gin/compare/teams_electra_bert_mini.gin --output_dir=DIR \
      [--gin_bindings=...] [--arms=teams,random] [--parallel=2] \
      [--report_only]

(`make compare COMPARE=teams_electra_bert_mini`). Checks every input first
(one line, exit 2: `official_ext.compare: error: ...`), then builds the
data, pretrains / evaluates on held-out records / exports / fine-tunes each
arm (every stage its own process, skipped on a rerun once finished; a
failed stage exits 1 after the other arms finish) and writes
`DIR/leaderboard.{md,csv}`, `DIR/score_vs_flops.png` and
`DIR/seed_spreads.png` (`official_ext/compare/pipeline.py`).
"""
import os
import signal
import sys

from absl import app
from absl import flags
import tensorflow as tf

from official_ext import gin_flags  # pylint: disable=unused-import
from official_ext import stage_process
from official_ext.compare import arms as arms_lib
from official_ext.compare import budget as budget_lib
from official_ext.compare import configurables
from official_ext.compare import leaderboard
from official_ext.compare import pipeline

FLAGS = flags.FLAGS
PROGRAM = 'official_ext.compare'


def define_flags():
  flags.DEFINE_string('output_dir', None, 'Where the comparison writes '
                      '(one dir per arm, data/, the leaderboard).')
  flags.DEFINE_list('arms', [], 'Run only these arms (default: all); '
                    'processes with disjoint --arms may share --output_dir (one '
                    'builds the shared data, the others wait for it).')
  flags.DEFINE_integer('parallel', 1, 'Arms whose stage chains run at once.',
                       lower_bound=1)
  flags.DEFINE_bool('report_only', False, 'Only (re)write the leaderboard '
                    'from the finished stages.')


def _fail(message, status):
  print(f'{PROGRAM}: error: {message}', file=sys.stderr, flush=True)
  sys.exit(status)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  if len(FLAGS.gin_file) != 1:
    _fail('pass exactly one --gin_file=gin/compare/<name>.gin', 2)
  if not FLAGS.output_dir:
    _fail('--output_dir is required', 2)
  output_dir = FLAGS.output_dir
  if '://' not in output_dir:
    output_dir = os.path.abspath(output_dir)
  try:
    comparison = configurables.parse(FLAGS.gin_file[0], FLAGS.gin_bindings)
  except (arms_lib.ArmError, budget_lib.BudgetError) as e:
    _fail(str(e), 2)
  except (IOError, ValueError, TypeError) as e:  # gin's parse errors too
    _fail(f'{FLAGS.gin_file[0]}: {str(e).splitlines()[0]}', 2)
  # SIGTERM (preemption, `kill`): the running stages checkpoint and stop
  # (official_ext.train does on SIGTERM); nothing new starts; exit 1.
  signal.signal(signal.SIGTERM, lambda signum, _: stage_process.stop_all())
  try:
    paths = pipeline.run(comparison, output_dir, FLAGS.arms, FLAGS.parallel,
                         FLAGS.report_only)
  except (arms_lib.ArmError, budget_lib.BudgetError) as e:
    _fail(str(e), 2)
  except (stage_process.StageError, leaderboard.LeaderboardError) as e:
    _fail(str(e), 1)
  if paths:
    with tf.io.gfile.GFile(paths['markdown']) as f:
      print('\n' + f.read())
    print('files: ' + ', '.join(paths.values()))
  print(f'curves of every arm: tensorboard --logdir {output_dir}',
        flush=True)


if __name__ == '__main__':
  define_flags()
  app.run(main)
