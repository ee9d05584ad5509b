"""Static masked-LM masking, vectorised over a matrix of rows.

Per row: k = min(P, max(1, round(masked_lm_prob * maskable tokens))) positions
(0 if nothing is maskable), chosen uniformly, or as whole words with
`word_start`; of those, 80% become [MASK], 10% a random vocab token, 10% stay.
Positions are returned in increasing order, padded with weight 0.

Whole-word masking takes words in random order while they fit in k (a word
that would overflow ends the selection: slightly fewer predictions than BERT's
reference, which skips it and tries later words).

Inputs. Each view of a record is masked on its own: the plain input, and the
changed view after TCP/SCP corruption and TGS shuffle (positions they
changed are not maskable). MLM, and SBO, which predicts the same positions,
train on the view their run gets: as in olfmlm, where MLM reads the run's one
input, corrupted/shuffled exactly when the run trains TCP/SCP/TGS.
"""
import numpy as np


def num_to_predict(maskable: np.ndarray, masked_lm_prob: float,
                   max_predictions: int) -> np.ndarray:
  """int64 [n]: how many positions each row masks."""
  count = maskable.sum(axis=1)
  k = np.minimum(max_predictions,
                 np.maximum(1, np.rint(count * masked_lm_prob))).astype(np.int64)
  return np.where(count == 0, 0, k)


def _choose_tokens(maskable, k, rng):
  keys = np.where(maskable, rng.random(maskable.shape), 2.0)
  order = np.argsort(keys, axis=1, kind="stable")
  rank = np.empty_like(order)
  np.put_along_axis(rank, order, np.arange(maskable.shape[1])[None, :], axis=1)
  return maskable & (rank < k[:, None])


def _choose_words(maskable, word_start, k, rng):
  n, length = maskable.shape
  prev = np.zeros_like(maskable)
  prev[:, 1:] = maskable[:, :-1]
  starts = maskable & (word_start | ~prev)
  wid = np.maximum(np.cumsum(starts, axis=1) - 1, 0)
  rows = np.arange(n)[:, None]
  cols = np.broadcast_to(np.arange(length), (n, length))
  key = np.where(maskable, rng.random((n, length))[rows, wid], 2.0)
  order = np.lexsort((cols, key), axis=1)
  word_len = np.zeros((n, length), np.int64)
  np.add.at(word_len, (np.nonzero(maskable)[0], wid[maskable]), 1)
  first = np.zeros((n, length), np.int64)
  r, c = np.nonzero(starts)
  first[r, wid[r, c]] = c
  s_mask = np.take_along_axis(maskable, order, axis=1)
  s_wid = np.take_along_axis(wid, order, axis=1)
  cum = np.cumsum(s_mask, axis=1)
  word_end = cum - (order - first[rows, s_wid]) - 1 + word_len[rows, s_wid]
  take_sorted = s_mask & (word_end <= k[:, None])
  take = np.zeros_like(maskable)
  np.put_along_axis(take, order, take_sorted, axis=1)
  return take


def mask_rows(ids: np.ndarray, maskable: np.ndarray, masked_lm_prob: float,
              max_predictions: int, mask_id: int,
              replacement_ids: np.ndarray, rng: np.random.Generator,
              word_start: np.ndarray = None):
  """Masks `ids` in place.

  Args:
    ids: int64 [n, L] token ids; masked positions are overwritten.
    maskable: bool [n, L] positions that may be masked.
    masked_lm_prob: share of maskable tokens to predict.
    max_predictions: P.
    mask_id: id of [MASK].
    replacement_ids: ids the 10% random replacement draws from.
    rng: seeded generator.
    word_start: bool [n, L], True where a token starts a word; None for
      per-token masking.

  Returns:
    positions: int64 [n, P]; label_ids: int64 [n, P]; weights: float32 [n, P].
  """
  n, length = ids.shape
  k = num_to_predict(maskable, masked_lm_prob, max_predictions)
  if word_start is None:
    take = _choose_tokens(maskable, k, rng)
  else:
    take = _choose_words(maskable, word_start, k, rng)
  cols = np.where(take, np.arange(length), length)
  cols.sort(axis=1)
  width = min(max_predictions, length)
  positions = np.zeros((n, max_predictions), np.int64)
  positions[:, :width] = cols[:, :width]
  valid = positions < length
  valid[:, width:] = False
  positions = np.where(valid, positions, 0)
  labels = np.where(valid, np.take_along_axis(ids, positions, axis=1), 0)
  draw = rng.random((n, max_predictions))
  random_ids = replacement_ids[rng.integers(len(replacement_ids),
                                            size=(n, max_predictions))]
  new = np.where(draw < 0.8, mask_id, np.where(draw < 0.9, labels, random_ids))
  r, c = np.nonzero(valid)
  ids[r, positions[r, c]] = new[r, c]
  return positions, labels.astype(np.int64), valid.astype(np.float32)
