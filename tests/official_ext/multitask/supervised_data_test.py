"""Token ids by hand, span positions, datasets, the cache, error messages."""

import dataclasses
import json
import os

import numpy as np
import pytest

from official.nlp.tools import tokenization

from official_ext.multitask import span_features
from official_ext.multitask import span_metrics
from official_ext.multitask import supervised_data as sd
from official_ext.multitask import supervised_formats as sf
from official_ext.multitask import task_spec
from tests.official_ext.multitask import multitask_fixtures as mfx

# id = index: [CLS] 2, [SEP] 3, the 5, cat 6, ... ##95 22.
HAND_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat',
              'sat', 'on', 'mat', 'dog', 'ran', 'un', '##aff', '##able',
              'was', 'born', 'in', '(', ')', '.', '18', '##95', 'who', '?',
              'when', 'he']


@pytest.fixture(name='vocab')
def fixture_vocab(tmp_path):
  path = tmp_path / 'hand_vocab.txt'
  path.write_text('\n'.join(HAND_VOCAB) + '\n', encoding='utf-8')
  return str(path)


def _tsv(path, rows, header='text_a\ttext_b\tlabel'):
  path.write_text('\n'.join([header] + ['\t'.join(r) for r in rows]) + '\n',
                  encoding='utf-8')
  return str(path)


def _jsonl(path, objects):
  path.write_text('\n'.join(json.dumps(o) for o in objects) + '\n',
                  encoding='utf-8')
  return str(path)


def _all(prepared, split='dev', batch_size=64):
  batches = list(prepared.dataset(split, batch_size, is_training=False))
  return {k: np.concatenate([b[k].numpy() for b in batches])
          for k in batches[0]}


# --- classification / regression ids ----------------------------------------

def test_single_text_ids_by_hand(tmp_path, vocab):
  path = _tsv(tmp_path / 'train.tsv', [('The cat sat.', 'pos'),
                                       ('the dog ran', 'neg')],
              header='text_a\tlabel')
  spec = task_spec.TaskSpec('hand', 'classification', path, path,
                            max_seq_length=8, labels=('pos', 'neg'))
  prepared = sd.prepare_task(spec, vocab, str(tmp_path / 'cache'))
  features = _all(prepared)
  np.testing.assert_array_equal(features['input_word_ids'],
                                [[2, 5, 6, 7, 20, 3, 0, 0],
                                 [2, 5, 10, 11, 3, 0, 0, 0]])
  np.testing.assert_array_equal(features['input_mask'],
                                [[1] * 6 + [0] * 2, [1] * 5 + [0] * 3])
  np.testing.assert_array_equal(features['input_type_ids'], np.zeros((2, 8)))
  np.testing.assert_array_equal(features['label'], [0, 1])
  assert features['label'].dtype == np.int32
  assert (prepared.num_classes, prepared.labels) == (2, ('pos', 'neg'))
  assert prepared.num_predictions == 2


def test_pair_ids_type_ids_and_longest_first_truncation(tmp_path, vocab):
  path = _tsv(tmp_path / 'train.tsv', [
      ('the cat', 'the dog ran', 'a'),
      # 6 + 3 pieces into 8 - 3 = 5: a -> 5, 4, 3; tie 3/3 cuts b -> 2.
      ('the cat sat on the mat', 'the dog ran', 'b')])
  spec = task_spec.TaskSpec('pair', 'classification', path, path,
                            text_columns=('text_a', 'text_b'),
                            max_seq_length=8)
  features = _all(sd.prepare_task(spec, vocab, str(tmp_path / 'c')))
  np.testing.assert_array_equal(features['input_word_ids'],
                                [[2, 5, 6, 3, 5, 10, 11, 3],
                                 [2, 5, 6, 7, 3, 5, 10, 3]])
  np.testing.assert_array_equal(features['input_type_ids'],
                                [[0, 0, 0, 0, 1, 1, 1, 1],
                                 [0, 0, 0, 0, 0, 1, 1, 1]])
  np.testing.assert_array_equal(features['input_mask'], np.ones((2, 8)))
  np.testing.assert_array_equal(features['label'], [0, 1])


