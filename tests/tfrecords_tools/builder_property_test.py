"""Property test: the builder on arbitrary unicode / byte documents.

Whatever the documents hold (any unicode, invalid UTF-8, NUL bytes, lone
carriage returns, empty lines), a build either refuses the input with
`UndecodableInputError` (binary or mostly non-UTF-8) or succeeds, and then
every record written parses with the manifest's feature layout and keeps the
record invariants: a [CLS] ... [SEP] prefix marked by the mask, padding after
it, ids inside the vocab, masked positions inside the sequence, and every
label inside its range. Bounded: a few examples, derandomized, seconds.
"""
import os
import tempfile

from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

from official_ext.data import features as F
from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools import build_config
from tfrecords_tools import create_pretraining_data as cpd
from tfrecords_tools.s1_sources import line_decoding
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s3_instances import sentence_pairing

L, P = 24, 4
VOCAB = vocab_lib.load_vocab(fx.VOCAB)

_words = st.sampled_from(["the", "Cat", "sat", "on", "a", "mat", ".",
                          "Paris", "1999", "don't", "x"])
_text_line = st.one_of(
    st.text(max_size=40),                                   # any unicode
    st.lists(_words, min_size=1, max_size=12).map(" ".join))  # real words
_line = st.one_of(_text_line.map(lambda t: t.encode("utf-8")),
                  st.binary(max_size=30))                   # any bytes
_document = st.lists(_line, min_size=0, max_size=6)
_corpus = st.lists(_document, min_size=0, max_size=5).map(
    lambda docs: b"\n\n".join(b"\n".join(d) for d in docs))


def _records(out, manifest):
  spec = {f["name"]: tf.io.FixedLenFeature(
      f["shape"], tf.int64 if f["dtype"] == "int64" else tf.float32)
          for f in manifest["features"]}
  files = [os.path.join(out, s["file"]) for s in manifest["shards"]]
  for raw in tf.data.TFRecordDataset(files):
    yield {k: v.numpy() for k, v in tf.io.parse_single_example(raw,
                                                                spec).items()}


def _check_sequence(ex, prefix, num_labels):
  """The invariants of one sequence of a record (`prefix`: '', the
  continuation's, the changed view's or the changed view's continuation)."""
  get = lambda key: ex[prefix + key]  # pylint: disable=unnecessary-lambda-assignment
  ids, mask, segments = get(F.INPUT_IDS), get(F.INPUT_MASK), get(F.SEGMENT_IDS)
  n = int(mask.sum())
  assert 2 <= n <= L
  np.testing.assert_array_equal(mask, np.arange(L) < n)  # a prefix of ones
  assert ids[0] == VOCAB.cls_id and ids[n - 1] == VOCAB.sep_id
  assert ((ids >= 0) & (ids < len(VOCAB))).all()
  assert not ids[n:].any() and not segments[n:].any()
  assert set(np.unique(segments)) <= {0, 1}
  positions, lm_ids = get(F.MASKED_LM_POSITIONS), get(F.MASKED_LM_IDS)
  weights = get(F.MASKED_LM_WEIGHTS)
  assert set(np.unique(weights)) <= {0.0, 1.0}
  used = weights > 0
  assert ((positions[used] > 0) & (positions[used] < n - 1)).all()
  assert len(set(positions[used].tolist())) == int(used.sum())
  assert ((lm_ids[used] >= 0) & (lm_ids[used] < len(VOCAB))).all()
  assert not positions[~used].any() and not lm_ids[~used].any()
  if not prefix:
    assert 0 <= int(ex[F.NEXT_SENTENCE_LABELS][0]) < num_labels
  token_weights = get(F.AUX_TOKEN_WEIGHTS)
  assert set(np.unique(token_weights)) <= {0.0, 1.0}
  assert not token_weights[n:].any()
  for key in (F.TF_LABELS, F.TF_IDF_LABELS):
    assert ((get(key) >= 0) & (get(key) <= 10.0 + 1e-4)).all()
  changed = prefix.startswith(F.CORRUPTED_PREFIX)  # the view with TCP/TGS
  for key, high in ((F.CAP_LABELS, 1), (F.TCP_LABELS, 1), (F.SCP_LABELS, 1),
                    (F.TGS_LABELS, 5)):
    if changed or key == F.CAP_LABELS:
      assert ((get(key) >= 0) & (get(key) <= high)).all(), key
    else:  # the plain view carries no label of an input change
      assert prefix + key not in ex, key
  if changed:
    assert set(np.unique(get(F.TGS_WEIGHTS))) <= {0.0, 1.0}
  assert (get(F.TOKEN_LENGTH_LABELS) >= 0).all()


@settings(max_examples=14, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@example(corpus=b"The cat sat.\nOn the mat \xff\xfe.\n\nParis in 1999.\r\n"
         b"\n\n\n" + "Caf\u00e9 \U0001f600 x".encode() * 9,
         pair_mode="consecutive", max_share=1.0)
@example(corpus="\u0130stanbul \u00df \u4e2d\u6587.\nA b c.".encode() * 7,
         pair_mode="none", max_share=0.1)
@given(corpus=_corpus,
       pair_mode=st.sampled_from(sorted(sentence_pairing.PAIR_MODES)),
       max_share=st.sampled_from([0.1, 1.0]))
def test_any_documents_build_valid_records_or_are_refused(corpus, pair_mode,
                                                          max_share):
  config = build_config.BuildConfig(
      max_seq_length=L, max_predictions_per_seq=P, dupe_factor=2,
      num_shards=2, docs_per_chunk=2, pair_mode=pair_mode,
      aux_labels=tuple(F.AUX_LABEL_NAMES), max_undecodable_share=max_share)
  with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "corpus.txt")
    with open(src, "wb") as f:
      f.write(corpus)
    out = os.path.join(tmp, "out")
    try:
      manifest = cpd.run(config, src, fx.VOCAB, out, allow_empty=True)
    except line_decoding.UndecodableInputError:
      assert b"\x00" in corpus or max_share < 1.0
      return
    assert b"\x00" not in corpus
    count = 0
    num_labels = len(sentence_pairing.PAIR_MODES[pair_mode])
    for ex in _records(out, manifest):
      count += 1
      for view in ("", F.CORRUPTED_PREFIX):  # the plain and changed inputs
        _check_sequence(ex, view, num_labels)
        if config.paired:
          _check_sequence(ex, view + F.CONTINUATION_PREFIX, num_labels)
    assert count == manifest["totals"]["instances"]
