"""GLUE TSV checks (file:line messages), TFDS, TFRecords, bundled SST-2."""

import os

import numpy as np
import pytest
import tensorflow as tf

from official.nlp.data import sentence_prediction_dataloader

from official_ext.finetuning import glue_data
from official_ext.finetuning import glue_tasks
from tests.official_ext.finetuning import finetuning_fixtures as ffx

SST2 = glue_tasks.GLUE_TASKS['sst2']
STSB = glue_tasks.GLUE_TASKS['stsb']


def _write(path, lines):
  with open(path, 'w', encoding='utf-8') as f:
    f.write('\n'.join(lines) + '\n')
  return str(path)


def test_reads_every_task_layout(tmp_path):
  for name, task in glue_tasks.GLUE_TASKS.items():
    if task.is_regression:
      examples = ffx.regression_examples(3)
    else:
      examples = [('a b', 'c d', task.labels[i % len(task.labels)])
                  for i in range(3)]
    path = _write(tmp_path / f'{name}.tsv', ffx.glue_rows(name, examples))
    read, skipped = glue_data.read_tsv(task, path, 'train')
    assert not skipped and len(read) == 3, name
    assert read[0].text_a == examples[0][0]
    assert read[0].text_b == (None if task.text_b is None else
                              examples[0][1])
    assert [e.example_id for e in read] == [0, 1, 2]


def test_mnli_dev_has_more_columns(tmp_path):
  """MNLI dev files carry five annotator labels: 16 columns, gold last."""
  header = ffx.HEADERS['mnli'][:10] + ['label1', 'label2', 'label3',
                                       'label4', 'label5', 'gold_label']
  row = ['0'] * 8 + ['premise', 'hypothesis'] + ['neutral'] * 5 + [
      'entailment']
  path = _write(tmp_path / 'dev_matched.tsv',
                ['\t'.join(header), '\t'.join(row)])
  (example,), _ = glue_data.read_tsv(glue_tasks.GLUE_TASKS['mnli'], path,
                                     'dev')
  assert (example.text_a, example.text_b, example.label) == (
      'premise', 'hypothesis', 'entailment')


def test_wrong_column_count_names_file_and_line(tmp_path):
  lines = ffx.glue_rows('sst2', ffx.classification_examples(4))
  lines[3] += '\textra'
  path = _write(tmp_path / 'train.tsv', lines)
  with pytest.raises(glue_data.GlueDataError) as error:
    glue_data.read_tsv(SST2, path, 'train')
  assert str(error.value) == (
      f'{path}:4: expected 2 tab-separated columns (as its header on line '
      f'1), found 3')
  cola = _write(tmp_path / 'cola.tsv', ['src\t1\t\tfine', 'src\t0\tbad'])
  with pytest.raises(glue_data.GlueDataError,
                     match=r'cola.tsv:2: expected 4 .*CoLA layout.*found 3'):
    glue_data.read_tsv(glue_tasks.GLUE_TASKS['cola'], cola, 'train')


def test_label_outside_label_set(tmp_path):
  lines = ffx.glue_rows('sst2', ffx.classification_examples(4))
  lines[2] = lines[2].rsplit('\t', 1)[0] + '\tpositive'
  path = _write(tmp_path / 'train.tsv', lines)
  with pytest.raises(glue_data.GlueDataError) as error:
    glue_data.read_tsv(SST2, path, 'train')
  assert str(error.value) == (f"{path}:3: label 'positive' (column 2) is not "
                              f"in the sst2 label set ['0', '1']")
  rte = _write(tmp_path / 'rte.tsv', ffx.glue_rows(
      'rte', [('a', 'b', 'entailment'), ('a', 'b', 'neutral')]))
  with pytest.raises(glue_data.GlueDataError, match=r'rte.tsv:3: .*neutral'):
    glue_data.read_tsv(glue_tasks.GLUE_TASKS['rte'], rte, 'train')


@pytest.mark.parametrize('label, message', [
    ('5.5', r'label 5.5 \(column 10\) is outside \[0.0, 5.0\]'),
    ('high', r"label 'high' \(column 10\) is not a number"),
])
def test_regression_label_checks(tmp_path, label, message):
  path = _write(tmp_path / 'train.tsv', ffx.glue_rows(
      'stsb', [('a', 'b', '1.0'), ('a', 'b', label)]))
  with pytest.raises(glue_data.GlueDataError, match=f'train.tsv:3: {message}'):
    glue_data.read_tsv(STSB, path, 'train')


def test_skip_bad_rows(tmp_path):
  lines = ffx.glue_rows('sst2', ffx.classification_examples(5))
  lines[2] = lines[2].rsplit('\t', 1)[0] + '\t7'
  lines[4] += '\tx'
  path = _write(tmp_path / 'train.tsv', lines)
  examples, skipped = glue_data.read_tsv(SST2, path, 'train',
                                         skip_bad_rows=True)
  assert len(examples) == 3
  assert [s.split(': ')[0] for s in skipped] == [f'{path}:3', f'{path}:5']


