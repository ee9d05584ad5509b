"""Task names -> tasks, across the catalogues.

  glue/<task>        `glue_tasks.GLUE_TASKS`
  superglue/<task>   `superglue_tasks` (its tasks extend `glue_tasks.GlueTask`)
  squad/<version>    `glue_tasks.SQUAD_TASKS`

The one module that knows every catalogue, so that the GLUE catalogue does
not import the SuperGLUE one that builds on it.
"""

from official_ext.finetuning import glue_tasks
from official_ext.finetuning import superglue_tasks


def parse_task(name: str):
  """`glue/<task>`, `superglue/<task>` or `squad/<version>` -> the task.

  Raises:
    glue_tasks.TaskError: an unknown name (the message lists the known ones).
  """
  name = name.strip()
  superglue = superglue_tasks.parse(name)
  if superglue is not None:
    return superglue
  glue, squad = glue_tasks.GLUE_PREFIX, glue_tasks.SQUAD_PREFIX
  if name.startswith(glue) and name[len(glue):] in glue_tasks.GLUE_TASKS:
    return glue_tasks.GLUE_TASKS[name[len(glue):]]
  if name.startswith(squad) and name[len(squad):] in glue_tasks.SQUAD_TASKS:
    return glue_tasks.SQUAD_TASKS[name[len(squad):]]
  known = ([glue + t for t in glue_tasks.GLUE_ORDER] +
           superglue_tasks.known_names() +
           [squad + v for v in glue_tasks.SQUAD_TASKS])
  raise glue_tasks.TaskError(f'--task: unknown task {name!r}; choose from '
                             f'{", ".join(known)} (comma-separate several)')
