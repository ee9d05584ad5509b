"""One console line per log interval: step, losses, examples/s, ETA.

An Orbit train action (called with each inner loop's logs, after the loop
and before any checkpoint). Example (one line):

  step 200/1000 | loss 3.21 mlm_loss 2.9 | 812.5 ex/s | ETA 0:04:10
"""

import datetime
import time
from typing import Callable, Mapping

from absl import logging
import numpy as np


def _is_loss(name: str) -> bool:
  return name == 'loss' or name.endswith(('_loss', '/loss'))


def format_line(step: int, total_steps: int, logs: Mapping[str, float],
                seconds_left: float) -> str:
  """The console line for `logs` (losses sorted, 'loss' first)."""
  names = sorted((n for n in logs if _is_loss(n)), key=lambda n: (n != 'loss',
                                                                   n))
  losses = ' '.join(f'{n} {float(np.asarray(logs[n])):.4g}' for n in names)
  rate = float(np.asarray(logs.get('examples_per_second', float('nan'))))
  eta = ('?' if not np.isfinite(seconds_left) else
         str(datetime.timedelta(seconds=int(round(seconds_left)))))
  return (f'step {step}/{total_steps} | {losses} | {rate:.1f} ex/s | '
          f'ETA {eta}')


class ProgressLogger:
  """Prints `format_line` after each inner loop.

  Args:
    global_step: the step variable.
    total_steps: the step training stops at.
    print_fn: where lines go (default: print, flushed; also absl INFO).

  Call `start()` when training starts (after restoring): ETA is measured
  from then.
  """

  def __init__(self, global_step, total_steps: int,
               print_fn: Callable[[str], None] = None):
    self._step = global_step
    self._total = total_steps
    self._print = print_fn or (lambda line: print(line, flush=True))
    self._last = None

  def start(self) -> None:
    """Starts the ETA clock (call after restoring, before training)."""
    self._last = (int(self._step.numpy()), time.time())

  def __call__(self, logs: Mapping[str, float]) -> None:
    step, now = int(self._step.numpy()), time.time()
    if self._last is None or step <= self._last[0]:
      seconds_left = float('nan')
    else:
      per_step = (now - self._last[1]) / (step - self._last[0])
      seconds_left = per_step * max(self._total - step, 0)
    self._last = (step, now)
    line = format_line(step, self._total, logs, seconds_left)
    logging.info(line)
    self._print(line)
