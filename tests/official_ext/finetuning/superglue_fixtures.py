"""Tiny SuperGLUE samples in the official JSONL layout (<Task>/train.jsonl)."""

import json
import os
import random

from tests.official_ext.finetuning import finetuning_fixtures as ffx


def _records(task, count, seed, labelled=True):
  """`count` records of `task` in its official JSONL fields."""
  rng = random.Random(seed)
  texts = ffx.sentences(4 * count, seed)
  out = []
  for i in range(count):
    a, b, c, d = texts[4 * i:4 * i + 4]
    if task == 'BoolQ':
      r = {'question': a, 'passage': b, 'label': rng.random() < 0.5}
    elif task == 'CB':
      r = {'premise': a, 'hypothesis': b,
           'label': rng.choice(['entailment', 'contradiction', 'neutral'])}
    elif task in ('RTE', 'AX-g'):
      r = {'premise': a, 'hypothesis': b,
           'label': rng.choice(['entailment', 'not_entailment'])}
    elif task == 'AX-b':
      r = {'sentence1': a, 'sentence2': b,
           'label': rng.choice(['entailment', 'not_entailment'])}
    elif task == 'WiC':
      word = a.split()[0]
      r = {'word': word, 'sentence1': a, 'sentence2': f'{word} {b}',
           'label': rng.random() < 0.5, 'start1': 0, 'end1': len(word),
           'start2': 0, 'end2': len(word)}
    elif task == 'WSC':
      words = a.split(' ')
      r = {'text': a, 'target': {
          'span1_index': 0, 'span1_text': words[0],
          'span2_index': len(words) - 1, 'span2_text': words[-1]},
           'label': rng.random() < 0.5}
    elif task == 'COPA':
      r = {'premise': a, 'choice1': b, 'choice2': c,
           'question': rng.choice(['cause', 'effect']),
           'label': rng.randrange(2)}
    elif task == 'MultiRC':
      r = {'passage': {'text': f'{a} {b}', 'questions': [
          {'idx': q, 'question': f'what about {c.split()[0]} {q} ?',
           'answers': [{'idx': k, 'text': w, 'label': rng.randrange(2)}
                       for k, w in enumerate(d.split()[:3])]}
          for q in range(2)]}}
    elif task == 'ReCoRD':
      passage = f'{a} Alpha met Beta in Gamma. {b}'
      entities = [{'start': passage.index(e), 'end': passage.index(e) +
                   len(e) - 1} for e in ('Alpha', 'Beta', 'Gamma')]
      answer = rng.choice(['Alpha', 'Beta', 'Gamma'])
      r = {'source': 'test', 'passage': {'text': passage,
                                         'entities': entities},
           'qas': [{'idx': 10 * i + q, 'query': f'@placeholder was in {c}',
                    'answers': [{'start': passage.index(answer),
                                 'end': passage.index(answer) +
                                 len(answer) - 1, 'text': answer}]}
                   for q in range(2)]}
    else:
      raise ValueError(task)
    r['idx'] = i
    if not labelled:
      r.pop('label', None)
      if task == 'MultiRC':
        for q in r['passage']['questions']:
          for ans in q['answers']:
            ans.pop('label')
      for qa in r.get('qas', []):
        qa['answers'] = []
    out.append(r)
  return out


def write_jsonl(path, records):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w', encoding='utf-8') as f:
    for r in records:
      f.write(json.dumps(r) + '\n')


def write_task(data_dir, title, train=8, dev=6, test=4, seed=0):
  """Writes <data_dir>/<title>/{train,val,test}.jsonl (AX-*: <title>.jsonl)."""
  folder = os.path.join(str(data_dir), title)
  if title.startswith('AX-'):
    write_jsonl(os.path.join(folder, f'{title}.jsonl'),
                _records(title, dev, seed + 1))
    return folder
  write_jsonl(os.path.join(folder, 'train.jsonl'), _records(title, train,
                                                            seed))
  write_jsonl(os.path.join(folder, 'val.jsonl'), _records(title, dev,
                                                          seed + 1))
  write_jsonl(os.path.join(folder, 'test.jsonl'),
              _records(title, test, seed + 2, labelled=False))
  return folder


ALL_TITLES = ('BoolQ', 'CB', 'COPA', 'MultiRC', 'ReCoRD', 'RTE', 'WiC', 'WSC',
              'AX-b', 'AX-g')


def write_all(data_dir, seed=0):
  for title in ALL_TITLES:
    write_task(data_dir, title, seed=seed)
  return str(data_dir)


def build_tfds(data_dir, tfds_dir, names, monkeypatch):
  """Prepares TFDS super_glue/<name> from the JSONL files in `data_dir`.

  TFDS's own SuperGlue builder runs on the local files: its download step
  is replaced by the folder (no network), its checksum lookup switched off.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(tfds.download.DownloadManager, 'download_and_extract',
                      lambda self, url: str(data_dir))
  for name in names:
    builder = tfds.builder(f'super_glue/{name}', data_dir=str(tfds_dir))
    cls = type(builder)
    # Shadow the inherited class property for the build only (reading it
    # would import a package this TFDS version lacks).
    assert '_checksums_path' not in vars(cls)
    cls._checksums_path = None
    try:
      builder.download_and_prepare()
    finally:
      del cls._checksums_path
  return str(tfds_dir)
