"""gin names of multi-task training (files in `gin/multitask/`).

  TaskSpec          task_spec.TaskSpec (scope it per task: `sst2/TaskSpec`)
  TrainerConfig     multitask_trainer.TrainerConfig (scope it per stage)
  Stage             pipeline.Stage
  FinetuneTarget    pipeline.FinetuneTarget
  MultiTaskRun      `multitask_run` below: the top level the CLI calls

Import this module before parsing the gin files (`official_ext.prefinetune`
does).
"""

import dataclasses
from typing import Optional, Sequence

import gin

from official_ext.multitask import multitask_trainer
from official_ext.multitask import pipeline
from official_ext.multitask import task_spec

TaskSpec = gin.external_configurable(task_spec.TaskSpec, 'TaskSpec')
TrainerConfig = gin.external_configurable(multitask_trainer.TrainerConfig,
                                          'TrainerConfig')
Stage = gin.external_configurable(pipeline.Stage, 'Stage')
FinetuneTarget = gin.external_configurable(pipeline.FinetuneTarget,
                                           'FinetuneTarget')


@dataclasses.dataclass
class MultiTaskRun:
  """Everything the prefinetune CLI runs (see `pipeline.run_pipeline`)."""
  stages: Sequence[pipeline.Stage]
  vocab_file: str
  init_checkpoint: str = ''
  encoder_size: str = 'tiny'
  max_seq_length: int = 128
  target: Optional[pipeline.FinetuneTarget] = None


@gin.configurable('MultiTaskRun')
def multitask_run(stages=gin.REQUIRED, vocab_file=gin.REQUIRED,
                  init_checkpoint='', encoder_size='tiny',
                  max_seq_length=128, target=None) -> MultiTaskRun:
  """The configured run."""
  return MultiTaskRun(list(stages), vocab_file, init_checkpoint,
                      encoder_size, max_seq_length, target)
