"""A comparison's pretraining data: given manifests or record sets it builds.

Either the comparison names existing builder manifests (`records`, `vocab`,
`heldout_records`, `streams`), or it names **record sets** to build from a
BERT-format corpus (`record_sets = {'main': ['--pair_mode=so',
'--aux_labels=all'], 'consecutive': ['--pair_mode=consecutive']}`; the
corpus defaults to the bundled WikiText-2). Built data lives under
`<output_dir>/data/`:

  corpus/{train,heldout}.bert.txt   every `heldout_every`-th document held
                                    out (`tfrecords_tools/s0_prep/
                                    heldout_split.py`)
  vocab.txt                         learned from the training documents
  <set>/manifest.json               the set's records (its builder flags)
  heldout/<set>/manifest.json       the same flags on the held-out
                                    documents, dupe factor 1

An arm's `records` and a stream's manifest are a set name or a manifest
path. Arms may read different record sets (MLM+SO reads `pair_mode=so`
records, QT consecutive ones) only if they come from the same corpus:
`check_same_corpus` compares the manifests' vocab sha256 and inputs
(paths, sizes, document counts) and names both arms otherwise.
"""
import json
import os
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf

from official_ext.compare import arms as arms_lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUNDLED_CORPUS = ','.join(
    os.path.join(REPO, 'data', 'wikitext2', f'{split}.bert.txt')
    for split in ('valid', 'test'))
MANIFEST = 'manifest.json'


def data_dir(output_dir: str) -> str:
  return os.path.join(output_dir, 'data')


def is_set(comparison, value: Optional[str]) -> bool:
  return value is not None and value in (comparison.record_sets or {})


def manifest(comparison, value: str, output_dir: str) -> str:
  """A set name's built manifest, or `value` itself (a manifest path)."""
  if is_set(comparison, value):
    return os.path.join(data_dir(output_dir), value, MANIFEST)
  return value


def heldout_manifest(comparison, value: Optional[str],
                     output_dir: str) -> Optional[str]:
  """The held-out records matching records `value` (a set: its held-out
  build; else `heldout_records`, a path or {records: path}); None: none."""
  if value is None:
    return None
  if is_set(comparison, value):
    return os.path.join(data_dir(output_dir), 'heldout', value, MANIFEST)
  heldout = comparison.heldout_records
  if isinstance(heldout, Mapping):
    return heldout.get(value)
  return heldout


def vocab_file(comparison, output_dir: str) -> Optional[str]:
  """The comparison's vocab: given, or learned by the data stage."""
  if comparison.vocab:
    return comparison.vocab
  if comparison.record_sets:
    return os.path.join(data_dir(output_dir), 'vocab.txt')
  return None


def build_stages(comparison, output_dir: str) -> List[Tuple[str, str, list]]:
  """(name, stage dir, module args) of the data stages, in order; none when
  the comparison only names existing manifests."""
  sets = comparison.record_sets or {}
  if not sets:
    return []
  root = data_dir(output_dir)
  corpus_dir = os.path.join(root, 'corpus')
  vocab = vocab_file(comparison, output_dir)
  split = ['tfrecords_tools.s0_prep.heldout_split',
           f'--corpus={comparison.corpus or BUNDLED_CORPUS}',
           f'--output_dir={root}',
           f'--heldout_every={comparison.heldout_every}']
  if not comparison.vocab:
    split.append(f'--vocab_size={comparison.vocab_size}')
  stages = [('data_split', os.path.join(root, 'stages', 'split'), split)]
  common = [f'--vocab_file={vocab}',
            f'--max_seq_length={comparison.seq_length}',
            f'--max_predictions_per_seq={comparison.max_predictions}',
            f"--idf_file={os.path.join(root, 'idf.json')}",
            '--num_shards=4']
  for name, flags in sets.items():
    for side, out, extra in (
        ('train', os.path.join(root, name), []),
        ('heldout', os.path.join(root, 'heldout', name), ['--dupe_factor=1'])):
      stages.append((
          f'data_{name}' + ('_heldout' if side == 'heldout' else ''),
          os.path.join(root, 'stages', f'{name}_{side}'),
          ['tfrecords_tools.create_pretraining_data',
           f"--input_file={os.path.join(corpus_dir, side + '.bert.txt')}",
           f'--output_dir={out}'] + common + list(flags) + extra))
  return stages


def _read(path: str) -> Optional[dict]:
  if not path or not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def corpus_identity(record: dict) -> Dict[str, object]:
  """What must agree between two arms' manifests: vocab, inputs, docs."""
  return {'vocab sha256': record.get('vocab', {}).get('sha256'),
          'inputs': sorted((os.path.basename(i['path']), i.get('bytes'))
                           for i in record.get('inputs', [])),
          'documents': record.get('totals', {}).get('documents')}


def check_same_corpus(named: Sequence[Tuple[str, str]]) -> None:
  """`named`: (arm or stream label, manifest path). Every manifest that
  exists must come from the first one's corpus; one ArmError line names
  both and the first field that differs. Missing manifests are skipped
  (a set the data stage builds; the pipeline checks again after it)."""
  first = None
  for label, path in named:
    record = _read(path)
    if record is None:
      continue
    identity = corpus_identity(record)
    if first is None:
      first = (label, path, identity)
      continue
    for key, value in identity.items():
      if value != first[2][key]:
        raise arms_lib.ArmError(
            f'{label} reads {path} and {first[0]} reads {first[1]}: their '
            f'{key} differ ({value!r} vs {first[2][key]!r}); every arm must '
            f'read records of the same corpus and vocab')


def missing_manifests(named: Sequence[Tuple[str, str]]) -> List[str]:
  """One line per named manifest that does not exist."""
  return [f'{label}: {path} does not exist' for label, path in named
          if not tf.io.gfile.exists(path)]