def test_missing_data_says_where_to_put_it(tmp_path):
  with pytest.raises(glue_data.GlueDataError) as error:
    glue_data.prepare(SST2, str(tmp_path), ffx.VOCAB_FILE,
                      str(tmp_path / 'cache'), data_source='tsv')
  message = str(error.value)
  assert f'{tmp_path}/SST-2/' in message and 'train.tsv, dev.tsv' in message
  assert 'Nothing is downloaded' in message
  ffx.write_glue(tmp_path, 'mnli', [('a', 'b', 'neutral')],
                 [('a', 'b', 'neutral')], dev_name='dev_matched.tsv')
  with pytest.raises(glue_data.GlueDataError, match='dev_mismatched.tsv is '
                     'missing'):
    glue_data.prepare(glue_tasks.GLUE_TASKS['mnli'], str(tmp_path),
                      ffx.VOCAB_FILE, str(tmp_path / 'cache'))


def _load(path, seq_length, label_type):
  config = sentence_prediction_dataloader.SentencePredictionDataConfig(
      input_path=path, global_batch_size=64, is_training=False,
      drop_remainder=False, seq_length=seq_length, label_type=label_type,
      include_example_id=True)
  return next(iter(
      sentence_prediction_dataloader.SentencePredictionDataLoader(
          config).load()))


def test_prepare_writes_model_garden_records_and_caches(tmp_path):
  train = ffx.regression_examples(6)
  dev = ffx.regression_examples(4, seed=1)
  ffx.write_glue(tmp_path / 'glue', 'stsb', train, dev)
  cache = str(tmp_path / 'cache')
  prepared = glue_data.prepare(STSB, str(tmp_path / 'glue'), ffx.VOCAB_FILE,
                               cache, max_seq_length=16)
  assert (prepared.num_train, prepared.num_eval) == (6, {'': 4})
  batch = _load(prepared.eval_paths[''], 16, 'float')
  np.testing.assert_allclose(batch['label_ids'],
                             [float(label) for _, _, label in dev], rtol=1e-6)
  assert batch['input_word_ids'].shape == (4, 16)
  assert (batch['input_word_ids'][:, 0] == 2).numpy().all()  # [CLS]
  assert batch['example_id'].numpy().tolist() == [0, 1, 2, 3]
  stamp = os.path.getmtime(prepared.train_path)
  again = glue_data.prepare(STSB, str(tmp_path / 'glue'), ffx.VOCAB_FILE,
                            cache, max_seq_length=16)
  assert again == prepared and os.path.getmtime(prepared.train_path) == stamp
  other = glue_data.prepare(STSB, str(tmp_path / 'glue'), ffx.VOCAB_FILE,
                            cache, max_seq_length=32)
  assert other.train_path != prepared.train_path


class _FakeBuilder:
  """Stands in for a prepared TFDS `glue/mnli` builder."""

  def __init__(self, rows, prepared=True):
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    self.rows = rows
    self.prepared = prepared
    self.data_dir = '/nowhere/glue/mnli/2.0.0'
    label = tfds.features.ClassLabel(
        names=['entailment', 'neutral', 'contradiction'])
    self.info = type('Info', (), {'features': {'label': label}})()

  def is_prepared(self):
    return self.prepared

  def as_dataset(self, split):
    del split
    return tf.data.Dataset.from_tensor_slices(
        {k: [r[k] for r in self.rows] for k in self.rows[0]})


def test_tfds_route_maps_fields_and_label_names(monkeypatch):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  rows = [{'idx': 1, 'premise': 'p1', 'hypothesis': 'h1', 'label': 2},
          {'idx': 0, 'premise': 'p0', 'hypothesis': 'h0', 'label': 0}]
  monkeypatch.setattr(tfds, 'builder', lambda name, data_dir: _FakeBuilder(
      rows))
  examples = glue_data.read_tfds(glue_tasks.GLUE_TASKS['mnli'],
                                 'validation_matched', '/nowhere')
  assert [(e.text_a, e.text_b, e.label) for e in examples] == [
      ('p0', 'h0', 'entailment'), ('p1', 'h1', 'contradiction')]
  monkeypatch.setattr(tfds, 'builder', lambda name, data_dir: _FakeBuilder(
      rows, prepared=False))
  with pytest.raises(glue_data.GlueDataError,
                     match='TFDS glue/mnli is not prepared under /nowhere'):
    glue_data.read_tfds(glue_tasks.GLUE_TASKS['mnli'], 'train', '/nowhere')


def test_bundled_sst2_sample():
  folder = os.path.join(ffx.REPO, 'data', 'sst2')
  assert glue_data.find_tsv_dir(SST2, folder) == folder
  train, _ = glue_data.read_tsv(SST2, os.path.join(folder, 'train.tsv'),
                                'train')
  dev, _ = glue_data.read_tsv(SST2, os.path.join(folder, 'dev.tsv'), 'dev')
  assert (len(train), len(dev)) == (2000, 872)
  size = sum(os.path.getsize(os.path.join(folder, f))
             for f in ('train.tsv', 'dev.tsv'))
  assert size < 300_000
  assert os.path.exists(os.path.join(folder, 'README.md'))
