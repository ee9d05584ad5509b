"""Where the encoder comes from: its config, checkpoint, vocab and a fit check.

Two kinds of `--init_checkpoint`:
  * our export directory (`encoder_export.export_pretrainer`): it holds
    `encoder_config.json` and `encoder/ckpt-*`; the encoder is rebuilt as
    `EncoderConfig(type='any', any=TeamsEncoderConfig(...))`. The `encoder/`
    folder or a `ckpt-N` prefix inside it works too.
  * any other `tf.train.Checkpoint(encoder=...)` (e.g. Model Garden's BERT
    checkpoints) plus `--encoder_config_file`: a JSON of Model Garden
    `BertEncoderConfig` fields, a full `EncoderConfig` (`{"type": ...}`), or
    a Google-BERT `bert_config.json` (`num_hidden_layers`, ...). Plain
    fields build `--encoder_type` (`bert`: `BertEncoder`, `teams`: ours).

`check_checkpoint_fits` walks the checkpoint's object graph alongside the
model's encoder (as restoring does) and fails before training when a
variable's shape differs, naming the variable, its checkpoint key and both
shapes, or when either side has variables the other lacks (e.g. a different
`num_layers`), which Model Garden's partial restore would silently accept.
"""

import copy
import dataclasses
import json
import os
from typing import List, Optional

import tensorflow as tf
import tf_keras

from tensorflow.core.protobuf import trackable_object_graph_pb2
from official.nlp.configs import encoders
from official.nlp.modeling import models as mg_models

from official_ext.interchange import encoder_export
from official_ext.interchange import encoder_weights
from official_ext.trainer import checkpointing

_LEGACY_BERT_KEYS = encoder_weights.BERT_JSON_KEYS  # bert_config.json


class EncoderInitError(ValueError):
  """The init checkpoint, encoder config or vocab is missing or mismatched."""


@dataclasses.dataclass
class EncoderSource:
  """A resolved encoder.

  Attributes:
    checkpoint: checkpoint prefix to restore (`''`: random initialisation).
    encoder_config: the Model Garden `EncoderConfig` to build.
    config_file: the file the config came from.
    fields: the encoder's config fields (vocab_size, hidden_size ...).
    vocab_file: a `vocab.txt` found next to the checkpoint, if any.
  """
  checkpoint: str
  encoder_config: encoders.EncoderConfig
  config_file: str
  fields: dict
  vocab_file: Optional[str] = None

  @property
  def size(self) -> str:
    """small | base | large, by hidden size (picks default learning rates)."""
    hidden = self.fields.get('hidden_size', 768)
    if hidden <= 256:
      return 'small'
    return 'base' if hidden <= 768 else 'large'

  def describe(self) -> dict:
    return {'checkpoint': self.checkpoint, 'config_file': self.config_file,
            'type': self.encoder_config.type,
            'dropout_rate': self.encoder_config.get().dropout_rate,
            **{k: self.fields.get(k) for k in encoder_weights.SHAPE_FIELDS}}


def _checkpoint_prefix(path: str) -> str:
  """A checkpoint prefix from a directory or a prefix."""
  if tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest:
      return latest
    indexes = tf.io.gfile.glob(os.path.join(path, '*.index'))
    if len(indexes) == 1:
      return indexes[0][:-len('.index')]
    raise EncoderInitError(
        f'--init_checkpoint={path}: no checkpoint in this directory '
        f'({len(indexes)} *.index files and no `checkpoint` state file)')
  if tf.io.gfile.exists(path + '.index'):
    return path
  raise EncoderInitError(f'--init_checkpoint={path}: neither a directory nor '
                         f'a checkpoint prefix ({path}.index does not exist)')


def _export_dir(path: str) -> Optional[str]:
  """Our export directory containing `path`, if any."""
  candidates = [path, os.path.dirname(path.rstrip('/')),
                os.path.dirname(os.path.dirname(path.rstrip('/')))]
  for folder in candidates:
    if folder and tf.io.gfile.exists(
        os.path.join(folder, encoder_export.CONFIG_FILE)):
      return folder
  return None


def _config_from_file(path: str, encoder_type: str):
  """(EncoderConfig, fields) from a JSON encoder config file."""
  try:
    with tf.io.gfile.GFile(path) as f:
      raw = json.load(f)
  except (json.JSONDecodeError, tf.errors.NotFoundError) as e:
    raise EncoderInitError(f'--encoder_config_file={path}: {e}') from None
  if 'type' in raw and isinstance(raw.get(raw['type']), dict):
    config = encoders.EncoderConfig(type=raw['type'])
    config.override({raw['type']: raw[raw['type']]}, is_strict=True)
    return config, dict(raw[raw['type']])
  if 'num_hidden_layers' in raw:
    fields = {_LEGACY_BERT_KEYS[k]: v for k, v in raw.items()
              if k in _LEGACY_BERT_KEYS}
  else:
    fields = dict(raw)
  known = {f.name for f in dataclasses.fields(encoders.BertEncoderConfig)}
  unknown = sorted(set(fields) - known)
  if unknown:
    raise EncoderInitError(f'--encoder_config_file={path}: unknown '
                           f'BertEncoderConfig fields {unknown}')
  if encoder_type == 'teams':
    return encoder_export.finetune_encoder_config(fields), fields
  if encoder_type in ('bert', 'auto'):
    return encoders.EncoderConfig(
        type='bert', bert=encoders.BertEncoderConfig(**fields)), fields
  raise EncoderInitError(f'--encoder_type must be auto, bert or teams, got '
                         f'{encoder_type!r}')


