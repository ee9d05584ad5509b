"""tf.data reader for the builder's records, auxiliary labels included.

Extends Model Garden's `BertPretrainDataLoader` (same InputReader pipeline:
file sharding, shuffling, batching, distribution) with the auxiliary-label
features and the consecutive-segment (QT/FS) layout. For the keys both know,
it yields exactly what Model Garden's loader yields (tested).

Output dict per batch ([batch, L] / [batch, P] / [batch, 1]):
  input_word_ids, input_mask, input_type_ids, masked_lm_positions,
  masked_lm_ids, masked_lm_weights, next_sentence_labels, and one key per
  auxiliary feature (its name in `features.py`), ints as int32.
With `paired` records and `pair_halves`, a batch of B records becomes 2B
sequences: rows B..2B-1 are the continuations of rows 0..B-1 (the layout the
QT and FS losses expect); `next_sentence_labels` stays [B, 1].

Records built with TCP/SCP/TGS labels hold two views of each sequence (the
builder's default `--corruption_view=separate`): the plain input and, under
`corrupted_` keys, the corrupted and trigram-shuffled one with every label
gathered on it. `view_prefix` chooses the view; the batch has the same keys
either way, so models and heads read whichever the run was given.
`config_from_manifest` (and `trainer/data_setup`) choose as olfmlm formats a
run's input: changed when the run reads a label that changes it
(`features.view_prefix`).
"""
import dataclasses
import json
import os
from typing import Tuple

import tensorflow as tf

from official.nlp.data import data_loader_factory
from official.nlp.data import pretrain_dataloader
from official_ext.data import features as F

_RENAME = {F.INPUT_IDS: F.INPUT_WORD_IDS, F.SEGMENT_IDS: F.INPUT_TYPE_IDS}
# Pair modes whose `next_sentence_labels` are a sentence task's labels.
LABELLED_PAIR_MODES = ("nsp", "asp", "so", "sdp")


@dataclasses.dataclass
class AuxPretrainDataConfig(pretrain_dataloader.BertPretrainDataConfig):
  """BertPretrainDataConfig plus the auxiliary labels the records hold.

  Attributes:
    aux_labels: names from features.AUX_LABEL_NAMES present in the records.
    paired: records hold a sequence and its continuation (pair_mode
      "consecutive").
    pair_halves: with `paired`, emit 2B sequences per batch (see module doc).
    pair_mode: the builder's --pair_mode ('' if unknown); it gives
      `next_sentence_labels` their meaning (nsp, asp, so or sdp labels).
    view_prefix: '' for the plain view, `features.CORRUPTED_PREFIX` for the
      corrupted one (module docstring).
  """
  aux_labels: Tuple[str, ...] = ()
  paired: bool = False
  pair_halves: bool = True
  pair_mode: str = ''
  view_prefix: str = ''


def view_for(settings: dict, aux_labels) -> str:
  """The view (`view_prefix`) a run reading `aux_labels` gets from records
  built with the manifest `settings` (ValueError when none fits it)."""
  # Manifests from before the two views hold the changed input only.
  return F.view_prefix(settings.get("aux_labels", ()),
                       settings.get("corruption_view", "shared"), aux_labels)


def config_from_manifest(manifest_path: str, **overrides):
  """An AuxPretrainDataConfig matching a build's manifest.json (reading
  every label it holds unless `aux_labels` is overridden)."""
  with tf.io.gfile.GFile(manifest_path) as f:
    manifest = json.load(f)
  s = manifest["settings"]
  out_dir = os.path.dirname(manifest_path)
  prefix = os.path.join(out_dir, "*.tfrecord")
  kwargs = dict(input_path=prefix, seq_length=s["max_seq_length"],
                max_predictions_per_seq=s["max_predictions_per_seq"],
                aux_labels=tuple(s["aux_labels"]),
                paired=s["pair_mode"] == "consecutive",
                pair_mode=s["pair_mode"])
  kwargs.update(overrides)
  kwargs.setdefault("view_prefix", view_for(s, kwargs["aux_labels"]))
  return AuxPretrainDataConfig(**kwargs)


def batch_keys(params: AuxPretrainDataConfig):
  """The keys of the batches `AuxPretrainDataLoader(params)` yields."""
  # pylint: disable=protected-access
  loader = AuxPretrainDataLoader(params)
  names = [loader._batch_names[k] for k in loader._name_to_features()]
  return {k for k in names if not k.startswith(F.CONTINUATION_PREFIX)}


@data_loader_factory.register_data_loader_cls(AuxPretrainDataConfig)
class AuxPretrainDataLoader(pretrain_dataloader.BertPretrainDataLoader):
  """Loads the builder's records with every auxiliary label."""

  def __init__(self, params: AuxPretrainDataConfig):
    if params.use_v2_feature_names:
      raise ValueError("The builder writes v1 feature names; set "
                       "use_v2_feature_names=False.")
    if params.view_prefix not in ("", F.CORRUPTED_PREFIX):
      raise ValueError(f"view_prefix must be '' or {F.CORRUPTED_PREFIX!r}; "
                       f"got {params.view_prefix!r}.")
    super().__init__(params)
    specs = F.feature_specs(params.aux_labels, paired=params.paired)
    # Record key of the configured view -> (its spec, the batch's name for
    # it). `next_sentence_labels` is one per record, whatever the view.
    self._features = {
        (s.name if s.name == F.NEXT_SENTENCE_LABELS else
         params.view_prefix + s.name): s for s in specs
        if s.name != F.NEXT_SENTENCE_LABELS or self._use_next_sentence_label}
    self._batch_names = {key: _RENAME.get(s.name, s.name)
                         for key, s in self._features.items()}

  def _name_to_features(self):
    """Record key -> feature, the keys of the configured view."""
    return {key: tf.io.FixedLenFeature(
        [s.size(self._seq_length, self._max_predictions_per_seq)],
        tf.int64 if s.dtype == F.INT else tf.float32)
            for key, s in self._features.items()}

  def _halves(self, batch):
    """[B] paired records -> [2B] sequences, continuations second."""
    out = {}
    prefix = F.CONTINUATION_PREFIX
    for key, value in batch.items():
      if key.startswith(prefix):
        continue
      cont = prefix + {v: k for k, v in _RENAME.items()}.get(key, key)
      if cont in batch:
        value = tf.concat([value, batch[cont]], axis=0)
      out[key] = value
    return out

  def _decode_batch(self, serialized):
    """[B] serialized records -> the batch dict, in ONE vectorised parse.

    Same tensors as Model Garden's per-record `_decode` + `_parse` then
    `batch` (tested), at a fraction of the cost: the tf.data pipeline is
    files -> interleave -> shuffle -> batch of strings -> this -> prefetch.
    """
    example = tf.io.parse_example(serialized, self._name_to_features())
    batch = {self._batch_names[key]: (
        tf.cast(value, tf.int32) if value.dtype == tf.int64 else value)
             for key, value in example.items()}
    if self._params.paired and self._params.pair_halves:
      batch = self._halves(batch)
    return batch

  def load(self, input_context=None):
    from official.common import dataset_fn  # pylint: disable=g-import-not-at-top
    from official.core import input_reader  # pylint: disable=g-import-not-at-top
    reader = input_reader.InputReader(
        params=self._params,
        dataset_fn=dataset_fn.pick_dataset_fn(self._params.file_type),
        decoder_fn=None, parser_fn=None, postprocess_fn=self._decode_batch)
    return reader.read(input_context)