def test_truncate_pair():
  a, b = sd.truncate_pair(list('abcdef'), list('xyz'), 5)
  assert (a, b) == (list('abc'), list('xy'))
  assert sd.truncate_pair(list('abcdef'), None, 4) == (list('abcd'), None)
  assert sd.truncate_pair(['a'], ['x'], 5) == (['a'], ['x'])


def test_regression_labels_are_float(tmp_path):
  spec = mfx.write_regression_jsonl(tmp_path)
  prepared = sd.prepare_task(spec, mfx.tiny_vocab(tmp_path),
                             str(tmp_path / 'c'))
  features = _all(prepared)
  assert features['label'].dtype == np.float32
  np.testing.assert_allclose(
      features['label'], [mfx.regression_example(k)[2] for k in range(24, 32)],
      rtol=1e-6)
  assert (prepared.num_classes, prepared.labels) == (1, None)
  assert prepared.num_predictions is None


# --- multiple choice ---------------------------------------------------------

def test_multiple_choice_ids_by_hand(tmp_path, vocab):
  path = _jsonl(tmp_path / 'mc.jsonl', [
      {'context': 'the cat sat', 'choices': ['on the mat', 'the dog ran'],
       'label': 1}])
  spec = task_spec.TaskSpec('mc', 'multiple_choice', path, path,
                            max_seq_length=10)
  prepared = sd.prepare_task(spec, vocab, str(tmp_path / 'c'))
  features = _all(prepared)
  assert features['input_word_ids'].shape == (1, 2, 10)
  np.testing.assert_array_equal(features['input_word_ids'][0], [
      [2, 5, 6, 7, 3, 8, 5, 9, 3, 0],
      [2, 5, 6, 7, 3, 5, 10, 11, 3, 0]])
  np.testing.assert_array_equal(features['input_type_ids'][0],
                                [[0] * 5 + [1] * 4 + [0]] * 2)
  np.testing.assert_array_equal(features['input_mask'][0],
                                [[1] * 9 + [0]] * 2)
  np.testing.assert_array_equal(features['label'], [1])
  assert (prepared.num_choices, prepared.num_predictions) == (2, 2)


def test_multiple_choice_batches_are_b_c_s(tmp_path):
  spec = mfx.write_multiple_choice_task(tmp_path, num_choices=3)
  prepared = sd.prepare_task(spec, mfx.tiny_vocab(tmp_path),
                             str(tmp_path / 'c'))
  batch = next(iter(prepared.dataset('train', 4, is_training=True)))
  for key in sd.ID_KEYS:
    assert batch[key].shape == (4, 3, 32) and batch[key].dtype.name == 'int32'
  assert batch['label'].shape == (4,)
  features = _all(prepared)
  np.testing.assert_array_equal(features['label'],
                                [mfx.choice_example(k)[2] for k in
                                 range(24, 32)])
  assert not np.any(features['input_word_ids'] == 1)  # no [UNK]


# --- span ---------------------------------------------------------------------

def _span(vocab, question, context, answer, max_seq_length=32):
  tokenizer = tokenization.FullTokenizer(vocab, do_lower_case=True)
  return span_features.span_tokens(tokenizer, question, context,
                                   context.index(answer), answer,
                                   max_seq_length)


def test_span_positions_by_hand(vocab):
  # [CLS] who sat ? [SEP] the cat sat on the mat . [SEP]
  #   0    1   2  3   4    5   6   7   8   9  10 11   12
  tokens = _span(vocab, 'who sat ?', 'the cat sat on the mat .', 'the mat')
  assert (tokens.start, tokens.end) == (9, 10)
  # An answer split into WordPieces: un ##aff ##able at 8..10.
  # [CLS] who was he ? [SEP] he was un ##aff ##able . [SEP]
  tokens = _span(vocab, 'who was he ?', 'he was unaffable .', 'unaffable')
  assert tokens.context == ['he', 'was', 'un', '##aff', '##able', '.']
  assert (tokens.start, tokens.end) == (8, 10)
  # The answer is part of a word: "(1895)." -> ( 18 ##95 ) .; keep 18 ##95.
  # [CLS] when was he born ? [SEP] he was born in ( 18 ##95 ) . [SEP]
  #   0    1    2   3   4  5   6    7  8   9   10 11 12  13  14 15
  tokens = _span(vocab, 'when was he born ?', 'he was born in (1895).',
                 '1895')
  assert (tokens.start, tokens.end) == (12, 13)