def resolve(init_checkpoint: str, encoder_config_file: str = '',
            encoder_type: str = 'auto') -> EncoderSource:
  """Finds the checkpoint prefix and the encoder config (module docstring)."""
  export_dir = (_export_dir(init_checkpoint)
                if init_checkpoint and not encoder_config_file else None)
  if export_dir and encoder_type in ('auto', 'teams'):
    fields = encoder_export.load_encoder_config(export_dir)
    config = encoder_export.finetune_encoder_config(fields)
    config_file = os.path.join(export_dir, encoder_export.CONFIG_FILE)
    if os.path.normpath(init_checkpoint) == os.path.normpath(export_dir):
      init_checkpoint = os.path.join(export_dir,
                                     encoder_export.CHECKPOINT_SUBDIR)
  elif export_dir:
    raise EncoderInitError(
        f'--init_checkpoint={init_checkpoint} is our export (a TEAMS '
        f'encoder); --encoder_type={encoder_type} needs --encoder_config_file')
  elif encoder_config_file:
    config, fields = _config_from_file(encoder_config_file, encoder_type)
    config_file = encoder_config_file
  else:
    raise EncoderInitError(
        f'--init_checkpoint={init_checkpoint or "(none)"}: no '
        f'{encoder_export.CONFIG_FILE} found there; pass our export directory '
        f'or --encoder_config_file (a BertEncoderConfig JSON or a BERT '
        f'bert_config.json)')
  prefix = _checkpoint_prefix(init_checkpoint) if init_checkpoint else ''
  vocab = None
  for folder in filter(None, [export_dir, prefix and os.path.dirname(prefix)]):
    if tf.io.gfile.exists(os.path.join(folder, 'vocab.txt')):
      vocab = os.path.join(folder, 'vocab.txt')
      break
  return EncoderSource(prefix, config, config_file, fields, vocab)


def with_dropout(source: EncoderSource, rate: float) -> EncoderSource:
  """`source` with hidden and attention dropout `rate` (shapes unchanged)."""
  if not 0.0 <= rate < 1.0:
    raise EncoderInitError(f'--dropout_rate must lie in [0, 1), got {rate}')
  config = copy.deepcopy(source.encoder_config)
  config.get().dropout_rate = rate
  config.get().attention_dropout_rate = rate
  fields = dict(source.fields, dropout_rate=rate, attention_dropout_rate=rate)
  return dataclasses.replace(source, encoder_config=config, fields=fields)


def check_vocab(vocab_file: str, source: EncoderSource) -> int:
  """Number of vocab entries; fails when the encoder cannot embed them all."""
  if not vocab_file or not tf.io.gfile.exists(vocab_file):
    raise EncoderInitError(f'--vocab_file={vocab_file or "(none)"} does not '
                           f'exist; give the WordPiece vocab the encoder was '
                           f'pretrained with')
  with tf.io.gfile.GFile(vocab_file) as f:
    size = sum(1 for line in f if line.strip())
  limit = source.fields.get('vocab_size')
  if limit is not None and size > limit:
    raise EncoderInitError(
        f'--vocab_file={vocab_file} has {size} tokens but the encoder '
        f'({source.config_file}) has vocab_size={limit}')
  return size


def max_positions(source: EncoderSource) -> int:
  """The encoder's position embeddings: the longest sequence it can take."""
  positions = source.fields.get('max_position_embeddings')
  if positions is None:  # a config file that leaves it at its default
    positions = source.encoder_config.get().max_position_embeddings
  return int(positions)


def check_sequence_fits(source: EncoderSource, max_seq_length: int,
                        flag: str = '--max_seq_length', note: str = '',
                        max_query_length: Optional[int] = None,
                        doc_stride: Optional[int] = None) -> int:
  """Raises `EncoderInitError` (one line) unless the lengths fit the encoder.

  Args:
    source: the resolved encoder.
    max_seq_length: tokens per sequence, [CLS]/[SEP] included.
    flag: the setting that gave `max_seq_length` (named in the message).
    note: appended to `<flag>=<value>`, e.g. ' (the glue/sst2 default)'.
    max_query_length, doc_stride: SQuAD's question tokens and window stride:
      a window holds up to `max_seq_length - max_query_length - 3` context
      tokens ([CLS] and two [SEP]), which must be >= 1, and the stride must
      be >= 1 (Model Garden's `squad_lib` loops forever otherwise; a stride
      longer than the window makes windows that do not overlap).

  Returns:
    the encoder's position count.
  """
  positions = max_positions(source)
  where = source.config_file or 'the encoder config'
  setting = f'{flag}={max_seq_length}{note}'
  if max_seq_length > positions:
    raise EncoderInitError(
        f'{setting} exceeds the encoder\'s {positions} position '
        f'embeddings (max_position_embeddings in {where}); use '
        f'{flag}={positions} or less')
  if max_query_length is not None:
    window = max_seq_length - max_query_length - 3
    if window < 1:
      raise EncoderInitError(
          f'--max_query_length={max_query_length} leaves no context tokens in '
          f'{setting} (question + 3 special tokens); lower '
          f'--max_query_length below {max_seq_length - 3}')
  if doc_stride is not None and doc_stride < 1:
    raise EncoderInitError(f'--doc_stride={doc_stride} must be >= 1 (context '
                           'tokens between the starts of two windows)')
  return positions


