"""Synthetic fine-tuning tasks whose labels are a fixed function of the text.

Every text is a string of filler words from the bundled WordPiece vocab (each
one token) plus marker words that decide the label; a fine-tuning run that
works learns the rule from a random encoder, one that does not cannot:

  count (STS-B layout, regression)  label = occurrences of `apple` in text_a
                                     (0..5); text_b is filler
  contains (SST-2 layout)            label 1 iff the sentence holds `apple`
  marker in B (MRPC layout, pair)    label 1 iff text_b holds `apple` (text_a
                                     holds it at random, so the segments
                                     must be told apart)
  colour (SQuAD v1.1 layout)         the answer is the one colour word of the
                                     context

The rules are read off single tokens (and their segment), which a random
2-layer encoder learns in a few hundred steps; relational rules (the word
after a cue, "same colour in both segments") are not learned from random
weights in that budget and only measure memorisation.
"""

import random

from tests.official_ext.finetuning import finetuning_fixtures as ffx

MARKER = 'apple'
COLOURS = ('red', 'blue', 'green', 'black')


def _filler_words():
  with open(ffx.VOCAB_FILE, encoding='utf-8') as f:
    words = [w.strip() for w in f][1000:3000]
  reserved = {MARKER, *COLOURS}
  return [w for w in words if w.isalpha() and w.isascii() and
          w not in reserved]


FILLER = _filler_words()


def _filler(rng, count):
  return [rng.choice(FILLER) for _ in range(count)]


def _insert(rng, words, extra):
  for word in extra:
    words.insert(rng.randrange(len(words) + 1), word)
  return words


def count_examples(count, seed):
  """[(text_a, text_b, label)] with label = occurrences of MARKER."""
  rng = random.Random(seed)
  rows = []
  for _ in range(count):
    k = rng.randrange(6)
    text_a = _insert(rng, _filler(rng, 10 - k), [MARKER] * k)
    rows.append((' '.join(text_a), ' '.join(_filler(rng, 4)), f'{k}.0'))
  return rows


def contains_examples(count, seed):
  """[(sentence, None, label)] with label 1 iff MARKER occurs."""
  rng = random.Random(seed)
  rows = []
  for i in range(count):
    label = i % 2
    words = _filler(rng, rng.randrange(6, 12))
    if label:
      words = _insert(rng, words, [MARKER])
    rows.append((' '.join(words), None, label))
  rng.shuffle(rows)
  return rows


def marker_in_second_examples(count, seed):
  """[(text_a, text_b, label)] with label 1 iff MARKER occurs in text_b.

  MARKER also occurs in text_a, independently of the label, in half the
  rows: only a model that tells the two segments apart scores above 75%.
  """
  rng = random.Random(seed)
  rows = []
  for i in range(count):
    label = i % 2
    text_a = _filler(rng, 6)
    if rng.random() < 0.5:
      text_a = _insert(rng, text_a, [MARKER])
    text_b = _filler(rng, 6)
    if label:
      text_b = _insert(rng, text_b, [MARKER])
    rows.append((' '.join(text_a), ' '.join(text_b), label))
  rng.shuffle(rows)
  return rows


def colour_squad(num_paragraphs, seed):
  """A SQuAD v1.1 dict: 'what colour ?' -> the one colour in the context."""
  rng = random.Random(seed)
  data = []
  for p in range(num_paragraphs):
    words = _filler(rng, 14)
    answer = rng.choice(COLOURS)
    at = rng.randrange(len(words) + 1)
    words.insert(at, answer)
    context = ' '.join(words)
    start = len(' '.join(words[:at])) + (1 if at else 0)
    assert context[start:start + len(answer)] == answer
    qas = [{'id': f'p{p}', 'question': 'what colour is named ?',
            'answers': [{'text': answer, 'answer_start': start}]}]
    data.append({'title': f'doc {p}',
                 'paragraphs': [{'context': context, 'qas': qas}]})
  return {'version': '1.1', 'data': data}
