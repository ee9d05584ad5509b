"""Token corruption for the TCP and SCP labels (olfmlm "tc" / "sc").

With probability `corruption_prob` a sequence is corrupted (SCP label 1) by
ONE operation drawn uniformly, changing n = max(2, round(rate * ordinary
tokens)) tokens (TCP label 1 on each changed position):
  swap     n // 2 (>= 1) disjoint adjacent pairs of different tokens swap;
  replace  n positions take a random vocab token;
  insert   n random vocab tokens are inserted; the last segment's tail is
           cut so the row still fits.
Corrupted positions are never masked. Works in place on one row of source
indices (see row_assembly).

Inputs. olfmlm corrupts only when a run trains tc or sc (`set_args`), and a
run has ONE input per example that every task reads in one forward pass
(`forward_step`): MLM, SBO, TF, Cap, the sentence task... of a run that
trains TCP see the corrupted tokens; a run that does not never sees any.
Here the corruption goes to the records' changed view (`corrupted_*` keys,
`--corruption_view=separate`, the default) beside the plain input; a run
that reads tcp/scp labels gets the changed view for all of its tasks, every
other run the plain input (`features.view_prefix`). Deliberate differences:
corrupted positions are never masked (olfmlm's check meant to, but never
matches); the other labels follow their token through a swap or insert
(olfmlm leaves them in place, so they label the wrong token), a random
token takes TF/TF-IDF/Cap 0 and its own TLP; olfmlm draws one operation per
segment and one corruption flag per example (both QT/FS halves), this module
one operation per sequence and one flag per sequence.
"""
import numpy as np

from tfrecords_tools.s3_instances import row_assembly

SWAP, REPLACE, INSERT = 0, 1, 2


def corrupt_row(src: np.ndarray, seg: np.ndarray, tcp: np.ndarray,
                chunk_ids: np.ndarray, replacement_ids: np.ndarray,
                rate: float, rng: np.random.Generator) -> bool:
  """Corrupts one row in place.

  Args:
    src: int64 [L] source indices (row_assembly codes).
    seg: int64 [L] segment ids.
    tcp: int64 [L] zeros; set to 1 where corrupted.
    chunk_ids: int32 [N] token ids of the chunk (to compare swapped tokens).
    replacement_ids: ids random tokens are drawn from.
    rate: share of ordinary tokens to corrupt.
    rng: seeded generator.

  Returns:
    True if the row was changed.
  """
  ordinary = np.flatnonzero(src >= 0)
  if len(ordinary) < 2:
    return False
  n = max(2, int(round(rate * len(ordinary))))
  op = int(rng.integers(3))
  if op == SWAP:
    p = ordinary[:-1][(src[ordinary[:-1] + 1] >= 0)]
    p = p[chunk_ids[src[p]] != chunk_ids[src[p + 1]]]
    chosen, taken = [], set()
    for q in rng.permutation(p).tolist():
      if len(chosen) == max(1, n // 2):
        break
      if q in taken or q + 1 in taken:
        continue
      chosen.append(q)
      taken.update((q, q + 1))
    if not chosen:
      return False
    q = np.array(chosen)
    src[q], src[q + 1] = src[q + 1].copy(), src[q].copy()
    tcp[q] = 1
    tcp[q + 1] = 1
    return True
  if op == REPLACE:
    pos = rng.choice(ordinary, size=min(n, len(ordinary)), replace=False)
    src[pos] = _random_tokens(replacement_ids, len(pos), rng)
    tcp[pos] = 1
    return True
  # INSERT. A full row first loses `overflow` ordinary tokens at the end of
  # its last segment; when that segment is too short, fewer are inserted.
  length = int((src != row_assembly.PAD).sum())
  cols = [src[:length], seg[:length], tcp[:length]]
  overflow = max(0, length + n - len(src))
  if overflow:
    cut = slice(length - 1 - overflow, length - 1)
    if cut.start >= 1 and (cols[0][cut] >= 0).all():
      cols = [np.concatenate([c[:cut.start], c[cut.stop:]]) for c in cols]
    else:
      n = len(src) - length
  ordinary = np.flatnonzero(cols[0] >= 0)
  n = min(n, len(ordinary))
  if n < 1:
    return False
  pos = np.sort(rng.choice(ordinary, size=n, replace=False))
  new = (np.insert(cols[0], pos, _random_tokens(replacement_ids, n, rng)),
         np.insert(cols[1], pos, cols[1][pos]),
         np.insert(cols[2], pos, 1))
  m = len(new[0])
  for arr, values, fill in ((src, new[0], row_assembly.PAD), (seg, new[1], 0),
                            (tcp, new[2], 0)):
    arr[:m] = values
    arr[m:] = fill
  return True


def _random_tokens(replacement_ids, n, rng):
  return row_assembly.random_code(
      replacement_ids[rng.integers(len(replacement_ids), size=n)])
