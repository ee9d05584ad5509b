"""Hand-computed tests of every auxiliary label on tiny documents."""
import numpy as np
import pytest

from tfrecords_tools.s3_instances import row_assembly as ra
from tfrecords_tools.s4_labels import corruption
from tfrecords_tools.s4_labels import term_frequency
from tfrecords_tools.s4_labels import trigram_shuffle

# Two documents: [5 6 | 5 7] (two sentences) and [8 8].
IDS = np.array([5, 6, 5, 7, 8, 8])
DOCS = np.array([0, 4, 6])
SENTS = np.array([0, 2, 4, 6])


def test_tf_rescaled_per_document():
  tf, tf_idf = term_frequency.labels(IDS, DOCS, SENTS)
  # counts [2 1 2 1 | 2 2]; doc 1: 10*(x-1)/(1+1e-8); doc 2: max == min -> 0.
  np.testing.assert_allclose(tf, [10, 0, 10, 0, 0, 0], atol=1e-6)
  assert tf_idf is None


def test_tf_idf_and_sentence_scope():
  idf = np.zeros(10, np.float32)
  idf[[5, 6, 7, 8]] = [0.5, 2.0, 1.0, 3.0]
  _, tf_idf = term_frequency.labels(IDS, DOCS, SENTS, idf)
  # tf*idf = [1 2 1 1 | 6 6] -> doc 1 min 1 max 2.
  np.testing.assert_allclose(tf_idf, [0, 10, 0, 0, 0, 0], atol=1e-6)
  tf, _ = term_frequency.labels(IDS, DOCS, SENTS, scope="sentence")
  np.testing.assert_allclose(tf, [10, 0, 10, 0, 0, 0], atol=1e-6)
  ids = np.array([5, 5, 6, 6, 6, 7])
  tf, _ = term_frequency.labels(ids, np.array([0, 6]), np.array([0, 3, 6]),
                                scope="sentence")
  # counts [2 2 3 | 3 3 1]: sentence 1 min 2 max 3, sentence 2 min 1 max 3.
  np.testing.assert_allclose(tf, [0, 0, 10, 10, 10, 0], atol=1e-6)


def test_document_frequencies_and_idf():
  df = term_frequency.document_frequencies(IDS, DOCS, 10)
  assert df.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
  idf = term_frequency.idf_from_counts(np.array([0, 2, 1]), 4)
  np.testing.assert_allclose(idf, np.log([4, 2, 4]), rtol=1e-6)


def test_idf_file_round_trip_and_vocab_check(tmp_path):
  path = str(tmp_path / "idf.json")
  term_frequency.save_idf(path, np.array([1, 2, 0]), 4, "abc", True, ["x"])
  idf, meta = term_frequency.load_idf(path, "abc", 3, True)
  np.testing.assert_allclose(idf, np.log([4, 2, 4]), rtol=1e-6)
  assert meta["num_documents"] == 4
  with pytest.raises(ValueError, match="another vocab"):
    term_frequency.load_idf(path, "zzz", 3, True)
  with pytest.raises(ValueError, match="do_lower_case"):
    term_frequency.load_idf(path, "abc", 3, False)


def test_run_lengths():
  flags = np.array([[1, 1, 0, 1, 1, 1]], bool)
  assert trigram_shuffle.run_lengths(flags).tolist() == [[1, 2, 0, 1, 2, 3]]


def test_trigram_shuffle_permutes_and_labels_the_third_token():
  src = np.array([[ra.CLS, 10, 11, 12, 13, 14, 15, ra.SEP]])
  eligible = src >= 0
  before = src.copy()
  labels, weights, touched = trigram_shuffle.shuffle_trigrams(
      src, eligible, 1.0, np.random.default_rng(0))
  # Every end of a run >= 3 is a candidate (3, 4, 5, 6); 4, 5 and 6 overlap
  # the trigram chosen at 3, so only positions 1..3 are shuffled.
  assert weights.tolist() == [[0, 0, 0, 1, 0, 0, 0, 0]]
  assert touched.tolist() == [[0, 1, 1, 1, 0, 0, 0, 0]]
  perm = trigram_shuffle.PERMUTATIONS[labels[0, 3]]
  assert src[0, 1:4].tolist() == before[0, 1:4][perm].tolist()
  np.testing.assert_array_equal(src[0, 4:], before[0, 4:])


def test_trigram_classes_uniform_including_identity():
  src = np.tile(np.arange(64), (3000, 1))
  labels, weights, _ = trigram_shuffle.shuffle_trigrams(
      src, np.ones_like(src, bool), 0.05, np.random.default_rng(1))
  counts = np.bincount(labels[weights > 0], minlength=6)
  assert counts.sum() > 5000
  np.testing.assert_allclose(counts / counts.sum(), 1 / 6, atol=0.02)


def _seed_for(op):
  return next(s for s in range(100)
              if np.random.default_rng(s).integers(3) == op)


def _row():
  src = np.full(12, ra.PAD, np.int64)
  src[:10] = [ra.CLS, 0, 1, 2, 3, ra.SEP, 4, 5, 6, ra.SEP]
  seg = np.array([0] * 6 + [1] * 4 + [0, 0])
  return src, seg, np.zeros(12, np.int64)


CHUNK_IDS = np.array([20, 21, 22, 23, 24, 25, 26])
REPLACEMENT = np.array([900, 901])


def test_corruption_replace():
  src, seg, tcp = _row()
  assert corruption.corrupt_row(src, seg, tcp, CHUNK_IDS, REPLACEMENT, 0.1,
                                np.random.default_rng(_seed_for(1)))
  changed = np.flatnonzero(tcp)
  assert len(changed) == 2  # max(2, round(0.1 * 7))
  assert (src[changed] <= ra.RANDOM_BASE).all()
  assert set((ra.RANDOM_BASE - src[changed]).tolist()) <= {900, 901}


def test_corruption_swap_labels_both_positions():
  src, seg, tcp = _row()
  before = src.copy()
  assert corruption.corrupt_row(src, seg, tcp, CHUNK_IDS, REPLACEMENT, 0.1,
                                np.random.default_rng(_seed_for(0)))
  [p, q] = np.flatnonzero(tcp)
  assert q == p + 1 and src[p] == before[q] and src[q] == before[p]


def test_corruption_insert_keeps_layout():
  src, seg, tcp = _row()
  src[10:] = [7, 8]   # a full row: [CLS] a a a a [SEP] b b b b b b [SEP]
  src[9] = 9
  src = np.concatenate([src, [ra.SEP]])[:12]
  src[11] = ra.SEP
  seg = np.array([0] * 6 + [1] * 6)
  assert corruption.corrupt_row(src, seg, tcp, np.arange(30), REPLACEMENT,
                                0.1, np.random.default_rng(_seed_for(2)))
  assert src[0] == ra.CLS and src[-1] == ra.SEP
  assert (src == ra.SEP).sum() == 2
  inserted = np.flatnonzero(tcp)
  assert len(inserted) == 2 and (src[inserted] <= ra.RANDOM_BASE).all()
  assert (np.diff(seg) >= 0).all() and seg[0] == 0 and seg[-1] == 1
