"""Tiny GLUE-format and SQuAD-format files and a tiny exported encoder."""

import json
import os
import random

import tensorflow as tf

from official_ext.finetuning import glue_tasks
from official_ext.interchange import encoder_export
from official_ext.modeling.models import pretrainer_config
from tests.official_ext.modeling import modeling_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
VOCAB_FILE = os.path.join(REPO, 'data', 'wikitext2', 'vocab_uncased_8k.txt')
VOCAB_SIZE = 7027
SST2_TRAIN = os.path.join(REPO, 'data', 'sst2', 'train.tsv')

# Original GLUE headers (CoLA train/dev have none).
HEADERS = {
    'sst2': ['sentence', 'label'],
    'stsb': ['index', 'genre', 'filename', 'year', 'old_index', 'source1',
             'source2', 'sentence1', 'sentence2', 'score'],
    'mrpc': ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
    'qqp': ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'],
    'mnli': ['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse',
             'sentence2_binary_parse', 'sentence1_parse', 'sentence2_parse',
             'sentence1', 'sentence2', 'label1', 'gold_label'],
    'qnli': ['index', 'question', 'sentence', 'label'],
    'rte': ['index', 'sentence1', 'sentence2', 'label'],
    'wnli': ['index', 'sentence1', 'sentence2', 'label'],
}


def export_tiny_encoder(output_dir, **overrides):
  """Builds the tiny TEAMS pretrainer (2 layers, hidden 64) and exports it."""
  config = pretrainer_config.teams_config('tiny', VOCAB_SIZE, **overrides)
  model = pretrainer_config.build_pretrainer(config)
  model(fx.tiny_batch())
  encoder_export.export_pretrainer(model, config, str(output_dir),
                                   saved_model=False)
  return str(output_dir)


def sentences(count, seed=0):
  """Real sentences (from the bundled SST-2 sample)."""
  with open(SST2_TRAIN, encoding='utf-8') as f:
    rows = [line.split('\t')[0].strip() for line in f.read().split('\n')[1:]
            if line.strip()]
  return random.Random(seed).sample(rows, count)


def glue_rows(task, examples):
  """TSV lines (with the header) of `examples` = [(text_a, text_b, label)]."""
  spec = glue_tasks.GLUE_TASKS[task]
  header = HEADERS.get(task)
  width = len(header) if header else spec.num_columns
  lines = ['\t'.join(header)] if header else []
  for i, (text_a, text_b, label) in enumerate(examples):
    fields = [str(i)] * width
    fields[spec.text_a] = text_a
    if spec.text_b is not None:
      fields[spec.text_b] = text_b
    fields[spec.label % width] = str(label)
    lines.append('\t'.join(fields))
  return lines


def write_glue(data_dir, task, train, dev, dev_name='dev.tsv'):
  """Writes `<data_dir>/<GLUE dir>/{train.tsv, dev.tsv}`; returns the dir."""
  folder = os.path.join(str(data_dir), glue_tasks.GLUE_TASKS[task].glue_dir)
  os.makedirs(folder, exist_ok=True)
  for name, examples in (('train.tsv', train), (dev_name, dev)):
    with open(os.path.join(folder, name), 'w', encoding='utf-8') as f:
      f.write('\n'.join(glue_rows(task, examples)) + '\n')
  return folder


def classification_examples(count, seed=0):
  rng = random.Random(seed)
  return [(s, None, rng.choice('01')) for s in sentences(count, seed)]


def regression_examples(count, seed=0):
  rng = random.Random(seed)
  texts = sentences(2 * count, seed)
  return [(texts[2 * i], texts[2 * i + 1], f'{rng.uniform(0, 5):.3f}')
          for i in range(count)]


def squad_json(num_paragraphs=4, seed=0, version_2=False):
  """A SQuAD-format dict: each question asks for a span of its context."""
  rng = random.Random(seed)
  data = []
  texts = sentences(3 * num_paragraphs, seed)
  for p in range(num_paragraphs):
    context = ' . '.join(texts[3 * p:3 * p + 3]) + ' .'
    words = context.split()
    qas = []
    for q in range(2):
      start = rng.randrange(1, len(words) - 2)
      answer = ' '.join(words[start:start + 2])
      qas.append({'id': f'p{p}q{q}',
                  'question': f'what follows {words[start - 1]} ?',
                  'answers': [{'text': answer,
                               'answer_start': context.index(answer)}]})
      if version_2:
        qas[-1]['is_impossible'] = False
    if version_2:
      qas.append({'id': f'p{p}none', 'question': 'who painted the bridge ?',
                  'answers': [], 'is_impossible': True})
    data.append({'title': f'article {p}',
                 'paragraphs': [{'context': context, 'qas': qas}]})
  return {'version': '2.0' if version_2 else '1.1', 'data': data}


def write_squad(data_dir, version='v1.1', seed=0):
  """Writes train-<v>.json and dev-<v>.json into `data_dir`."""
  version_2 = version == 'v2.0'
  os.makedirs(str(data_dir), exist_ok=True)
  paths = {}
  for split, offset in (('train', 0), ('dev', 100)):
    paths[split] = os.path.join(str(data_dir), f'{split}-{version}.json')
    with open(paths[split], 'w', encoding='utf-8') as f:
      json.dump(squad_json(seed=seed + offset, version_2=version_2), f,
                indent=1)
  return paths


def tfrecord_count(path):
  return sum(1 for _ in tf.data.TFRecordDataset(path))
