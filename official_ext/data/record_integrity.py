"""TFRecord shards checked: sizes against the manifest, records by their CRCs.

A TFRecord frame is: uint64 length, masked CRC32C of the length, the data,
masked CRC32C of the data (`tfrecords_tools/s5_records/tfrecord_io.py`
writes them).
TensorFlow checks both CRCs as it reads, and stops at a bad frame with
`DataLossError: corrupted record at N` (or `truncated record at N`) -- N the
frame's offset, or its data's (N + 12) -- naming no file. Here:

  * `size_problem(path, expected)`: a shard whose size is not the
    manifest's (a truncated or still-running copy), checked at job start;
  * `locate(files, message)`: the shard and frame behind TensorFlow's
    message. First one probe per shard at N (a data CRC failure or a
    truncation there is unmistakable), then, for a corrupt length field
    (N is then a frame boundary only a walk from the start can confirm), a
    walk through the shards long enough to hold N;
  * `copy_good_records(src, dst)`: `src` without its bad frames, the good
    ones copied verbatim (`--skip_corrupt_records`). After a bad length
    field the next frame is found by searching for a position where both
    CRCs hold (`_resync`); a truncated tail is dropped.

Everything goes through `tf.io.gfile` (local disks, `gs://`).
"""
import dataclasses
import re
import struct
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from tfrecords_tools.s5_records.tfrecord_io import masked_crc

HEADER = 12  # uint64 length + uint32 masked CRC of it.
FOOTER = 4  # uint32 masked CRC of the data.
_RESYNC_CHUNK = 1 << 20
_OFFSET = re.compile(r'(corrupted|truncated) record at (\d+)')


@dataclasses.dataclass(frozen=True)
class BadRecord:
  """A frame that does not read.

  Attributes:
    path: the shard.
    offset: byte offset of the frame in it.
    reason: what is wrong ('data CRC mismatch', 'length CRC mismatch',
      'truncated: ...').
    resume: offset of the next good frame (None: nothing good follows).
  """
  path: str
  offset: int
  reason: str
  resume: Optional[int]

  def describe(self) -> str:
    return f'{self.path} at byte offset {self.offset} ({self.reason})'


def size_problem(path: str, expected: Optional[int]) -> Optional[str]:
  """None when `path` has `expected` bytes (or no size is expected); else
  what differs, e.g. 'manifest says 5120 bytes, found 4096'."""
  if expected is None:
    return None
  found = tf.io.gfile.stat(path).length
  if found == expected:
    return None
  why = ('truncated or still being copied' if found < expected else
         'changed since the build')
  return f'manifest says {expected} bytes, found {found} ({why})'


def _frame(f, offset: int, size: int) -> Tuple[Optional[str], int, bytes]:
  """(problem or None, frame length, frame bytes if good) of the frame at
  `offset`, read from the file's position (which must be `offset`)."""
  header = f.read(HEADER)
  if len(header) < HEADER:
    return f'truncated: the file ends at byte {size} inside a header', 0, b''
  length, length_crc = struct.unpack('<QI', header)
  if masked_crc(header[:8]) != length_crc:
    return 'length CRC mismatch', 0, b''
  total = HEADER + length + FOOTER
  if offset + total > size:
    return (f'truncated: a record of {length} bytes, the file ends at byte '
            f'{size}'), 0, b''
  data = f.read(length)
  footer = f.read(FOOTER)
  if masked_crc(data) != struct.unpack('<I', footer)[0]:
    return 'data CRC mismatch', total, b''
  return None, total, header + data + footer


def _resync(f, start: int, size: int) -> Optional[int]:
  """The first offset >= `start` holding a frame whose CRCs both hold."""
  position = start
  while position + HEADER <= size:
    f.seek(position)
    chunk = f.read(_RESYNC_CHUNK + HEADER)
    for i in range(max(0, len(chunk) - HEADER + 1)):
      head = chunk[i:i + HEADER]
      if masked_crc(head[:8]) == struct.unpack('<I', head[8:])[0]:
        f.seek(position + i)
        if _frame(f, position + i, size)[0] is None:
          return position + i
    position += _RESYNC_CHUNK
  return None


def walk(path: str) -> Iterator[Union[Tuple[int, bytes], BadRecord]]:
  """`(offset, frame bytes)` for each good frame of `path`, a `BadRecord`
  for each bad one, in file order (good frames are read sequentially)."""
  size = tf.io.gfile.stat(path).length
  with tf.io.gfile.GFile(path, 'rb') as f:
    offset = 0
    while offset < size:
      problem, total, frame = _frame(f, offset, size)
      if problem is None:
        yield offset, frame
        offset += total
        continue
      if total:  # A bad data CRC under a good length: the next frame.
        resume = offset + total
      elif problem.startswith('truncated'):
        resume = None
      else:
        resume = _resync(f, offset + 1, size)
      yield BadRecord(path, offset, problem, resume)
      if resume is None:
        return
      offset = resume
      f.seek(offset)


def _probe(path: str, offset: int, truncated: bool) -> Optional[BadRecord]:
  """A bad frame of `path` at `offset` (a truncation) or `offset - HEADER`
  (a data CRC failure) that only a frame boundary could produce: its length
  CRC holds (see the module docstring)."""
  size = tf.io.gfile.stat(path).length
  start = offset if truncated else offset - HEADER
  if start < 0 or start >= size:
    return None
  with tf.io.gfile.GFile(path, 'rb') as f:
    f.seek(start)
    header = f.read(HEADER)
    if len(header) == HEADER and masked_crc(header[:8]) != struct.unpack(
        '<I', header[8:])[0]:
      return None  # Not a boundary here, or a corrupt length: walk for it.
    f.seek(start)
    problem, total, _ = _frame(f, start, size)
  if problem is None or problem.startswith('truncated') != truncated:
    return None
  return BadRecord(path, start, problem, start + total if total else None)


def locate(files: Sequence[str], message: str) -> Optional[BadRecord]:
  """The bad frame behind TensorFlow's `DataLossError` message among
  `files`; None when no shard has one there."""
  match = _OFFSET.search(message or '')
  offset = int(match.group(2)) if match else None
  files = list(dict.fromkeys(files))
  if offset is not None:
    for path in files:
      found = _probe(path, offset, match.group(1) == 'truncated')
      if found:
        return found
  for path in files:
    if offset is not None and tf.io.gfile.stat(path).length < offset:
      continue
    for item in walk(path):
      if isinstance(item, BadRecord):
        if offset is None or item.offset in (offset, offset - HEADER):
          return item
      elif offset is not None and item[0] > offset:
        break
  return None


def copy_good_records(src: str, dst: str) -> List[BadRecord]:
  """Writes `src`'s good frames to `dst` (a temporary name, then a rename);
  returns the bad frames left out."""
  bad = []
  tmp = dst + '.tmp'
  with tf.io.gfile.GFile(tmp, 'wb') as out:
    for item in walk(src):
      if isinstance(item, BadRecord):
        bad.append(item)
      else:
        out.write(item[1])
  tf.io.gfile.rename(tmp, dst, overwrite=True)
  return bad
