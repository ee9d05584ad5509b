"""Continued pretraining: starts a new run's trunk(s) from an encoder.

`Experiment.init_checkpoint` (`--init_checkpoint`) names our export layout
(`official_ext.export`, `official_ext.import_checkpoint`) or anything
`official_ext.interchange.formats` reads (an HF directory, a TF1 BERT or
ELECTRA checkpoint, a TF Hub SavedModel). `runner.run` calls `apply` only
when model_dir holds no checkpoint, so a resumed run restores model_dir
(step, weights, optimizer slots), never the init checkpoint.

What is restored, after these checks (each a `WarmStartError` naming both
sides): the trunk's shape (layers, widths, heads, vocab, positions) and
hidden activation equal the gin config's (`SIZE = 'init_checkpoint'` takes
the checkpoint's, `register_size`; e.g. an HF BERT's exact GELU); the
checkpoint's `vocab.txt` is the records' vocab
(sha256) and its casing the manifest's `do_lower_case`.

  * the trunk: the BERT-MLM encoder or the ELECTRA/TEAMS discriminator;
  * the generator: from `Experiment.init_generator_checkpoint` when given;
    otherwise its layers shared with the discriminator come along, and its
    own layers copy the discriminator's layers of the same index when the
    widths agree (TEAMS), or stay random (ELECTRA's narrow generator);
  * everything else (heads, pooler or task embedding the source lacks,
    optimizer slots, step) is initialised as usual and listed in one log
    line.
"""

import dataclasses
from typing import List

from absl import logging

from official_ext.interchange import encoder_export
from official_ext.interchange import encoder_variables
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import formats
from official_ext.interchange import hf_format
from official_ext.interchange import model_garden_names as names
from official_ext.modeling import activations
from official_ext.modeling.models import size_presets
from official_ext.trainer import data_setup
from tfrecords_tools.s2_tokens import vocab as vocab_lib


class WarmStartError(ValueError):
  """The init checkpoint does not fit the configured run."""


@dataclasses.dataclass
class WarmStart:
  """What `apply` did: the restored variable count and the model parts
  initialised as usual."""
  restored: int
  initialised: List[str]


def _trunk_config(task):
  model_config = getattr(task, 'model_config', None)
  if model_config is not None:
    return dataclasses.asdict(model_config.trunk_config)
  return dataclasses.asdict(task.task_config.model.encoder.get())


def _generator_config(task):
  config = getattr(task, 'model_config', None)
  config = getattr(config, 'pretrainer', None) or config
  generator = getattr(config, 'generator', None)
  return dataclasses.asdict(generator) if generator is not None else None


def _networks(model):
  """(trunk, generator or None) of a pretrainer."""
  base = getattr(model, 'base_model', model)
  trunk = getattr(base, 'discriminator_network', None) or getattr(
      base, 'encoder_network')
  return trunk, getattr(base, 'generator_network', None)


_CHECKED_FIELDS = ew.SHAPE_FIELDS + ('hidden_activation',)


def _shape(fields):
  out = {k: fields.get(k) for k in _CHECKED_FIELDS}
  out['embedding_size'] = out['embedding_size'] or out['hidden_size']
  out['hidden_activation'] = str(out['hidden_activation'] or
                                 activations.GELU_TANH).lower()
  return out


def check_shape(source: ew.EncoderWeights, config_fields: dict,
                role: str = 'trunk') -> None:
  """The checkpoint's encoder shape and activation must be the gin
  config's."""
  theirs, ours = _shape(source.fields), _shape(config_fields)
  differ = [k for k in _CHECKED_FIELDS if theirs[k] != ours[k]]
  if differ:
    raise WarmStartError(
        f'init checkpoint {source.source} has ' +
        ', '.join(f'{k}={theirs[k]}' for k in differ) + f' but the gin '
        f'config builds the {role} with ' +
        ', '.join(f'{k}={ours[k]}' for k in differ) +
        f' ({_matching_size(theirs, "hidden_activation" in differ)})')


def _matching_size(shape, other_activation=False):
  """A hint: the size preset of the checkpoint's shape, if there is one
  (presets use Model Garden's 'gelu': none fits another activation)."""
  key = tuple(shape[k] for k in ('num_layers', 'hidden_size',
                                 'embedding_size', 'num_attention_heads',
                                 'intermediate_size'))
  for name, preset in size_presets.DISCRIMINATOR_SIZES.items():
    if (tuple(preset) == key and name != size_presets.CHECKPOINT_SIZE and
        not other_activation):
      return (f"bind SIZE = '{name}' and MAX_SEQ_LENGTH = "
              f"{shape['max_position_embeddings']}")
  return (f"bind SIZE = '{size_presets.CHECKPOINT_SIZE}' (it takes the "
          "checkpoint's shape, positions and activation)")