def test_span_window_cut(vocab):
  # S = 10: question <= 3 pieces, context <= 10 - 3 - 3 = 4 pieces.
  tokens = _span(vocab, 'who sat on the mat ?', 'the cat sat on the mat .',
                 'the mat', max_seq_length=10)
  assert tokens.question == ['who', 'sat', 'on']
  assert tokens.context == ['the', 'cat', 'sat', 'on']
  assert not tokens.in_window and tokens.start is None
  # [CLS] who ? [SEP] the cat ...: cat at 5.
  tokens = _span(vocab, 'who ?', 'the cat sat on the mat .', 'cat',
                 max_seq_length=10)
  assert (tokens.start, tokens.end) == (5, 5)


def test_context_words_char_map():
  words, char_to_word = span_features.context_words(' ab  c\td')
  assert words == ['ab', 'c', 'd']
  assert char_to_word == [-1, 0, 0, 0, 0, 1, 1, 2]


def test_span_outside_window_dropped_in_train_kept_in_dev(tmp_path, vocab):
  context = 'the cat sat on the mat . he was born in (1895).'
  rows = [{'context': context, 'question': 'who ?',
           'answers': [{'text': answer,
                        'answer_start': context.index(answer)}]}
          for answer in ('cat', '1895', 'the mat')]
  path = _jsonl(tmp_path / 'span.jsonl', rows)
  # S = 12: [CLS] who ? [SEP] + 7 context pieces (through "." at 10).
  spec = task_spec.TaskSpec('span', 'span', path, path, max_seq_length=12)
  prepared = sd.prepare_task(spec, vocab, str(tmp_path / 'c'))
  assert (prepared.num_train, prepared.num_dev) == (2, 3)
  assert prepared.dropped_train_examples == 1
  assert prepared.dev_outside_window == 1
  assert prepared.num_predictions == 12
  with open(os.path.join(prepared.feature_dir, 'meta.json')) as f:
    meta = json.load(f)
  assert (meta['dropped_train_examples'], meta['num_train']) == (1, 2)
  dev = _all(prepared)
  np.testing.assert_array_equal(dev['start_positions'], [5, 0, 8])
  np.testing.assert_array_equal(dev['end_positions'], [5, 0, 9])
  np.testing.assert_array_equal(dev['input_type_ids'][0],
                                [0] * 4 + [1] * 8)
  train = _all(prepared, 'train')
  np.testing.assert_array_equal(train['start_positions'], [5, 8])


def test_span_all_answers_outside_window_is_an_error(tmp_path, vocab):
  context = 'the cat sat on the mat . the dog ran .'
  path = _jsonl(tmp_path / 'span.jsonl', [{
      'context': context, 'question': 'who ?',
      'answers': [{'text': 'dog', 'answer_start': context.index('dog')}]}])
  spec = task_spec.TaskSpec('far', 'span', path, path, max_seq_length=8)
  with pytest.raises(sf.SupervisedDataError) as error:
    sd.prepare_task(spec, vocab, str(tmp_path / 'c'))
  assert "task 'far' (train split)" in str(error.value)
  assert 'outside the window of max_seq_length 8' in str(error.value)
  assert path in str(error.value)


def test_fixture_span_positions_decode_to_answers(tmp_path):
  vocab = mfx.tiny_vocab(tmp_path)
  spec = mfx.write_span_task(tmp_path)
  prepared = sd.prepare_task(spec, vocab, str(tmp_path / 'c'))
  assert (prepared.num_train, prepared.num_dev) == (24, 8)
  assert prepared.dropped_train_examples == prepared.dev_outside_window == 0
  tokenizer = tokenization.FullTokenizer(vocab, do_lower_case=True)
  dev = _all(prepared)
  for i, k in enumerate(range(24, 32)):
    ids = dev['input_word_ids'][i]
    span = ids[dev['start_positions'][i]:dev['end_positions'][i] + 1]
    answer = mfx.span_question(k)[2]
    assert tokenizer.convert_ids_to_tokens(span) == tokenizer.tokenize(answer)
  assert not np.any(dev['input_word_ids'] == 1)


