"""Preemption: SIGTERM -> checkpoint at the step reached, exit 0.

Cloud TPU and spot/preemptible VMs send SIGTERM, then stop the machine
(about 30 s later). `PreemptionSaver` (installed by `spine.make_controller`
for every job on the spine) catches SIGTERM, lets the running inner loop of
`steps_per_loop` steps finish, then -- as an Orbit train action, after that
loop -- writes `ckpt-<step>` through the job's checkpoint manager (outside
the checkpoint interval), prints one line and exits with status 0. The same
command then resumes exactly there (the spine restores the newest
checkpoint; the data position follows the step).

Granularity: a Python signal handler runs only between TensorFlow calls,
and an inner loop is one call, so "the current step" is the end of the
current inner loop; keep `steps_per_loop` x step time well under the grace
period (Model Garden's `orbit.actions.SaveCheckpointIfPreempted` has the
same granularity).

Why not `tf.distribute.experimental.PreemptionCheckpointHandler` (what
`SaveCheckpointIfPreempted` wraps): it needs a cluster resolver (none on a
single host without TF_CONFIG), off GCP it exits with status 42 after saving
(the issue asks for 0 and a message), and what it adds -- agreeing on the
save step across the workers of a cluster through the coordination service
-- single-host jobs do not need. Under `multi_worker_mirrored` every worker
takes part in a save, so a SIGTERM reaching one worker needs that agreement:
use the handler there (not wired yet; see the README's "Remote storage,
preemption, clusters, Cloud TPU").
"""

import signal
import threading
from typing import Callable, Mapping, Optional

import tensorflow as tf

EXIT_CODE = 0


class PreemptionSaver:
  """A train action: after SIGTERM, checkpoint and exit (module doc).

  Args:
    manager: the job's checkpoint manager (`save(check_interval=False)`).
    global_step: the step variable the checkpoint is numbered by.
    print_fn: where the one-line message goes (default: stdout, flushed).
  """

  def __init__(self, manager: tf.train.CheckpointManager,
               global_step: tf.Variable,
               print_fn: Optional[Callable[[str], None]] = None):
    self._manager = manager
    self._step = global_step
    self._print = print_fn or (lambda line: print(line, flush=True))
    self.signal_received = None

  def install(self) -> bool:
    """Makes SIGTERM set `signal_received` (main thread only); returns
    whether the handler was installed."""
    if threading.current_thread() is not threading.main_thread():
      return False
    signal.signal(signal.SIGTERM, self._on_signal)
    return True

  def _on_signal(self, signum, frame):
    del frame
    self.signal_received = signum

  def __call__(self, logs: Mapping[str, object]) -> None:
    del logs
    if self.signal_received is None:
      return
    step = int(self._step.numpy())
    self._manager.save(check_interval=False)
    path = self._manager.latest_checkpoint
    self._print(f'preempted ({signal.Signals(self.signal_received).name}) '
                f'at step {step}: checkpoint {path} written; rerun the same '
                'command to resume.')
    raise SystemExit(EXIT_CODE)
