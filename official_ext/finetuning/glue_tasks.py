"""GLUE and SQuAD task catalogue: files, columns, labels and metrics.

Every GLUE task is described by a `GlueTask`: where its original TSV files
live (the layout of the GLUE download, `<data_dir>/<glue_dir>/train.tsv`),
which columns hold text and label, its label set (the one of Model Garden's
`classifier_data_lib` processor of the same name), the TFDS `glue/<name>`
fields for the TFDS route, and the metrics the papers report.

Scores: `task_score` follows the GLUE benchmark (the mean of a task's metrics:
MRPC/QQP (F1 + acc) / 2, STS-B (Pearson + Spearman) / 2, MNLI (m + mm) / 2);
`paper_metric` is the single number ELECTRA/TEAMS tables print (MCC for
CoLA, Spearman for STS-B, accuracy otherwise, MNLI matched).
"""

import dataclasses
from typing import Dict, Optional, Tuple

GLUE_PREFIX = 'glue/'
SQUAD_PREFIX = 'squad/'


class TaskError(ValueError):
  """An unknown task name."""


@dataclasses.dataclass(frozen=True)
class GlueTask:
  """One GLUE task.

  Attributes:
    name: short name (`sst2`), the part after `glue/`.
    glue_dir: folder name in the GLUE download (`SST-2`).
    mg_processor: name of Model Garden's `classifier_data_lib` processor.
    has_header: whether train/dev TSVs start with a header line.
    num_columns: column count of a headerless file (None: the header's).
    text_a, text_b, label: column indices (text_b None for single sentence;
      negative counts from the end, e.g. MNLI's gold label).
    labels: label strings in class-id order; None for regression.
    dev_files: eval split name -> dev file name ('' names the only split).
    tfds_splits: eval split name -> TFDS split.
    tfds_fields: TFDS feature names of text_a (and text_b).
    metrics: metric names (see `metrics.glue_metrics`).
    paper_metric: the metric key papers print for this task.
  """
  name: str
  glue_dir: str
  mg_processor: str
  has_header: bool
  text_a: int
  text_b: Optional[int]
  label: int
  labels: Optional[Tuple[str, ...]]
  tfds_fields: Tuple[str, ...]
  metrics: Tuple[str, ...] = ('accuracy',)
  paper_metric: str = 'accuracy'
  num_columns: Optional[int] = None
  dev_files: Tuple[Tuple[str, str], ...] = (('', 'dev.tsv'),)
  tfds_splits: Tuple[Tuple[str, str], ...] = (('', 'validation'),)

  @property
  def is_regression(self) -> bool:
    return self.labels is None

  @property
  def num_classes(self) -> int:
    """Model Garden's `num_classes` (1 = regression)."""
    return 1 if self.labels is None else len(self.labels)

  @property
  def slug(self) -> str:
    return 'glue_' + self.name

  @property
  def prefix(self) -> str:
    """The CLI name's prefix (`superglue_tasks.SuperGlueTask`: superglue/)."""
    return GLUE_PREFIX

  def metric_keys(self):
    """Keys of the run's metrics: `<metric>` or `<metric>_<split>`."""
    return [metric_key(m, split) for split, _ in self.dev_files
            for m in self.metrics]


def metric_key(metric, split):
  return f'{metric}_{split}' if split else metric


_BINARY = ('0', '1')
_NLI2 = ('entailment', 'not_entailment')