# --- datasets -----------------------------------------------------------------

def test_eval_order_remainder_and_static_shapes(tmp_path):
  spec = mfx.write_classification_tsv(tmp_path)
  prepared = sd.prepare_task(spec, mfx.tiny_vocab(tmp_path),
                             str(tmp_path / 'c'))
  dev = prepared.dataset('dev', 3, is_training=False)
  assert dev.element_spec['input_word_ids'].shape.as_list() == [None, 32]
  sizes = [int(b['label'].shape[0]) for b in dev]
  assert sizes == [3, 3, 2]
  labels = np.concatenate([b['label'].numpy() for b in dev])
  expected = [prepared.labels.index(mfx.topic_example(k)[1])
              for k in range(24, 32)]
  np.testing.assert_array_equal(labels, expected)
  train = prepared.dataset('train', 5, is_training=True)
  assert train.element_spec['input_word_ids'].shape.as_list() == [5, 32]
  assert train.element_spec['label'].shape.as_list() == [5]


def test_training_shuffle_is_seeded_and_epochs_are_permutations(tmp_path):
  spec = mfx.write_classification_tsv(tmp_path)
  prepared = sd.prepare_task(spec, mfx.tiny_vocab(tmp_path),
                             str(tmp_path / 'c'))

  def rows(seed, batches=12):
    ds = prepared.dataset('train', 4, is_training=True, seed=seed)
    return np.concatenate([b['input_word_ids'].numpy()
                           for b in ds.take(batches)])

  first, again, other = rows(1), rows(1), rows(2)
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, other)
  ordered = _all(prepared, 'train')['input_word_ids']
  assert not np.array_equal(first[:24], ordered)
  for epoch in (first[:24], first[24:48]):  # 24 examples = 6 batches
    np.testing.assert_array_equal(np.unique(epoch, axis=0),
                                  np.unique(ordered, axis=0))
    assert sorted(map(tuple, epoch)) == sorted(map(tuple, ordered))

  # A resumed run's stream: the same shuffle, 7 batches on (into epoch 2).
  skipped = prepared.dataset('train', 4, is_training=True, seed=1,
                             skip_batches=7)
  np.testing.assert_array_equal(
      np.concatenate([b['input_word_ids'].numpy() for b in skipped.take(5)]),
      first[7 * 4:12 * 4])


def test_dataset_argument_errors(tmp_path):
  spec = mfx.write_classification_tsv(tmp_path)
  prepared = sd.prepare_task(spec, mfx.tiny_vocab(tmp_path),
                             str(tmp_path / 'c'))
  with pytest.raises(ValueError, match="split must be one of"):
    prepared.dataset('test', 4, False)
  with pytest.raises(ValueError, match="'tiny_topic': batch_size"):
    prepared.dataset('dev', 0, False)


# --- cache --------------------------------------------------------------------

def test_cache_is_reused_and_keyed(tmp_path, monkeypatch):
  vocab = mfx.tiny_vocab(tmp_path)
  spec = mfx.write_classification_tsv(tmp_path)
  cache = str(tmp_path / 'cache')
  first = sd.prepare_task(spec, vocab, cache)
  name = os.path.basename(first.feature_dir)
  assert name.startswith('tiny_topic-') and len(name) == len('tiny_topic-') + 12
  assert sorted(os.listdir(first.feature_dir)) == [
      'dev.tfrecord', 'meta.json', 'train.tfrecord']
  stamps = {f: os.stat(os.path.join(first.feature_dir, f)).st_mtime_ns
            for f in os.listdir(first.feature_dir)}

  def no_reading(*args):
    raise AssertionError(f'read_split{args} called on a cache hit')

  monkeypatch.setattr(sf, 'read_split', no_reading)
  second = sd.prepare_task(dataclasses.replace(spec, weight=3.0, head='x'),
                           vocab, cache)
  assert second.feature_dir == first.feature_dir
  assert (second.num_train, second.num_dev, second.labels) == (
      first.num_train, first.num_dev, first.labels)
  assert {f: os.stat(os.path.join(first.feature_dir, f)).st_mtime_ns
          for f in os.listdir(first.feature_dir)} == stamps
  monkeypatch.undo()
  longer = sd.prepare_task(dataclasses.replace(spec, max_seq_length=48),
                           vocab, cache)
  lower = sd.prepare_task(spec, vocab, cache, do_lower_case=False)
  with open(spec.dev_file, 'a', encoding='utf-8') as f:
    f.write('99\tSnow again .\tweather\n')
  edited = sd.prepare_task(spec, vocab, cache)
  dirs = {first.feature_dir, longer.feature_dir, lower.feature_dir,
          edited.feature_dir}
  assert len(dirs) == 4 and edited.num_dev == 9


