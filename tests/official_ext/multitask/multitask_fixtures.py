"""Tiny supervised tasks written to a folder, their TaskSpecs, and a vocab.

Import from a test as
`from tests.official_ext.multitask import multitask_fixtures as mfx`.
Every `write_*` function writes `<dir>/<name>/{train,dev}.<ext>` from
hand-written English sentences (deterministic) and returns the `TaskSpec`;
`tiny_vocab(dir)` writes a WordPiece vocab holding every word of them (no
[UNK] on the fixtures). `sst2_spec()` and `agnews_spec()` point at the
bundled samples under `data/` (use `VOCAB_FILE`, the bundled 7,027-token
vocab, with those).
"""

import json
import os

from official.nlp.tools import tokenization

from official_ext.multitask import task_spec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
VOCAB_FILE = os.path.join(REPO, 'data', 'wikitext2', 'vocab_uncased_8k.txt')
AGNEWS_LABELS = ('World', 'Sports', 'Business', 'Sci/Tech')
RESERVED = ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]')

# (sentence, question, answer): the answer occurs in the sentence.
FACTS = (
    ('The Eiffel Tower in Paris was completed in 1889 for the World Fair .',
     'When was the Eiffel Tower completed ?', '1889'),
    ('Marie Curie was the first woman to win a Nobel Prize .',
     'Who was the first woman to win a Nobel Prize ?', 'Marie Curie'),
    ('The Amazon river flows through Brazil into the Atlantic Ocean .',
     'Into which ocean does the Amazon flow ?', 'the Atlantic Ocean'),
    ('Mount Everest rises 8,849 metres above sea level .',
     'How high does Mount Everest rise ?', '8,849 metres'),
    ('Ada Lovelace wrote programs for the Analytical Engine of Charles '
     'Babbage .', 'For which machine did Ada Lovelace write programs ?',
     'the Analytical Engine'),
    ('The violinist practised every morning in a small room above the '
     'bakery .', 'Where did the violinist practise ?',
     'in a small room above the bakery'),
    ('Penguins in Antarctica huddle together to survive the winter storms .',
     'Why do penguins huddle together ?', 'to survive the winter storms'),
    ('The library on Elm Street opens at nine in the morning on weekdays .',
     'When does the library on Elm Street open ?', 'at nine in the morning'),
    ('Johannes Gutenberg brought printing with movable type to Europe around '
     '1440 .', 'What did Gutenberg bring to Europe ?',
     'printing with movable type'),
    ('The Pacific Ocean is the largest and deepest ocean on Earth .',
     'Which ocean is the largest on Earth ?', 'The Pacific Ocean'),
    ('Honey bees tell each other where flowers are with a waggle dance .',
     'How do honey bees tell each other where flowers are ?',
     'with a waggle dance'),
    ('The Great Wall of China stretches for thousands of kilometres across '
     'northern China .', 'Where does the Great Wall stretch ?',
     'across northern China'),
)

# (context, the plausible continuation).
STORIES = (
    ('The glass slipped from her hand and hit the stone floor .',
     'It broke into pieces .'),
    ('He forgot his umbrella and the rain started to pour .',
     'He got soaked on the way home .'),
    ('The baby had not slept all night .', 'She was very tired in the '
     'morning .'),
    ('The oven was left on for hours .', 'The bread inside was burnt .'),
    ('The team practised every day for months .', 'They won the '
     'championship .'),
    ('The ice cream sat in the sun .', 'It melted quickly .'),
    ('She planted tomato seeds in the garden in spring .',
     'By summer the plants had grown tall .'),
    ('The phone battery was almost empty .', 'He plugged it into the '
     'charger .'),
    ('The crowd cheered when the singer walked on stage .',
     'The concert began .'),
    ('The road was covered with fresh snow .', 'The cars drove slowly .'),
)

TOPICS = {
    'sports': ('The striker scored twice in the second half .',
               'The home team won the final match .',
               'She ran the marathon in under three hours .',
               'The coach praised the young goalkeeper .',
               'Fans cheered as the players entered the stadium .',
               'The tennis champion lost in the first round .'),
    'weather': ('Heavy rain is expected across the north tonight .',
                'The afternoon will be sunny and warm .',
                'Strong winds knocked down trees near the coast .',
                'Snow fell overnight in the mountain villages .',
                'Temperatures will drop below freezing this weekend .',
                'A thick fog covered the valley at dawn .'),
}
TOPIC_LABELS = tuple(sorted(TOPICS))