def check_tokenizer(source: ew.EncoderWeights, data) -> List[str]:
  """Vocab (sha256) and casing must be the records'; returns what could not
  be checked."""
  unchecked = []
  if source.vocab_file and data.vocab_file:
    try:
      theirs = vocab_lib.load_vocab(source.vocab_file)
      ours = vocab_lib.load_vocab(data.vocab_file)
    except vocab_lib.VocabError as e:
      raise WarmStartError(f'init checkpoint: {e}') from e
    if theirs.sha256 != ours.sha256:
      raise WarmStartError(
          f'init checkpoint vocab {source.vocab_file} ({len(theirs.tokens)} '
          f'tokens, sha256 {theirs.sha256[:12]}) is not the vocab of the '
          f'records {data.source} ({data.vocab_file}, {len(ours.tokens)} '
          f'tokens, sha256 {ours.sha256[:12]}); build the records with the '
          'checkpoint\'s vocab.txt')
  else:
    unchecked.append('vocab')
  casing = data_setup.manifest_casing(data)
  if source.do_lower_case is not None and casing is not None:
    if bool(source.do_lower_case) != bool(casing):
      raise WarmStartError(
          f'init checkpoint {source.source} has do_lower_case='
          f'{source.do_lower_case} but the records {data.source} were built '
          f'with do_lower_case={casing}')
  else:
    unchecked.append('casing')
  return unchecked


def _read(path: str) -> ew.EncoderWeights:
  try:
    return formats.read(path)
  except ew.InterchangeError as e:
    raise WarmStartError(f'init checkpoint: {e}') from e


def register_size(path: str) -> None:
  """Lets gin say `SIZE = 'init_checkpoint'`: the preset of that name takes
  the shape, positions included, and the activation in the config of
  `path` (our export's encoder_config.json or an
  HF config.json; other formats: import them first). Silently does nothing
  when there is no such config (a size naming it is then unknown)."""
  fields = None
  if export_layout.is_export_dir(path):
    fields = encoder_export.load_encoder_config(path)
  elif hf_format.is_hf_dir(path):
    fields = hf_format.read_fields(path)
  if fields:
    size_presets.register_checkpoint_size(
        fields['num_layers'], fields['hidden_size'],
        fields.get('embedding_size') or fields['hidden_size'],
        fields['num_attention_heads'], fields['intermediate_size'],
        fields.get('max_position_embeddings'),
        fields.get('hidden_activation') or activations.GELU_TANH)


def _generator_layers(trunk_weights, gen_fields, trunk_fields):
  """The discriminator's lower layers for the generator's own layers, when
  the widths agree (else none)."""
  same_width = all(gen_fields[k] == trunk_fields[k] for k in (
      'hidden_size', 'intermediate_size', 'num_attention_heads'))
  if not same_width:
    return {}
  return {k: v for k, v in trunk_weights.items()
          if k.startswith('layer_') and
          int(k.split('/')[0][len('layer_'):]) < gen_fields['num_layers']}


def apply(trainer, exp) -> WarmStart:
  """Warm-starts `trainer.model` from `exp.init_checkpoint` (docstring)."""
  task, model = trainer.task, trainer.model
  source = _read(exp.init_checkpoint)
  trunk_fields = _trunk_config(task)
  check_shape(source, trunk_fields)
  unchecked = check_tokenizer(source, exp.train_data or exp.eval_data)
  trunk, generator = _networks(model)
  try:
    ew.check(source)
    encoder_variables.assign(trunk, source.weights, source.source)
    restored = encoder_variables.assigned_ids(trunk, source.weights)
    trunk_ids = {id(v) for v in trunk.weights}
    if generator is not None:
      gen_fields = _generator_config(task)
      if exp.init_generator_checkpoint:
        gen_source = _read(exp.init_generator_checkpoint)
        check_shape(gen_source, gen_fields, role='generator')
        gen_weights = gen_source.weights
      else:
        gen_weights = _generator_layers(source.weights, gen_fields,
                                        trunk_fields)
      encoder_variables.assign(generator, gen_weights, source.source,
                               skip=trunk_ids)
      restored |= encoder_variables.assigned_ids(generator, gen_weights,
                                                 skip=trunk_ids)
  except ew.InterchangeError as e:
    raise WarmStartError(f'init checkpoint: {e}') from e
  gen_ids = ({id(v) for v in generator.weights} - trunk_ids
             if generator is not None else set())
  initialised = sorted({
      ('generator ' if id(v) in gen_ids else '') + _part(v.name, model.name)
      for v in model.weights if id(v) not in restored})
  logging.info(
      'warm start from %s: %d variables restored; initialised as usual '
      '(not in the checkpoint): %s, optimizer slots%s', source.source,
      len(restored), ', '.join(initialised) or 'nothing',
      f'; not checked (the checkpoint does not say): {unchecked}'
      if unchecked else '')
  return WarmStart(len(restored), initialised)


def _part(name: str, model_name: str) -> str:
  """A readable model part from a variable name (its outer scope below the
  model's)."""
  name = names.strip_suffix(name)
  if name.startswith(model_name + '/'):
    name = name[len(model_name) + 1:]
  return name.split('/')[0]
