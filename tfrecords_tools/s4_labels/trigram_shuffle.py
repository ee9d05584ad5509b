"""Trigram shuffle (TGS) labels, vectorised over a matrix of rows.

Each position that ends a run of >= 3 eligible tokens is chosen with
probability `prob`; a chosen position whose trigram would overlap an earlier
chosen one (one or two positions back) is dropped. The trigram's tokens are
reordered by one of the 6 permutations of 3, drawn uniformly, and the class is
the label at the trigram's third token (weight 1 there, 0 elsewhere).

Identity is class 0, as in olfmlm's class table: an unchanged trigram is a
legitimate example ("not shuffled") and keeps the six classes equiprobable.

Inputs. olfmlm shuffles only when a run trains tgs, in the one input every
task of that run reads (after masking, so its MLM labels stay behind when a
trigram holding a kept or random-replaced MLM token moves). Here the shuffle
happens before masking on the records' changed view (with the TCP/SCP
corruption when those labels are on too): a run that reads tgs labels gets
that view for all of its tasks, other runs the unshuffled plain input.
Shuffled positions are never masked; every other label moves with its token
(as olfmlm moves its token labels).
"""
import numpy as np

# class -> which of the trigram's original tokens lands at offsets 0, 1, 2.
PERMUTATIONS = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2],
                         [1, 2, 0], [2, 0, 1], [2, 1, 0]])


def run_lengths(flags: np.ndarray) -> np.ndarray:
  """int [n, L]: length of the run of True ending at each position (0 if False)."""
  idx = np.arange(flags.shape[1])
  last_false = np.maximum.accumulate(np.where(flags, -1, idx), axis=1)
  return np.where(flags, idx - last_false, 0)


def shuffle_trigrams(src: np.ndarray, eligible: np.ndarray, prob: float,
                     rng: np.random.Generator):
  """Shuffles chosen trigrams of `src` in place.

  Args:
    src: int [n, L] source-index rows (any values: they are only moved).
    eligible: bool [n, L] tokens a trigram may contain.
    prob: choice probability per eligible trigram end.
    rng: seeded generator.

  Returns:
    labels: int64 [n, L] class at chosen trigram ends, else 0.
    weights: float32 [n, L] 1.0 at chosen trigram ends.
    touched: bool [n, L] every position of a chosen trigram.
  """
  chosen = (run_lengths(eligible) >= 3) & (rng.random(src.shape) < prob)
  overlap = np.zeros_like(chosen)
  overlap[:, 1:] |= chosen[:, :-1]
  overlap[:, 2:] |= chosen[:, :-2]
  chosen &= ~overlap
  classes = rng.integers(len(PERMUTATIONS), size=src.shape)
  rows, ends = np.nonzero(chosen)
  trio = ends[:, None] + np.array([-2, -1, 0])
  perm = PERMUTATIONS[classes[rows, ends]]
  values = src[rows[:, None], trio]
  src[rows[:, None], trio] = np.take_along_axis(values, perm, axis=1)
  labels = np.where(chosen, classes, 0).astype(np.int64)
  touched = np.zeros_like(chosen)
  touched[rows[:, None], trio] = True
  return labels, chosen.astype(np.float32), touched
