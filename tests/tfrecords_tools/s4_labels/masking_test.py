"""Tests for tfrecords_tools.s4_labels.masking: statistics and invariants."""
import numpy as np

from tfrecords_tools.s4_labels import masking

MASK_ID = 4
REPLACEMENT = np.arange(5, 1000)


def _rows(n=4000, length=128, seed=0):
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, 1000, size=(n, length))
  maskable = np.ones((n, length), bool)
  maskable[:, 0] = False        # [CLS]
  maskable[:, -1] = False       # [SEP]
  maskable[: n // 2, 100:] = False  # shorter rows
  return ids, maskable


def test_num_to_predict_hand_computed():
  maskable = np.zeros((4, 200), bool)
  for i, count in enumerate([0, 3, 100, 200]):
    maskable[i, :count] = True
  # round(0.45) = 0 -> at least 1; round(15) = 15; round(30) capped at 20.
  assert masking.num_to_predict(maskable, 0.15, 20).tolist() == [0, 1, 15, 20]


def test_masking_statistics_15_percent_and_80_10_10():
  ids, maskable = _rows()
  original = ids.copy()
  positions, labels, weights = masking.mask_rows(
      ids, maskable, 0.15, 20, MASK_ID, REPLACEMENT,
      np.random.default_rng(1))
  chosen = weights.sum()
  assert abs(chosen / maskable.sum() - 0.15) < 0.005
  rows = np.nonzero(weights)[0]
  pos = positions[weights > 0]
  assert maskable[rows, pos].all()                  # never a special token
  np.testing.assert_array_equal(labels[weights > 0], original[rows, pos])
  now = ids[rows, pos]
  frac_mask = np.mean(now == MASK_ID)
  frac_same = np.mean(now == original[rows, pos])
  assert abs(frac_mask - 0.8) < 0.01
  assert abs(frac_same - 0.1) < 0.01 + 0.001  # random may redraw the same id
  untouched = np.ones_like(maskable)
  untouched[rows, pos] = False
  np.testing.assert_array_equal(ids[untouched], original[untouched])


def test_positions_sorted_and_padded_with_zero_weight():
  ids, maskable = _rows(n=50)
  positions, _, weights = masking.mask_rows(
      ids, maskable, 0.15, 20, MASK_ID, REPLACEMENT, np.random.default_rng(2))
  for p, w in zip(positions, weights):
    real = p[w > 0]
    assert (np.diff(real) > 0).all()
    assert (p[w == 0] == 0).all()
    assert (w[: len(real)] == 1).all()  # real positions come first


def test_whole_word_masking_masks_whole_words():
  n, length = 2000, 64
  ids, maskable = _rows(n, length)
  word_start = np.ones((n, length), bool)
  word_start[:, 2::3] = False  # every word: pieces at 3j, 3j+1 ; 3j+2 is ##
  word_start[:, 1::3] = False
  positions, _, weights = masking.mask_rows(
      ids, maskable, 0.15, 20, MASK_ID, REPLACEMENT, np.random.default_rng(3),
      word_start=word_start)
  rows = np.nonzero(weights)[0]
  pos = positions[weights > 0]
  picked = np.zeros((n, length), bool)
  picked[rows, pos] = True
  # Words are [3j, 3j+1, 3j+2] (clipped by the maskable range): all or none.
  for r in range(0, n, 97):
    for j in range(1, length // 3):
      word = [c for c in (3 * j, 3 * j + 1, 3 * j + 2)
              if c < length and maskable[r, c]]
      assert len(set(picked[r, word].tolist())) <= 1, (r, j)
  ratio = weights.sum() / maskable.sum()
  assert 0.11 < ratio <= 0.15


def test_nothing_maskable_gives_no_prediction():
  ids = np.full((2, 8), 7)
  positions, labels, weights = masking.mask_rows(
      ids, np.zeros((2, 8), bool), 0.15, 3, MASK_ID, REPLACEMENT,
      np.random.default_rng(0))
  assert weights.sum() == 0 and positions.sum() == 0 and labels.sum() == 0
  assert (ids == 7).all()
