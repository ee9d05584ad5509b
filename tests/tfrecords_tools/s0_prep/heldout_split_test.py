"""tfrecords_tools/s0_prep/heldout_split.py: every n-th document held out,
never in the training file."""
import json
import os

import pytest

from tfrecords_tools.s0_prep import heldout_split


def _corpus(path, num_docs, start=0):
  docs = [f'doc {d} first sentence.\ndoc {d} second sentence.\n'
          for d in range(start, start + num_docs)]
  path.write_text('\n'.join(docs))
  return str(path)


def _docs(path):
  with open(path) as f:
    return [d.split()[1] for d in f.read().split('\n\n') if d.strip()]


def test_every_third_document_across_files(tmp_path):
  first = _corpus(tmp_path / 'a.txt', 4)            # docs 0..3
  second = _corpus(tmp_path / 'b.txt', 3, start=4)  # docs 4..6
  record = heldout_split.split_documents(f'{first},{second}',
                                         str(tmp_path / 'out'), 3)
  # Documents 3rd and 6th in reading order (0-based ids 2 and 5) held out.
  assert _docs(record['files']['heldout']) == ['2', '5']
  assert _docs(record['files']['train']) == ['0', '1', '3', '4', '6']
  assert record['documents'] == {'train': 5, 'heldout': 2}
  with open(tmp_path / 'out' / 'split.json') as f:
    assert json.load(f)['documents'] == {'train': 5, 'heldout': 2}
  # Sentences stay one per line, documents blank-line separated.
  with open(record['files']['heldout']) as f:
    assert f.read() == ('doc 2 first sentence.\ndoc 2 second sentence.\n\n'
                        'doc 5 first sentence.\ndoc 5 second sentence.\n')


@pytest.mark.parametrize('every,docs,message', [
    (1, 5, r'--heldout_every=1: must be >= 2'),
    (10, 5, r'5 document\(s\) leave the heldout split empty at '
     r'--heldout_every=10'),
])
def test_bad_splits(tmp_path, every, docs, message):
  corpus = _corpus(tmp_path / 'a.txt', docs)
  with pytest.raises(heldout_split.SplitError, match=message):
    heldout_split.split_documents(corpus, str(tmp_path / 'out'), every)
  assert not os.path.exists(tmp_path / 'out' / 'split.json')
