"""SuperGLUE task catalogue: files, fields, labels, metrics, submission names.

Every task is a `SuperGlueTask`, a `glue_tasks.GlueTask` (so the runner
fine-tunes it with Model Garden's `SentencePredictionTask`, a classifier on
`[CLS]`) whose examples come from the official JSONL layout
(`<data_dir>/<Task>/train.jsonl`, `val.jsonl`, `test.jsonl`) or a prepared
TFDS `super_glue/<name>`. How a JSONL record becomes classifier examples is
the task's `reader` (`superglue_data.READERS`); how classifier outputs become
task predictions is its `decoder` (`superglue_eval.DECODERS`):

  boolq, cb, rte, axb, axg  sentence pair -> label (Model Garden's BoolQ, CB,
                            RTE and AX-g processors' label sets)
  wic                       Model Garden's WiC featurisation (s1, s2, word)
  wsc                       span pair: the text with span1 marked `*...*`
                            and span2 `~...~` (second segment "Does span2
                            refer to span1?"), classified by a span-pair head
                            on the markers' states (`span_pair_task`)
  multirc                   one binary example per answer, grouped by
                            question for exact match
  copa, record              candidate ranking: one example per choice /
                            entity, the highest P(correct) wins

Metrics are the benchmark's (Wang et al. 2019): CB accuracy and macro F1,
MultiRC F1 over all answers (F1a) and per-question exact match, ReCoRD
max-over-gold-answers token F1 and EM, AX-b/AX-g Matthews correlation,
accuracy otherwise; the task score is the mean of its metrics and the
SuperGLUE average is over the eight tasks (diagnostics excluded). AX-b and
AX-g are diagnostics: their model is trained on RTE (`train_task`).
"""

import dataclasses
from typing import Dict, Optional, Tuple

from official_ext.finetuning import glue_tasks

SUPERGLUE_PREFIX = 'superglue/'
_BINARY = ('0', '1')
_BOOL = ('False', 'True')


@dataclasses.dataclass(frozen=True)
class SuperGlueTask(glue_tasks.GlueTask):
  """One SuperGLUE task (GlueTask's TSV fields are unused).

  Attributes (beyond GlueTask's):
    title: the benchmark's name (`BoolQ`), its folder and submission file.
    reader: key of `superglue_data.READERS` (record -> examples).
    decoder: key of `superglue_eval.DECODERS` (outputs -> predictions).
    train_task: the task whose train file trains the model (diagnostics).
    eval_file: the labelled evaluation file in the task folder.
    test_file: the unlabelled test file (leaderboard predictions).
    diagnostic: AX-b / AX-g (left out of the SuperGLUE average).
  """
  title: str = ''
  reader: str = 'pair'
  decoder: str = 'classify'
  train_task: Optional[str] = None
  eval_file: str = 'val.jsonl'
  test_file: str = 'test.jsonl'
  diagnostic: bool = False

  @property
  def slug(self) -> str:
    return 'superglue_' + self.name

  @property
  def prefix(self) -> str:
    return SUPERGLUE_PREFIX

  @property
  def submission_file(self) -> str:
    return f'{self.title}.jsonl'

  @property
  def tfds_name(self) -> str:
    return f'super_glue/{self.name}'


def _task(name, title, labels, fields, mg_processor='', **kwargs):
  return SuperGlueTask(
      name=name, glue_dir=title, title=title, mg_processor=mg_processor,
      has_header=False, text_a=0, text_b=1, label=2, labels=labels,
      tfds_fields=fields, **kwargs)


def _mg_labels(processor_name: str) -> Tuple[str, ...]:
  """The label list of a Model Garden classifier_data_lib processor."""
  from official.nlp.data import classifier_data_lib  # pylint: disable=g-import-not-at-top
  return tuple(getattr(classifier_data_lib, processor_name)().get_labels())


_NLI = _mg_labels('SuperGLUERTEProcessor')  # entailment, not_entailment

SUPERGLUE_TASKS: Dict[str, SuperGlueTask] = {t.name: t for t in [
    _task('boolq', 'BoolQ', _mg_labels('BoolQProcessor'),
          ('question', 'passage'), 'BoolQProcessor'),
    _task('cb', 'CB', _mg_labels('CBProcessor'), ('premise', 'hypothesis'),
          'CBProcessor', metrics=('accuracy', 'f1_macro')),
    _task('copa', 'COPA', _BINARY, ('premise', 'choice1', 'choice2'),
          reader='copa', decoder='choice'),
    _task('multirc', 'MultiRC', _BINARY, ('paragraph', 'question', 'answer'),
          reader='multirc', decoder='multirc', metrics=('f1a', 'exact_match'),
          paper_metric='f1a'),
    _task('record', 'ReCoRD', _BINARY, ('passage', 'query'), reader='record',
          decoder='record', metrics=('f1', 'exact_match'),
          paper_metric='f1'),
    _task('rte', 'RTE', _NLI, ('premise', 'hypothesis'),
          'SuperGLUERTEProcessor'),
    _task('wic', 'WiC', _BOOL, ('sentence1', 'sentence2', 'word'),
          'WiCProcessor', reader='wic'),
    _task('wsc', 'WSC', _BOOL, ('text',), reader='wsc'),
    _task('axb', 'AX-b', _NLI, ('sentence1', 'sentence2'),
          reader='pair', train_task='rte', eval_file='AX-b.jsonl',
          test_file='AX-b.jsonl', diagnostic=True, metrics=('mcc',),
          paper_metric='mcc'),
    _task('axg', 'AX-g', _mg_labels('AXgProcessor'),
          ('premise', 'hypothesis'), 'AXgProcessor', train_task='rte',
          eval_file='AX-g.jsonl', test_file='AX-g.jsonl', diagnostic=True,
          metrics=('mcc',), paper_metric='mcc'),
]}
SUPERGLUE_ORDER = tuple(SUPERGLUE_TASKS)


def is_superglue(task) -> bool:
  return isinstance(task, SuperGlueTask)


def parse(name: str) -> Optional[SuperGlueTask]:
  """`superglue/<task>` -> the task, or None when not a SuperGLUE name."""
  if name.startswith(SUPERGLUE_PREFIX):
    return SUPERGLUE_TASKS.get(name[len(SUPERGLUE_PREFIX):])
  return None


def known_names():
  return [SUPERGLUE_PREFIX + t for t in SUPERGLUE_ORDER]
