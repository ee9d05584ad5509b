"""The overlap-similarity task: labels are 5 x the kept-word share."""

import csv

import pytest

from tfrecords_tools.s0_prep import overlap_similarity_task as ost

SENTENCES = ['the cat sat on the mat today', 'a dog ran in the big park',
             'rain fell over the quiet town', 'she read four long books now']


def test_labels_are_five_times_the_kept_share():
  pairs = ost.make_pairs(SENTENCES, 200, seed=3)
  labels = set()
  for a, b, label in pairs:
    wa, wb = a.split(), b.split()
    assert a in SENTENCES and len(wa) == len(wb)
    kept = sum(x == y for x, y in zip(wa, wb))
    assert label == pytest.approx(round(5.0 * kept / len(wa), 3))
    labels.add(label)
  assert min(labels) == 0.0 and max(labels) == 5.0 and len(labels) > 5
  assert ost.make_pairs(SENTENCES, 20, seed=3) == pairs[:20]  # seeded


def test_writes_the_stsb_layout_finetune_reads(tmp_path):
  src = tmp_path / 'in.tsv'
  src.write_text('sentence\tlabel\n' + ''.join(f'{s}\t1\n' for s in SENTENCES)
                 + 'too short\t0\n')
  sentences = ost.read_sentences(str(src))
  assert sentences == SENTENCES
  path = ost.write_stsb(ost.make_pairs(sentences, 5, 0), str(tmp_path),
                        'dev')
  assert path == str(tmp_path / 'STS-B' / 'dev.tsv')
  with open(path) as f:
    rows = list(csv.reader(f, delimiter='\t'))
  assert tuple(rows[0]) == ost.STSB_HEADER and len(rows) == 6
  assert all(len(r) == 10 and 0 <= float(r[9]) <= 5 for r in rows[1:])


def test_too_few_sentences_is_an_error():
  with pytest.raises(ValueError, match='at least 2 sentences'):
    ost.make_pairs(SENTENCES[:1], 3, 0)
