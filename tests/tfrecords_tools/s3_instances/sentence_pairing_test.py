"""Tests for tfrecords_tools.s3_instances.sentence_pairing:
every mode's layout and labels."""
import collections
import random

import pytest

from tfrecords_tools.s3_instances import sentence_pairing as sp


def _doc(lengths, start=0):
  out = []
  for n in lengths:
    out.append((start, start + n))
    start += n
  return out


DOC = _doc([7, 9, 5, 12, 8, 6, 10, 7, 9, 11])          # tokens 0..83
OTHER = _doc([6, 8, 9, 7, 10], start=1000)


def _label_freqs(mode, trials=3000, max_seq_length=32):
  pairer = sp.DocumentPairer(mode, max_seq_length, 0.1, collections.Counter())
  rng = random.Random(0)
  labels = collections.Counter()
  for _ in range(trials // 10):
    for inst in pairer.instances(DOC, [OTHER], rng):
      labels[inst.label] += 1
  total = sum(labels.values())
  return {k: v / total for k, v in labels.items()}, total


@pytest.mark.parametrize("mode,expected", [
    ("nsp", {0: 0.5, 1: 0.5}),
    ("so", {0: 0.5, 1: 0.5}),
    ("asp", {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}),
    ("sdp", {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}),
])
def test_label_distribution(mode, expected):
  freqs, total = _label_freqs(mode)
  assert total > 500
  assert set(freqs) == set(expected)
  for label, p in expected.items():
    assert abs(freqs[label] - p) < 0.05, (mode, freqs)


def _tokens(ranges):
  return [t for s, e in ranges for t in range(s, e)]


def test_so_never_crosses_documents_and_swaps_contiguous_segments():
  pairer = sp.DocumentPairer("so", 32, 0.0, collections.Counter())
  for inst in pairer.instances(DOC, [OTHER], random.Random(1)):
    a, b = _tokens(inst.a), _tokens(inst.b)
    assert max(a + b) < 1000
    first, second = (a, b) if inst.label == 0 else (b, a)
    assert first[-1] + 1 == second[0]  # contiguous in the document


def test_nsp_random_next_comes_from_the_other_document():
  pairer = sp.DocumentPairer("nsp", 32, 0.0, collections.Counter())
  for inst in pairer.instances(DOC, [OTHER], random.Random(2)):
    b = _tokens(inst.b)
    assert (min(b) >= 1000) == (inst.label == 1)


def test_sdp_gap_segment_skips_at_least_one_sentence():
  pairer = sp.DocumentPairer("sdp", 32, 0.0, collections.Counter())
  starts = {s for s, _ in DOC}
  seen = 0
  for _ in range(50):
    for inst in pairer.instances(DOC, [OTHER], random.Random(seen)):
      seen += 1
      if inst.label != 1:
        continue
      a, b = _tokens(inst.a), _tokens(inst.b)
      assert max(b) < 1000
      assert b[0] in starts
      assert b[0] > a[-1] + 1 or b[-1] + 1 < a[0]  # not adjacent either way
      gap_sentences = [s for s in starts if a[-1] < s < b[0] or
                       b[-1] < s < a[0]]
      assert gap_sentences


def test_none_packs_every_token_once_in_order():
  pairer = sp.DocumentPairer("none", 16, 0.3, collections.Counter())
  insts = pairer.instances(DOC, [], random.Random(3))
  assert all(i.b is None for i in insts)
  assert [t for i in insts for t in _tokens(i.a)] == list(range(84))
  assert all(len(_tokens(i.a)) <= 14 for i in insts)


def test_consecutive_second_sequence_continues_the_first():
  pairer = sp.DocumentPairer("consecutive", 16, 0.0, collections.Counter())
  insts = pairer.instances(DOC, [], random.Random(4))
  assert insts
  for inst in insts:
    a, b = _tokens(inst.a), _tokens(inst.b)
    assert a and b and a[-1] + 1 == b[0]


def test_unknown_mode_and_too_short_length_are_errors():
  with pytest.raises(ValueError, match="Unknown sentence-pair mode 'xx'"):
    sp.DocumentPairer("xx", 32, 0.1, collections.Counter())
  with pytest.raises(ValueError, match="too short"):
    sp.DocumentPairer("nsp", 4, 0.1, collections.Counter())


def test_same_seed_same_instances():
  a = sp.DocumentPairer("asp", 32, 0.1, collections.Counter())
  r1 = a.instances(DOC, [OTHER], random.Random(9))
  r2 = a.instances(DOC, [OTHER], random.Random(9))
  assert r1 == r2
  assert r1 != a.instances(DOC, [OTHER], random.Random(10))
