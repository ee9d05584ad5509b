"""One registry of the auxiliary-task heads, by task name.

  @register('tf_idf')
  class TfIdfHead(AuxHead): ...

  registry.get('tf_idf')                    # -> TfIdfHead
  registry.build('tf_idf', hidden_size=768) # -> TfIdfHead(hidden_size=768)

Names are the paper's, lower-cased; olfmlm's code names differ for six tasks
(`OLFMLM_NAMES`). Constructor arguments differ by family: token heads take
`hidden_size` (SBO instead takes `embedding_table`), sentence heads none
beyond `initializer`, QT/FS `hidden_size`.
"""

from official_ext.modeling.heads.base import AuxHead  # pylint: disable=unused-import
from official_ext.modeling.heads.base import check_features  # pylint: disable=unused-import

TOKEN_TASKS = ('tf', 'tf_idf', 'sbo', 'tgs', 'tcp', 'cap', 'tlp')
SENTENCE_TASKS = ('nsp', 'asp', 'so', 'sdp', 'scp')
PAIR_TASKS = ('qt', 'fs')  # need the 2B-row consecutive-pair batch layout
ALL_TASKS = TOKEN_TASKS + SENTENCE_TASKS + PAIR_TASKS
# olfmlm code name -> our name (the other eight are the same).
OLFMLM_NAMES = {'tc': 'tcp', 'wlen': 'tlp', 'psp': 'asp', 'sd': 'sdp',
                'sc': 'scp', 'rg': 'qt'}

_REGISTRY = {}


def register(name):
  """Class decorator: registers an AuxHead subclass under `name`.

  Sets `cls.task_name = name`. Registering a second class under a taken name
  raises ValueError.
  """
  def decorator(cls):
    old = _REGISTRY.get(name)
    if old is not None and old is not cls:
      raise ValueError(f'Auxiliary head name {name!r} is already registered '
                       f'to {old.__module__}.{old.__qualname__}.')
    cls.task_name = name
    _REGISTRY[name] = cls
    return cls
  return decorator


def names():
  """The registered task names, sorted."""
  _load()
  return tuple(sorted(_REGISTRY))


def get(name):
  """The head class registered under `name`; ValueError if unknown."""
  _load()
  if name not in _REGISTRY:
    hint = ''
    if name in OLFMLM_NAMES:
      hint = f" (olfmlm's {name!r} is {OLFMLM_NAMES[name]!r} here)"
    raise ValueError(f'Unknown auxiliary task {name!r}{hint}; known: '
                     f'{", ".join(sorted(_REGISTRY))}.')
  return _REGISTRY[name]


def build(name, **kwargs):
  """`get(name)(**kwargs)`."""
  return get(name)(**kwargs)


def _load():
  """Imports the head modules so that their classes are registered."""
  # pylint: disable=g-import-not-at-top,unused-import
  from official_ext.modeling.heads import contrastive_heads
  from official_ext.modeling.heads import sentence_heads
  from official_ext.modeling.heads import token_heads