def fixture_texts():
  """Every text the writers below can emit (for `tiny_vocab`)."""
  texts = [t for fact in FACTS for t in fact]
  texts += [t for story in STORIES for t in story]
  texts += [t for sentences in TOPICS.values() for t in sentences]
  return texts


def tiny_vocab(directory, extra=()):
  """Writes `<dir>/tiny_vocab.txt`: reserved tokens, `extra`, fixture words.

  Returns:
    The vocab path. Ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then
    `extra` in order, then the lower-cased fixture words sorted.
  """
  basic = tokenization.BasicTokenizer(do_lower_case=True)
  words = sorted({w for t in fixture_texts() for w in basic.tokenize(t)})
  tokens = list(RESERVED) + list(extra)
  tokens += [w for w in words if w not in set(tokens)]
  path = os.path.join(str(directory), 'tiny_vocab.txt')
  os.makedirs(str(directory), exist_ok=True)
  with open(path, 'w', encoding='utf-8') as f:
    f.write('\n'.join(tokens) + '\n')
  return path


def _folder(directory, name):
  folder = os.path.join(str(directory), name)
  os.makedirs(folder, exist_ok=True)
  return folder


def _write_lines(path, lines):
  with open(path, 'w', encoding='utf-8') as f:
    f.write('\n'.join(lines) + '\n')


def _write_jsonl(path, objects):
  _write_lines(path, [json.dumps(o) for o in objects])