def freeze_unused_pooler(model: tf_keras.Model) -> List[str]:
  """Takes the encoder's pooler out of training when `model` never reads it.

  Model Garden's `BertClassifier(use_encoder_pooler=False)` (GLUE: its own
  `ClassificationHead` pools [CLS]) and `BertSpanLabeler` (SQuAD) read only
  the encoder's `sequence_output`, so its pooler (`pooler_transform` in
  `BertEncoderV2`, `cls_transform` in `EncoderScaffold`, i.e. ours) gets no
  gradient and Keras warns "Gradients do not exist for variables ..." at
  every trace. Marked non-trainable, the pooler is still restored from the
  checkpoint but is neither in `trainable_variables` nor given optimizer
  slots. Any other model is left as it is.

  Returns:
    the names of the variables taken out of training.
  """
  reads_pooler = not (isinstance(model, mg_models.BertSpanLabeler) or
                      (isinstance(model, mg_models.BertClassifier) and
                       not model.use_encoder_pooler))
  pooler = getattr(model.checkpoint_items.get('encoder'), 'pooler_layer',
                   None)
  if reads_pooler or pooler is None:
    return []
  names = [v.name for v in pooler.trainable_variables]
  pooler.trainable = False
  return names


def _read_object_graph(prefix):
  reader = checkpointing.reader(prefix)
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'))
  return graph, reader.get_variable_to_shape_map()


def _count_variables(graph, node_id, seen):
  """Variables stored under a checkpoint node."""
  if node_id in seen:
    return 0
  seen.add(node_id)
  node = graph.nodes[node_id]
  count = sum(1 for a in node.attributes if a.name == 'VARIABLE_VALUE')
  return count + sum(_count_variables(graph, c.node_id, seen)
                     for c in node.children)


def check_checkpoint_fits(prefix: str, encoder: tf.Module,
                          source: EncoderSource) -> int:
  """Raises `EncoderInitError` unless `prefix` restores all of `encoder`.

  Returns:
    the number of restored variables.
  """
  graph, shapes = _read_object_graph(prefix)
  root = {c.local_name: c.node_id for c in graph.nodes[0].children}
  if 'encoder' not in root:
    raise EncoderInitError(
        f'--init_checkpoint={prefix}: no `encoder` object in this checkpoint '
        f'(top-level objects: {sorted(root)}); fine-tuning restores '
        f'tf.train.Checkpoint(encoder=...) checkpoints')
  matched, mismatched, extra = {}, [], []
  stack, seen = [(root['encoder'], encoder, 'encoder')], set()
  while stack:
    node_id, obj, path = stack.pop()
    if node_id in seen:
      continue
    seen.add(node_id)
    node = graph.nodes[node_id]
    if isinstance(obj, tf.Variable):
      for attribute in node.attributes:
        if attribute.name == 'VARIABLE_VALUE':
          matched[id(obj)] = True
          want = obj.shape.as_list()
          got = shapes[attribute.checkpoint_key]
          if want != got:
            mismatched.append(
                f'{obj.name} (checkpoint key {attribute.checkpoint_key}): '
                f'checkpoint shape {got}, model shape {want}')
    children = tf.train.TrackableView(obj).children(obj)
    for child in node.children:
      if child.local_name in children:
        stack.append((child.node_id, children[child.local_name],
                      f'{path}/{child.local_name}'))
      else:
        count = _count_variables(graph, child.node_id, set())
        if count:
          extra.append(f'{path}/{child.local_name} ({count} variables)')
  missing = [v.name for v in encoder.variables if id(v) not in matched]
  settings = ', '.join(f'{k}={source.fields.get(k)}'
                       for k in encoder_weights.SHAPE_FIELDS
                       if k in source.fields)
  where = (f'--init_checkpoint={prefix} does not fit the encoder built from '
           f'{source.config_file} ({settings})')
  if mismatched:
    mismatched.sort(key=lambda line: line.split('(checkpoint key ')[1])
    raise EncoderInitError(
        f'{where}: {len(mismatched)} variables differ in shape, e.g.\n  ' +
        '\n  '.join(mismatched[:5]))
  if missing:
    raise EncoderInitError(
        f'{where}: {len(missing)} model variables are not in the checkpoint, '
        f'e.g. {missing[:5]}')
  if extra:
    raise EncoderInitError(
        f'{where}: the checkpoint has objects the model lacks, e.g. '
        f'{extra[:5]}')
  return len(matched)
