"""tfrecords_tools/s0_prep/unlabelled_text.py: labelled TSV -> unlabelled
BERT-format text, sub-phrases and evaluation texts removed."""
import os

import pytest

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools.s0_prep import unlabelled_text

_REPO = fx.REPO


def _tsv(path, texts, column='sentence'):
  rows = [f'{column}\tlabel'] + [f'{t} \t{i % 2}' for i, t in enumerate(texts)]
  path.write_text('\n'.join(rows) + '\n')
  return str(path)


def test_keeps_maximal_texts_in_source_order():
  texts = ['a fine film', 'the plot', 'a fine film .', 'the plot drags on',
           'fine', 'a fine film .', 'plot drags', 'dull']
  kept, report = unlabelled_text.select_texts(texts)
  # 'a fine film', 'fine' are spans of 'a fine film .'; 'the plot' and
  # 'plot drags' of 'the plot drags on'; one exact duplicate.
  assert kept == ['a fine film .', 'the plot drags on', 'dull']
  assert report.as_dict() == {'rows': 8, 'duplicates': 1, 'sub_phrases': 4,
                              'excluded': 0, 'kept': 3}


def test_span_match_is_by_whole_words():
  kept, _ = unlabelled_text.select_texts(['the plot thickens', 'plot thick'])
  assert kept == ['the plot thickens', 'plot thick']


def test_excludes_texts_containing_an_evaluation_text():
  texts = ['a fine film with a dull plot', 'a dull plot', 'good fun',
           'nothing here is good']
  kept, report = unlabelled_text.select_texts(
      texts, exclude=['with a dull plot', 'good'], exclude_min_words=3)
  # The 4-word evaluation text rules out the sentence containing it; 'good'
  # is shorter than 3 words and is not searched for.
  assert kept == ['good fun', 'nothing here is good']
  assert report.excluded == 1 and report.sub_phrases == 1


def test_documents_of_n_lines():
  assert unlabelled_text.to_bert_format(['a', 'b', 'c'], 2) == 'a\nb\n\nc\n'
  assert unlabelled_text.to_bert_format([], 2) == ''
  with pytest.raises(ValueError, match='at least 1, got 0'):
    unlabelled_text.to_bert_format(['a'], 0)


def test_convert_writes_file_and_names_a_missing_column(tmp_path):
  source = _tsv(tmp_path / 'train.tsv', ['great acting', 'great',
                                         'a bore from start to finish'])
  dev = _tsv(tmp_path / 'dev.tsv', ['from start to finish'])
  out = str(tmp_path / 'sub' / 'unlabelled.txt')
  report = unlabelled_text.convert(source, out, dev, sentences_per_document=1)
  with open(out) as f:
    assert f.read() == 'great acting\n'
  assert report.kept == 1 and report.excluded == 1
  other = _tsv(tmp_path / 'other.tsv', ['x'], column='text_a')
  with pytest.raises(ValueError, match=r"other.tsv: no column 'sentence'"):
    unlabelled_text.convert(other, out)


def test_bundled_file_holds_no_dev_text_of_three_words():
  """data/sst2/unlabelled.bert.txt against the bundled dev sample."""
  bundled = os.path.join(_REPO, 'data', 'sst2', 'unlabelled.bert.txt')
  dev = unlabelled_text.read_texts(os.path.join(_REPO, 'data', 'sst2',
                                                'dev.tsv'))
  with open(bundled, encoding='utf-8') as f:
    lines = [l for l in f.read().split('\n') if l]
  padded = '\n'.join(f' {l} ' for l in lines)
  long_dev = [d for d in dev if len(d.split()) >= 3]
  assert len(long_dev) > 700
  assert not [d for d in long_dev if f' {d} ' in padded]
  assert len(lines) == 6445
