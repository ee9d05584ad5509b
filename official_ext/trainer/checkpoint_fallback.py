"""Which checkpoint a job resumes from: the newest complete, readable one.

TensorFlow writes a checkpoint's data shards first (under `ckpt-N_temp/`,
then renamed), its index `ckpt-N.index` next, and only then records it in
the `checkpoint` state file. A save cut short (the machine went away, the
disk filled) therefore leaves data without an index, or an index the state
file does not name; a copy cut short (a bucket object half-copied) leaves a
truncated file. So the state file is not trusted alone: the candidates are
the `ckpt-N.index` files whose data shards (`ckpt-N.data-?????-of-K`, all K
of them) are present, newest step first, and each is read in full -- every
tensor, whose CRC32C TensorFlow checks -- before it is used (`readable`;
a checkpoint of 1 GB adds one read of 1 GB to the job's start).

`newest_readable(directory)` returns the first that reads, printing one line
for each newer one that does not (path and reason) and for an incomplete
save it skipped. When checkpoints exist but none reads,
`NoReadableCheckpointError` lists them: a job never silently restarts from
step 0 beside checkpoints it could not use. Verdicts are remembered per file
sizes and times, so the several callers of one job (architecture check,
restore, rollback) read a checkpoint once and print each line once.
"""
import os
import re
from typing import Callable, Dict, List, Optional, Tuple

import tensorflow as tf

from official_ext.trainer import checkpointing

_DATA = re.compile(r'\.data-(\d{5})-of-(\d{5})$')
_STEP = re.compile(r'ckpt-(\d+)\.index$')
_verdicts: Dict[str, Tuple[tuple, Optional[str]]] = {}
_said = set()


class NoReadableCheckpointError(RuntimeError):
  """Checkpoints exist, but none can be read; the message lists them."""


def _say_once(print_fn, line):
  if line not in _said:
    _said.add(line)
    (print_fn or (lambda text: print(text, flush=True)))(line)


def _glob(pattern: str) -> List[str]:
  try:
    return tf.io.gfile.glob(pattern)
  except tf.errors.NotFoundError:
    return []


def missing_shards(prefix: str) -> Optional[str]:
  """Why `prefix`'s data shards are incomplete, or None when all are there."""
  shards = [m for m in (_DATA.search(p) for p in _glob(prefix + '.data-*'))
            if m]
  if not shards:
    return 'no data file'
  total = int(shards[0].group(2))
  present = {int(m.group(1)) for m in shards}
  missing = sorted(set(range(total)) - present)
  if missing:
    return f'data shard {missing[0]} of {total} missing'
  return None


def complete_checkpoints(directory: str) -> List[str]:
  """Prefixes with an index and every data shard, newest step first."""
  found = []
  for path in _glob(os.path.join(directory, 'ckpt-*.index')):
    match = _STEP.search(path)
    if match and missing_shards(path[:-len('.index')]) is None:
      found.append((int(match.group(1)), path[:-len('.index')]))
  return [prefix for _, prefix in sorted(found, reverse=True)]


def incomplete_saves(directory: str) -> List[str]:
  """Prefixes a save began but did not finish (data or temp dir, no index,
  or an index with data shards missing), newest first."""
  names = set()
  for path in _glob(os.path.join(directory, 'ckpt-*')):
    base = os.path.basename(path.rstrip('/'))
    match = re.match(r'(ckpt-\d+)(_temp|\.data-|\.index)', base)
    if match:
      names.add(match.group(1))
  out = []
  for name in names:
    prefix = os.path.join(directory, name)
    if (not tf.io.gfile.exists(prefix + '.index')
        or missing_shards(prefix) is not None):
      out.append(prefix)
  return sorted(out, key=checkpointing.step_of, reverse=True)


def _signature(prefix):
  files = sorted(_glob(prefix + '.data-*')) + [prefix + '.index']
  out = []
  for name in files:
    stat = tf.io.gfile.stat(name)
    out.append((name, stat.length, stat.mtime_nsec))
  return tuple(out)


def one_line(error: Exception) -> str:
  """`Type: first line of the message` (without TF's function-node noise)."""
  text = getattr(error, 'message', None) or str(error) or repr(error)
  text = re.sub(r'\{\{function_node [^}]*\}\}\s*', '', text)
  text = text.strip().splitlines()[0] if text.strip() else repr(error)
  return f'{type(error).__name__}: {text[:240]}'


def readable(prefix: str) -> Optional[str]:
  """None when every tensor of `prefix` reads back (index, data, CRC32C);
  else the reason, in one line."""
  try:
    signature = _signature(prefix)
  except tf.errors.OpError as e:
    return one_line(e)
  known = _verdicts.get(prefix)
  if known and known[0] == signature:
    return known[1]
  reason = None
  try:
    reader = checkpointing.reader(prefix)
    for key in reader.get_variable_to_shape_map():
      reader.get_tensor(key)
  except Exception as e:  # pylint: disable=broad-except
    # OpError (DataLoss: checksum), IndexError (short read), ValueError...
    reason = one_line(e)
  _verdicts[prefix] = (signature, reason)
  return reason


def newest_readable(directory: str,
                    print_fn: Optional[Callable[[str], None]] = None
                    ) -> Optional[str]:
  """The newest complete checkpoint that reads, or None when there is no
  checkpoint at all (module docstring; raises NoReadableCheckpointError
  when there are some and none reads)."""
  candidates = complete_checkpoints(directory)
  newest = checkpointing.step_of(candidates[0]) if candidates else -1
  for prefix in incomplete_saves(directory):
    if checkpointing.step_of(prefix) > newest:
      _say_once(print_fn, f'ignoring the incomplete save {prefix} '
                f'({missing_shards(prefix) or "no index"}: a save cut '
                'short).')
  tried = []
  for prefix in candidates:
    reason = readable(prefix)
    if reason is None:
      return prefix
    tried.append(f'{os.path.basename(prefix)} ({reason})')
    _say_once(print_fn, f'checkpoint {prefix} is unreadable ({reason}); '
              'falling back to the previous one.')
  if tried:
    raise NoReadableCheckpointError(
        f'no readable checkpoint in {directory}: {"; ".join(tried)}. Not '
        'starting over from step 0 beside them: put back a good copy, or '
        'move them away (or use another --model_dir) to start afresh.')
  return None