def test_bundled_sst2_and_agnews(tmp_path):
  cache = str(tmp_path / 'cache')
  sst2 = sd.prepare_task(mfx.sst2_spec(), mfx.VOCAB_FILE, cache)
  assert (sst2.num_train, sst2.num_dev, sst2.labels) == (2000, 872,
                                                         ('0', '1'))
  agnews = sd.prepare_task(mfx.agnews_spec(), mfx.VOCAB_FILE, cache)
  assert (agnews.num_train, agnews.num_dev) == (1200, 400)
  assert agnews.num_classes == 4
  counts = np.bincount(_all(agnews)['label'], minlength=4)
  np.testing.assert_array_equal(counts, [100, 100, 100, 100])
  first = _all(agnews, 'train', 1200)
  assert first['label'][0] == 3  # the first train row is Sci/Tech
  assert first['input_word_ids'].shape == (1200, 128)


# --- errors -------------------------------------------------------------------

def test_prepare_empty_split_names_task_split_file(tmp_path, vocab):
  train = _tsv(tmp_path / 'train.tsv', [('the cat', 'a'), ('the dog', 'b')],
               header='text_a\tlabel')
  dev = _tsv(tmp_path / 'dev.tsv', [], header='text_a\tlabel')
  spec = task_spec.TaskSpec('nodev', 'classification', train, dev)
  with pytest.raises(sf.SupervisedDataError) as error:
    sd.prepare_task(spec, vocab, str(tmp_path / 'c'))
  assert str(error.value) == (f"task 'nodev' (dev split): the dev split has "
                              f"no examples (file {dev})")
  assert not os.path.exists(tmp_path / 'c')


def test_prepare_missing_vocab_and_bad_spec(tmp_path):
  spec = mfx.write_classification_tsv(tmp_path)
  missing = str(tmp_path / 'vocab.txt')
  with pytest.raises(sf.SupervisedDataError, match='vocab file .* does not'):
    sd.prepare_task(spec, missing, str(tmp_path / 'c'))
  with pytest.raises(task_spec.TaskSpecError, match='max_seq_length'):
    sd.prepare_task(dataclasses.replace(spec, max_seq_length=4),
                    mfx.tiny_vocab(tmp_path), str(tmp_path / 'c'))


# --- metrics ------------------------------------------------------------------

def test_span_metrics_by_hand():
  # (3,5) vs (4,6): overlap 2, P = R = 2/3; exact; pe < ps: 0; CLS exact.
  result = span_metrics.span_metrics([3, 4, 7, 0], [5, 6, 6, 0],
                                     [4, 4, 4, 0], [6, 6, 6, 0])
  assert result['exact_match'] == pytest.approx(50.0)
  assert result['f1'] == pytest.approx(100 * (2 / 3 + 1 + 0 + 1) / 4)
  # (1,1) vs (1,4): P = 1, R = 1/4 -> F1 = 0.4.
  assert span_metrics.span_metrics([1], [1], [1], [4]) == pytest.approx(
      {'exact_match': 0.0, 'f1': 40.0})
  assert span_metrics.span_metrics([9], [9], [1], [4])['f1'] == 0.0
  with pytest.raises(ValueError, match='differ in length'):
    span_metrics.span_metrics([1, 2], [1], [1], [1])
