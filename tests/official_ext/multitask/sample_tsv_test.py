"""Balanced, disjoint, seeded TSV samples; the bundled AG News sample."""

import collections
import hashlib
import os

import pytest

from official_ext.multitask import sample_tsv
from tests.official_ext.multitask import multitask_fixtures as mfx

AGNEWS_SOURCE = '/work/shared/data/agnews/dev.tsv'
AGNEWS_DIR = os.path.join(mfx.REPO, 'data', 'agnews')


def _source(path, per_label=10, labels=('b', 'a', 'c')):
  rows = [f'text {i} of {label}\t{label}'
          for i in range(per_label) for label in labels]
  path.write_text('\n'.join(rows) + '\n', encoding='utf-8')
  return str(path)


def _rows(path):
  with open(path, encoding='utf-8') as f:
    return f.read().split('\n')


def test_balanced_disjoint_in_source_order(tmp_path):
  source = _source(tmp_path / 'src.tsv')
  counts = sample_tsv.sample_tsv(source, str(tmp_path / 'out'), 7, 5, seed=3)
  # 7 over 3 labels: a 3, b 2, c 2; 5: a 2, b 2, c 1.
  assert counts == {'train': {'a': 3, 'b': 2, 'c': 2},
                    'dev': {'a': 2, 'b': 2, 'c': 1}}
  train = _rows(tmp_path / 'out' / 'train.tsv')
  dev = _rows(tmp_path / 'out' / 'dev.tsv')
  assert train[0] == dev[0] == 'text_a\tlabel' and train[-1] == ''
  train, dev = train[1:-1], dev[1:-1]
  assert len(train) == 7 and len(dev) == 5 and not set(train) & set(dev)
  order = _rows(source)
  assert [order.index(r) for r in train] == sorted(order.index(r)
                                                   for r in train)


def test_same_seed_same_sample_other_seed_differs(tmp_path):
  source = _source(tmp_path / 'src.tsv')
  out = {}
  for name, seed in (('a', 0), ('b', 0), ('c', 1)):
    sample_tsv.sample_tsv(source, str(tmp_path / name), 6, 3, seed=seed)
    out[name] = _rows(tmp_path / name / 'train.tsv')
  assert out['a'] == out['b'] and out['a'] != out['c']
  assert sample_tsv.balanced_sample(list('aabb'), 2, 2, seed=0) == (
      sample_tsv.balanced_sample(list('aabb'), 2, 2, seed=0))


def test_errors_name_file_line_or_label(tmp_path):
  source = _source(tmp_path / 'src.tsv', per_label=3)
  with pytest.raises(sample_tsv.SampleError,
                     match=r"label 'a' has 3 rows; 2 train \+ 2 dev need 4"):
    sample_tsv.sample_tsv(source, str(tmp_path / 'o'), 6, 6)
  bad = tmp_path / 'bad.tsv'
  bad.write_text('x\ta\ny\tb\textra\n', encoding='utf-8')
  with pytest.raises(sample_tsv.SampleError) as error:
    sample_tsv.sample_tsv(str(bad), str(tmp_path / 'o'), 1, 1)
  assert f'{bad}:2: expected 2 tab-separated columns, found 3' in str(
      error.value)


def test_bundled_agnews_counts():
  for name, per_label in (('train.tsv', 300), ('dev.tsv', 100)):
    rows = _rows(os.path.join(AGNEWS_DIR, name))
    assert rows[0] == 'text_a\tlabel'
    counts = collections.Counter(r.split('\t')[1] for r in rows[1:] if r)
    assert counts == {label: per_label for label in mfx.AGNEWS_LABELS}


@pytest.mark.skipif(not os.path.exists(AGNEWS_SOURCE),
                    reason='AG News source not on this machine')
def test_bundled_agnews_is_reproducible(tmp_path):
  sample_tsv.sample_tsv(AGNEWS_SOURCE, str(tmp_path), 1200, 400, seed=0)
  for name in ('train.tsv', 'dev.tsv'):
    digests = [hashlib.sha256(open(os.path.join(d, name), 'rb').read()
                              ).hexdigest() for d in (AGNEWS_DIR, tmp_path)]
    assert digests[0] == digests[1], name
