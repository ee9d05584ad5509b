"""Which pretraining losses are on at each step: the Schedule base and the
deterministic olfmlm combinations (sum, inc, alt, alt+).

A schedule maps a train step to a float32 `[num_tasks]` vector of loss weights
(1.0 on, 0.0 off), in the order of its `tasks`. It is a `tf.Module`; its state
is in `tf.Variable`s, so put it in the trainer's `tf.train.Checkpoint` and a
resumed run continues exactly. Call `weights(step, num_tokens)` ONCE per train
step, inside or outside `tf.function`:
  step:       int scalar tensor, the optimizer's iterations before the update
              (0 on the first step).
  num_tokens: int (or float) scalar tensor, the non-padding tokens of the
              GLOBAL batch (sum of input_mask); needed when unit='tokens'.
Create the schedule under the strategy's scope; its variables aggregate
ONLY_FIRST_REPLICA, so every replica must see the same step and num_tokens.

Methods here (olfmlm pretrain_bert.py; CMTL is in `continual.py`):
  sum   every step: every token-level task + ONE sentence-level task, cycled
        by step over the sentence tasks (step mod count).
  inc   task k (0-based, in `tasks` order) joins at epoch k, an epoch being
        `epoch_budget` steps or tokens; the sum rule over the joined tasks.
        Token epochs count cumulative tokens before the step (the step that
        crosses a boundary belongs to the earlier epoch; no overshoot is
        dropped, unlike olfmlm, whose per-epoch counter restarts at 0).
  alt   step s trains tasks[s mod n] only.
  alt+  step s trains the base task + aux[s mod N] (aux = tasks without the
        base, in order). olfmlm restarts the cycle at each log interval; we
        do not.
Which tasks are sentence-level is the caller's call (olfmlm treats QT/FS as
token-level); only sum and inc use it.
"""

from typing import Callable, Collection, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import tensorflow as tf

UNITS = ('steps', 'tokens')
SentenceTasks = Union[Collection[str], Callable[[str], bool]]