GLUE_TASKS: Dict[str, GlueTask] = {t.name: t for t in [
    GlueTask('cola', 'CoLA', 'ColaProcessor', has_header=False, num_columns=4,
             text_a=3, text_b=None, label=1, labels=_BINARY,
             tfds_fields=('sentence',), metrics=('mcc',),
             paper_metric='mcc'),
    GlueTask('sst2', 'SST-2', 'SstProcessor', has_header=True, text_a=0,
             text_b=None, label=1, labels=_BINARY,
             tfds_fields=('sentence',)),
    GlueTask('mrpc', 'MRPC', 'MrpcProcessor', has_header=True, text_a=3,
             text_b=4, label=0, labels=_BINARY,
             tfds_fields=('sentence1', 'sentence2'),
             metrics=('f1', 'accuracy')),
    GlueTask('qqp', 'QQP', 'QqpProcessor', has_header=True, text_a=3,
             text_b=4, label=5, labels=_BINARY,
             tfds_fields=('question1', 'question2'),
             metrics=('f1', 'accuracy')),
    GlueTask('stsb', 'STS-B', 'StsBProcessor', has_header=True, text_a=7,
             text_b=8, label=9, labels=None,
             tfds_fields=('sentence1', 'sentence2'),
             metrics=('pearson', 'spearman'), paper_metric='spearman'),
    GlueTask('mnli', 'MNLI', 'MnliProcessor', has_header=True, text_a=8,
             text_b=9, label=-1,
             labels=('contradiction', 'entailment', 'neutral'),
             tfds_fields=('premise', 'hypothesis'),
             paper_metric='accuracy_m',
             dev_files=(('m', 'dev_matched.tsv'),
                        ('mm', 'dev_mismatched.tsv')),
             tfds_splits=(('m', 'validation_matched'),
                          ('mm', 'validation_mismatched'))),
    GlueTask('qnli', 'QNLI', 'QnliProcessor', has_header=True, text_a=1,
             text_b=2, label=3, labels=_NLI2,
             tfds_fields=('question', 'sentence')),
    GlueTask('rte', 'RTE', 'RteProcessor', has_header=True, text_a=1,
             text_b=2, label=3, labels=_NLI2,
             tfds_fields=('sentence1', 'sentence2')),
    GlueTask('wnli', 'WNLI', 'WnliProcessor', has_header=True, text_a=1,
             text_b=2, label=3, labels=_BINARY,
             tfds_fields=('sentence1', 'sentence2')),
]}

# Tasks left out of the GLUE average (BERT/ELECTRA/TEAMS exclude WNLI).
EXCLUDED_FROM_AVERAGE = ('wnli',)
GLUE_ORDER = ('cola', 'sst2', 'mrpc', 'stsb', 'qqp', 'mnli', 'qnli', 'rte',
              'wnli')


@dataclasses.dataclass(frozen=True)
class SquadTask:
  """One SQuAD version."""
  version: str                # 'v1.1' | 'v2.0'
  train_file: str
  dev_file: str
  version_2_with_negative: bool
  metrics: Tuple[str, ...] = ('exact_match', 'f1')
  paper_metric: str = 'f1'

  @property
  def name(self) -> str:
    return self.version

  @property
  def slug(self) -> str:
    return 'squad_' + self.version.replace('.', '')

  def metric_keys(self):
    return list(self.metrics)


SQUAD_TASKS: Dict[str, SquadTask] = {
    'v1.1': SquadTask('v1.1', 'train-v1.1.json', 'dev-v1.1.json', False),
    'v2.0': SquadTask('v2.0', 'train-v2.0.json', 'dev-v2.0.json', True),
}


def task_score(task, metrics: Dict[str, float],
               splits: Optional[Tuple[str, ...]] = None) -> float:
  """The GLUE-convention score of one run (SQuAD: F1).

  Args:
    task: `GlueTask` or `SquadTask`.
    metrics: `{metric_key(metric, split): value}`.
    splits: the eval splits to average over; default all of the task's dev
      files, `('',)` for metrics of one dev file without split suffixes (a
      multi-task run's validation of a GLUE task).
  """
  if isinstance(task, SquadTask):
    return metrics['f1']
  if splits is None:
    splits = tuple(split for split, _ in task.dev_files)
  values = [metrics[metric_key(m, split)] for split in splits
            for m in task.metrics]
  return sum(values) / len(values)


def is_glue(task) -> bool:
  return isinstance(task, GlueTask)


def full_name(task) -> str:
  """`glue/<task>`, `superglue/<task>` or `squad/<version>`."""
  return (task.prefix if is_glue(task) else SQUAD_PREFIX) + task.name