def span_question(k):
  """Question k: fact k % 12 at position p of a three-fact context."""
  f = k % len(FACTS)
  position = (k // len(FACTS) + k) % 3
  chosen = [FACTS[(f - position + j) % len(FACTS)] for j in range(3)]
  context = ' '.join(fact[0] for fact in chosen)
  sentence, question, answer = FACTS[f]
  offset = len(' '.join(fact[0] for fact in chosen[:position]))
  offset += 1 if position else 0
  start = offset + sentence.index(answer)
  assert context[start:start + len(answer)] == answer
  return context, question, answer, start


def write_span_task(directory, name='tiny_squad', n_train=24, n_dev=8,
                    fmt='squad', max_seq_length=64):
  """Span task, SQuAD v1.1 JSON (`fmt='squad'`) or jsonl; dev follows train.

  Every answer fits in a window of 64. Question ids: `<name>-<k>`.
  """
  folder = _folder(directory, name)
  ext = 'json' if fmt == 'squad' else 'jsonl'
  paths = {}
  for split, ks in (('train', range(n_train)),
                    ('dev', range(n_train, n_train + n_dev))):
    rows = []
    for k in ks:
      context, question, answer, start = span_question(k)
      rows.append({'id': f'{name}-{k}', 'context': context,
                   'question': question,
                   'answers': [{'text': answer, 'answer_start': start}]})
    paths[split] = os.path.join(folder, f'{split}.{ext}')
    if fmt == 'squad':
      data = [{'title': f'{name} {row["id"]}',
               'paragraphs': [{'context': row['context'], 'qas': [{
                   'id': row['id'], 'question': row['question'],
                   'answers': row['answers']}]}]} for row in rows]
      with open(paths[split], 'w', encoding='utf-8') as f:
        json.dump({'version': '1.1', 'data': data}, f, indent=1)
    else:
      _write_jsonl(paths[split], rows)
  return task_spec.TaskSpec(name=name, kind='span',
                            train_file=paths['train'], dev_file=paths['dev'],
                            format=fmt, max_seq_length=max_seq_length)


def choice_example(k, num_choices=3):
  """(context, choices, label): the right ending at index k % num_choices."""
  i = k % len(STORIES)
  label = k % num_choices
  wrong = [STORIES[(i + 3 * j) % len(STORIES)][1]
           for j in range(1, num_choices)]
  choices = wrong[:label] + [STORIES[i][1]] + wrong[label:]
  return STORIES[i][0], choices, label


def write_multiple_choice_task(directory, name='tiny_mc', n_train=24,
                               n_dev=8, num_choices=3, max_seq_length=32):
  """Multiple-choice jsonl: a story and `num_choices` (<= 10) endings."""
  folder = _folder(directory, name)
  paths = {}
  for split, ks in (('train', range(n_train)),
                    ('dev', range(n_train, n_train + n_dev))):
    rows = []
    for k in ks:
      context, choices, label = choice_example(k, num_choices)
      rows.append({'context': context, 'choices': choices, 'label': label})
    paths[split] = os.path.join(folder, f'{split}.jsonl')
    _write_jsonl(paths[split], rows)
  return task_spec.TaskSpec(name=name, kind='multiple_choice',
                            train_file=paths['train'], dev_file=paths['dev'],
                            format='jsonl', max_seq_length=max_seq_length)


def topic_example(k):
  """(sentence, topic): alternating topics, cycling through sentences."""
  topic = TOPIC_LABELS[k % 2]
  sentences = TOPICS[topic]
  return sentences[(k // 2) % len(sentences)], topic


def write_classification_tsv(directory, name='tiny_topic', n_train=24,
                             n_dev=8, pair=False, max_seq_length=32):
  """Topic classification TSV, header `id sentence [sentence2] topic`.

  Labels 'sports' / 'weather' (alternating). With `pair`, text_b is another
  example's sentence and the label 'same' (k % 4 < 2) or 'different' topic.
  """
  folder = _folder(directory, name)
  header = ['id', 'sentence'] + (['sentence2'] if pair else []) + ['topic']
  paths = {}
  for split, ks in (('train', range(n_train)),
                    ('dev', range(n_train, n_train + n_dev))):
    lines = ['\t'.join(header)]
    for k in ks:
      text, topic = topic_example(k)
      fields = [str(k), text]
      if pair:
        other, other_topic = topic_example(k + (2 if k % 4 < 2 else 1))
        fields.append(other)
        topic = 'same' if other_topic == topic else 'different'
      lines.append('\t'.join(fields + [topic]))
    paths[split] = os.path.join(folder, f'{split}.tsv')
    _write_lines(paths[split], lines)
  return task_spec.TaskSpec(
      name=name, kind='classification', train_file=paths['train'],
      dev_file=paths['dev'], format='tsv',
      text_columns=('sentence', 'sentence2') if pair else ('sentence',),
      label_column='topic', max_seq_length=max_seq_length)


def regression_example(k):
  """(text_a, text_b, score): 4.x for the same topic, 1.x otherwise."""
  text_a, topic_a = topic_example(k)
  text_b, topic_b = topic_example(k // 2 + 5)
  score = (4.0 if topic_a == topic_b else 1.0) + (k % 5) / 10
  return text_a, text_b, score


def write_regression_jsonl(directory, name='tiny_similarity', n_train=24,
                           n_dev=8, max_seq_length=32):
  """Sentence-pair similarity jsonl {"text_a", "text_b", "label": float}."""
  folder = _folder(directory, name)
  paths = {}
  for split, ks in (('train', range(n_train)),
                    ('dev', range(n_train, n_train + n_dev))):
    rows = []
    for k in ks:
      text_a, text_b, score = regression_example(k)
      rows.append({'text_a': text_a, 'text_b': text_b, 'label': score})
    paths[split] = os.path.join(folder, f'{split}.jsonl')
    _write_jsonl(paths[split], rows)
  return task_spec.TaskSpec(name=name, kind='regression',
                            train_file=paths['train'], dev_file=paths['dev'],
                            format='jsonl', max_seq_length=max_seq_length)


def sst2_spec(max_seq_length=64, **overrides):
  """The bundled SST-2 sample (2,000 train, 872 dev), GLUE layout."""
  folder = os.path.join(REPO, 'data', 'sst2')
  return task_spec.TaskSpec(
      name='sst2', kind='classification',
      train_file=os.path.join(folder, 'train.tsv'),
      dev_file=os.path.join(folder, 'dev.tsv'), format='glue',
      glue_task='glue/sst2', max_seq_length=max_seq_length, **overrides)


def agnews_spec(max_seq_length=128, **overrides):
  """The bundled AG News sample (1,200 train, 400 dev), 4 topics."""
  folder = os.path.join(REPO, 'data', 'agnews')
  return task_spec.TaskSpec(
      name='agnews', kind='classification',
      train_file=os.path.join(folder, 'train.tsv'),
      dev_file=os.path.join(folder, 'dev.tsv'), format='tsv',
      text_columns=('text_a',), label_column='label', labels=AGNEWS_LABELS,
      max_seq_length=max_seq_length, **overrides)
