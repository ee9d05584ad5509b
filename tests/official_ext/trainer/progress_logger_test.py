"""The console line: step, losses, examples/s, ETA."""
import tensorflow as tf

from official_ext.trainer import progress_logger


def test_format_line():
  logs = {'total_loss': 3.21044, 'mlm_loss': 2.9, 'loss': 3.21044,
          'mlm_accuracy': 0.5, 'learning_rate': 1e-4,
          'examples_per_second': 812.46}
  assert progress_logger.format_line(200, 1000, logs, 250.4) == (
      'step 200/1000 | loss 3.21 mlm_loss 2.9 total_loss 3.21 | 812.5 ex/s '
      '| ETA 0:04:10')
  assert progress_logger.format_line(5, 10, {'loss': 1.0},
                                     float('nan')).endswith(
                                         '| nan ex/s | ETA ?')
  # Per-task losses of a multi-task stage (`<task>/loss`).
  assert progress_logger.format_line(
      4, 12, {'sst2/loss': 0.693, 'agnews/loss': 1.3863,
              'learning_rate': 1e-3, 'examples_per_second': 20.0}, 9.6) == (
                  'step 4/12 | agnews/loss 1.386 sst2/loss 0.693 | 20.0 ex/s '
                  '| ETA 0:00:10')


def test_eta_from_the_pace_since_start():
  step = tf.Variable(100, dtype=tf.int64)
  lines = []
  logger = progress_logger.ProgressLogger(step, 1000, lines.append)
  logger.start()
  logger._last = (100, logger._last[1] - 10.0)  # 10 s ago.  pylint: disable=protected-access
  step.assign(200)
  logger({'loss': 1.0, 'examples_per_second': 10.0})
  # 100 steps in ~10 s -> 800 steps left take ~80 s.
  assert lines[0].startswith('step 200/1000 | loss 1 | 10.0 ex/s | ETA 0:01:')