def _state_variable(initial, name):
  return tf.Variable(initial, dtype=tf.int64, trainable=False, name=name,
                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


class Schedule(tf.Module):
  """Base: validated task list, unit accounting, simulation and logging.

  Args:
    tasks: task names; the weight vector follows this order (and inc/alt/
      cmtl introduce tasks in this order).
    base_task: the main objective (e.g. 'mlm'); must be in `tasks`. Methods
      that keep it on every step (sum, alt+, cmtl+) refuse None.
    sentence_tasks: names (a superset is fine) or a predicate telling which
      tasks are sentence-level.
    unit: 'steps' or 'tokens': what budgets and `units_seen` count.
  """

  method = ''
  needs_base_task = False

  def __init__(self, tasks: Sequence[str], base_task: Optional[str] = 'mlm',
               sentence_tasks: SentenceTasks = (), unit: str = 'steps',
               name: Optional[str] = None):
    super().__init__(name=name or self.method.replace('+', '_plus'))
    if isinstance(tasks, str) or not tasks:
      raise ValueError(f'{self.method}: tasks must be a non-empty list of '
                       f'names, got {tasks!r}.')
    tasks = tuple(tasks)
    duplicates = sorted({t for t in tasks if tasks.count(t) > 1})
    if duplicates:
      raise ValueError(f'{self.method}: tasks={list(tasks)} names '
                       f'{duplicates} more than once; list each task once.')
    if base_task is None and self.needs_base_task:
      raise ValueError(f'{self.method} keeps base_task on every step: set '
                       'base_task (e.g. "mlm").')
    if base_task is not None and base_task not in tasks:
      raise ValueError(f'{self.method}: base_task={base_task!r} is not in '
                       f'tasks={list(tasks)}; add it or fix base_task.')
    if unit not in UNITS:
      raise ValueError(f'{self.method}: unit={unit!r}; choose one of {UNITS}.')
    is_sentence = (sentence_tasks if callable(sentence_tasks)
                   else set(sentence_tasks).__contains__)
    self._tasks, self._base_task, self._unit = tasks, base_task, unit
    self._sentence = tuple(t for t in tasks if is_sentence(t))
    if base_task is not None and base_task in self._sentence:
      raise ValueError(f'{self.method}: base_task={base_task!r} is listed in '
                       'sentence_tasks; the base task is token-level.')
    self.units_seen = _state_variable(0, 'units_seen')

  # -- description ---------------------------------------------------------
  @property
  def tasks(self) -> Tuple[str, ...]:
    return self._tasks

  @property
  def num_tasks(self) -> int:
    return len(self._tasks)

  @property
  def base_task(self) -> Optional[str]:
    return self._base_task

  @property
  def sentence_tasks(self) -> Tuple[str, ...]:
    return self._sentence

  @property
  def unit(self) -> str:
    return self._unit

  @property
  def aux_tasks(self) -> Tuple[str, ...]:
    return tuple(t for t in self._tasks if t != self._base_task)

  def get_config(self) -> Dict:
    return dict(tasks=list(self._tasks), base_task=self._base_task,
                sentence_tasks=list(self._sentence), unit=self._unit,
                name=self.name)

  @classmethod
  def from_config(cls, config: Dict) -> 'Schedule':
    return cls(**config)

  def describe(self) -> str:
    """One-line plan summary for logs."""
    raise NotImplementedError

  def state(self) -> Dict[str, tf.Tensor]:
    """Current state, for summaries (names are the variables')."""
    return {'units_seen': self.units_seen.read_value()}

  # -- per-step weights ----------------------------------------------------
  def weights(self, step, num_tokens=None) -> tf.Tensor:
    """float32 `[num_tasks]` loss weights for `step`; advances the state."""
    step = tf.cast(step, tf.int64)
    units = self._units(num_tokens)
    out = self._weights(step, units)
    self.units_seen.assign_add(units)
    return out

  def _weights(self, step: tf.Tensor, units: tf.Tensor) -> tf.Tensor:
    raise NotImplementedError

  def _units(self, num_tokens) -> tf.Tensor:
    if self._unit == 'steps':
      return tf.constant(1, tf.int64)
    if num_tokens is None:
      raise ValueError(f'{self.method} counts tokens (unit="tokens"): pass '
                       'num_tokens, the non-padding tokens of the batch.')
    num_tokens = tf.convert_to_tensor(num_tokens)
    if num_tokens.dtype.is_floating:
      num_tokens = tf.round(num_tokens)
    return tf.cast(num_tokens, tf.int64)

  def _one_hot(self, index) -> tf.Tensor:
    return tf.one_hot(index, self.num_tasks, dtype=tf.float32)

  def _sum_rule(self, step: tf.Tensor, num_joined) -> tf.Tensor:
    """Tasks[:num_joined]: every token task + one sentence task by step."""
    n = self.num_tasks
    joined = tf.range(n, dtype=tf.int64) < tf.cast(num_joined, tf.int64)
    is_sentence = tf.constant([t in self._sentence for t in self._tasks])
    ranks = [self._sentence.index(t) if t in self._sentence else -1
             for t in self._tasks]
    count = tf.reduce_sum(tf.cast(joined & is_sentence, tf.int64))
    chosen = tf.math.floormod(step, tf.maximum(count, 1))
    sentence_on = (joined & is_sentence
                   & tf.equal(tf.constant(ranks, tf.int64), chosen))
    return tf.cast((joined & ~is_sentence) | sentence_on, tf.float32)

  # -- simulation (eager only) ---------------------------------------------
  def simulate_weights(self, num_steps: int, tokens_per_step=None,
                       start_step: int = 0) -> np.ndarray:
    """`[num_steps, num_tasks]` weights of the next steps, from the current
    state, run through the TF path on a copy (this schedule is untouched).

    tokens_per_step: an int or one int per step (unit='tokens'; default 1).
    """
    clone = type(self).from_config(self.get_config())
    for source, target in zip(self.variables, clone.variables):
      target.assign(source)
    tokens = np.broadcast_to(
        np.asarray(1 if tokens_per_step is None else tokens_per_step,
                   np.int64), [num_steps])

    @tf.function(autograph=True)
    def run(tokens):
      out = tf.TensorArray(tf.float32, size=num_steps)
      for i in tf.range(num_steps):
        out = out.write(i, clone.weights(start_step + tf.cast(i, tf.int64),
                                         tokens[i]))
      return out.stack()

    return run(tf.constant(tokens)).numpy().reshape([num_steps,
                                                     self.num_tasks])

  def simulate(self, num_steps: int, tokens_per_step=None,
               start_step: int = 0) -> List[Tuple[str, ...]]:
    """Active task names for each of the next steps (see simulate_weights)."""
    return [self.active(w) for w in
            self.simulate_weights(num_steps, tokens_per_step, start_step)]

  def active(self, weights) -> Tuple[str, ...]:
    """Names whose weight is non-zero, in task order."""
    return tuple(t for t, w in zip(self._tasks, np.asarray(weights)) if w)

  def _sentence_note(self, names: Sequence[str]) -> str:
    token = [t for t in names if t not in self._sentence]
    sentence = [t for t in names if t in self._sentence]
    text = ' + '.join(token)
    if len(sentence) == 1:
      text += f' + {sentence[0]}'
    elif sentence:
      text += f' + one of [{", ".join(sentence)}] (step mod {len(sentence)})'
    return text


class SumSchedule(Schedule):
  """sum: every token task + one sentence task (cycled by step) each step."""

  method = 'sum'
  needs_base_task = True

  def _weights(self, step, units):
    return self._sum_rule(step, self.num_tasks)

  def describe(self) -> str:
    return f'sum: every step {self._sentence_note(self._tasks)}'


class IncSchedule(Schedule):
  """inc: task k joins at epoch k (`epoch_budget` units); sum rule over the
  joined tasks. Args as `Schedule`, plus `epoch_budget` (int > 0)."""

  method = 'inc'

  def __init__(self, tasks: Sequence[str], epoch_budget: int,
               base_task: Optional[str] = 'mlm',
               sentence_tasks: SentenceTasks = (), unit: str = 'steps',
               name: Optional[str] = None):
    super().__init__(tasks, base_task, sentence_tasks, unit, name)
    if isinstance(epoch_budget, float) and epoch_budget.is_integer():
      epoch_budget = int(epoch_budget)
    if (isinstance(epoch_budget, bool) or not isinstance(epoch_budget, int)
        or epoch_budget < 1):
      raise ValueError(f'inc: epoch_budget={epoch_budget!r} must be a whole '
                       f'number of {unit} >= 1.')
    self._epoch_budget = epoch_budget

  @property
  def epoch_budget(self) -> int:
    return self._epoch_budget

  def get_config(self):
    return dict(super().get_config(), epoch_budget=self._epoch_budget)

  def _weights(self, step, units):
    position = step if self._unit == 'steps' else self.units_seen.read_value()
    epoch = tf.math.floordiv(position, self._epoch_budget)
    return self._sum_rule(step, epoch + 1)

  def describe(self) -> str:
    joins = ', '.join(f'{t} from {k * self._epoch_budget}'
                      for k, t in enumerate(self._tasks))
    return (f'inc: epoch = {self._epoch_budget} {self._unit}; {joins} '
            f'{self._unit}; joined tasks summed '
            f'({self._sentence_note(self._tasks)} once all joined)')


class AltSchedule(Schedule):
  """alt: step s trains tasks[s mod n] only."""

  method = 'alt'

  def _weights(self, step, units):
    return self._one_hot(tf.math.floormod(step, self.num_tasks))

  def describe(self) -> str:
    return (f'alt: step s trains [{", ".join(self._tasks)}]'
            f'[s mod {self.num_tasks}] only')


class AltPlusSchedule(Schedule):
  """alt+: step s trains the base task + aux[s mod N]."""

  method = 'alt+'
  needs_base_task = True

  def __init__(self, tasks: Sequence[str], base_task: Optional[str] = 'mlm',
               sentence_tasks: SentenceTasks = (), unit: str = 'steps',
               name: Optional[str] = None):
    super().__init__(tasks, base_task, sentence_tasks, unit, name)
    if not self.aux_tasks:
      raise ValueError(f'alt+: tasks={list(self._tasks)} has no task besides '
                       f'base_task={base_task!r}; add auxiliary tasks.')

  def _weights(self, step, units):
    aux_index = tf.constant([self._tasks.index(t) for t in self.aux_tasks],
                            tf.int64)
    pick = tf.gather(aux_index, tf.math.floormod(step, len(aux_index)))
    return self._one_hot(pick) + self._one_hot(
        self._tasks.index(self._base_task))

  def describe(self) -> str:
    aux = self.aux_tasks
    return (f'alt+: step s trains {self._base_task} + '
            f'[{", ".join(aux)}][s mod {len(aux)}]')
