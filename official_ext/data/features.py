"""Names and shapes of the pretraining tf.Example features, defined once.

The builder (`tfrecords_tools`) writes these keys and the reader
(`official_ext.data.pretrain_reader`) parses them. This module must stay free of
TensorFlow imports: the builder's worker processes import it without TF.

Shapes below are per example; `L` is `max_seq_length`, `P` is
`max_predictions_per_seq`.
"""
import dataclasses

# Keys Model Garden's `BertPretrainDataLoader` reads (v1 feature names).
INPUT_IDS = "input_ids"                      # int64 [L]
INPUT_MASK = "input_mask"                    # int64 [L]
SEGMENT_IDS = "segment_ids"                  # int64 [L]
MASKED_LM_POSITIONS = "masked_lm_positions"  # int64 [P]
MASKED_LM_IDS = "masked_lm_ids"              # int64 [P]
MASKED_LM_WEIGHTS = "masked_lm_weights"      # float [P]
NEXT_SENTENCE_LABELS = "next_sentence_labels"  # int64 [1], label of the pair mode

# Auxiliary-task labels (olfmlm names in comments).
AUX_TOKEN_WEIGHTS = "aux_token_weights"  # float [L]: 1 on ordinary tokens
TF_LABELS = "tf_labels"                  # float [L] (tf), 0..10 rescaled
TF_IDF_LABELS = "tf_idf_labels"          # float [L] (tf_idf), 0..10 rescaled
CAP_LABELS = "cap_labels"                # int64 [L] (cap), 0/1
TOKEN_LENGTH_LABELS = "token_length_labels"  # float [L] (wlen)
TCP_LABELS = "tcp_labels"                # int64 [L] (tc), 0/1
SCP_LABELS = "scp_labels"                # int64 [1] (sc), 0/1
TGS_LABELS = "tgs_labels"                # int64 [L] (tgs), class 0..5
TGS_WEIGHTS = "tgs_weights"              # float [L]: 1 at chosen trigram ends

# Consecutive-segment pairing (QT / FS): each record also carries the
# continuation of its sequence under this prefix, for every per-sequence key.
CONTINUATION_PREFIX = "continuation_"

# Labels whose making changes the input tokens, and the change. olfmlm
# changes a run's input only when the run trains one of these tasks
# (`set_args`: corruption for tc/sc, trigram shuffle for tgs), and then every
# task of the run reads the changed input (one forward pass).
INPUT_CHANGES = {"tcp": "corruption", "scp": "corruption",
                 "tgs": "trigram_shuffle"}
# With --corruption_view=separate (the default) a record built with such
# labels holds two views: the plain one under the keys above (no corruption,
# no shuffle: what a run that trains none of them reads) and the changed one,
# every key but `next_sentence_labels` under this prefix (what a run that
# trains them reads, through the reader, under the plain names).
# --corruption_view=shared writes only the changed view, under the plain keys.
CORRUPTED_PREFIX = "corrupted_"
CORRUPTION_VIEWS = ("separate", "shared")

# Model-side names the reader produces (Model Garden's Keras input names).
INPUT_WORD_IDS = "input_word_ids"
INPUT_TYPE_IDS = "input_type_ids"

INT = "int64"
FLOAT = "float"


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
  """One fixed-length feature: its key, dtype and length kind."""
  name: str
  dtype: str          # INT or FLOAT
  length: str         # "seq" (L), "pred" (P) or "one" (1)
  per_sequence: bool  # duplicated under CONTINUATION_PREFIX for QT/FS pairs

  def size(self, max_seq_length: int, max_predictions_per_seq: int) -> int:
    return {"seq": max_seq_length, "pred": max_predictions_per_seq,
            "one": 1}[self.length]


CORE_FEATURES = (
    FeatureSpec(INPUT_IDS, INT, "seq", True),
    FeatureSpec(INPUT_MASK, INT, "seq", True),
    FeatureSpec(SEGMENT_IDS, INT, "seq", True),
    FeatureSpec(MASKED_LM_POSITIONS, INT, "pred", True),
    FeatureSpec(MASKED_LM_IDS, INT, "pred", True),
    FeatureSpec(MASKED_LM_WEIGHTS, FLOAT, "pred", True),
    FeatureSpec(NEXT_SENTENCE_LABELS, INT, "one", False),
)

# Auxiliary label name (as used by --aux_labels) -> the features it writes.
AUX_FEATURES = {
    "tf": (FeatureSpec(TF_LABELS, FLOAT, "seq", True),),
    "tf_idf": (FeatureSpec(TF_IDF_LABELS, FLOAT, "seq", True),),
    "cap": (FeatureSpec(CAP_LABELS, INT, "seq", True),),
    "token_length": (FeatureSpec(TOKEN_LENGTH_LABELS, FLOAT, "seq", True),),
    "tcp": (FeatureSpec(TCP_LABELS, INT, "seq", True),),
    "scp": (FeatureSpec(SCP_LABELS, INT, "one", True),),
    "tgs": (FeatureSpec(TGS_LABELS, INT, "seq", True),
            FeatureSpec(TGS_WEIGHTS, FLOAT, "seq", True)),
}
AUX_LABEL_NAMES = tuple(AUX_FEATURES)
_TOKEN_WEIGHTS = FeatureSpec(AUX_TOKEN_WEIGHTS, FLOAT, "seq", True)


def feature_specs(aux_labels=(), paired=False):
  """Returns the FeatureSpecs a record holds.

  Args:
    aux_labels: names from `AUX_LABEL_NAMES` switched on.
    paired: True for the consecutive-segment (QT/FS) layout, where each
      per-sequence feature is repeated under `CONTINUATION_PREFIX`.

  Returns:
    A tuple of FeatureSpec, in a fixed order.
  """
  unknown = sorted(set(aux_labels) - set(AUX_FEATURES))
  if unknown:
    raise ValueError(f"Unknown auxiliary label(s) {unknown}; known: "
                     f"{list(AUX_LABEL_NAMES)}")
  specs = list(CORE_FEATURES)
  if aux_labels:
    specs.append(_TOKEN_WEIGHTS)
  for name in AUX_LABEL_NAMES:  # fixed order, whatever the caller's order
    if name in aux_labels:
      specs.extend(AUX_FEATURES[name])
  if paired:
    specs += [dataclasses.replace(s, name=CONTINUATION_PREFIX + s.name,
                                  per_sequence=False)
              for s in specs if s.per_sequence]
  return tuple(specs)


def input_changes(aux_labels):
  """The input changes (`INPUT_CHANGES` values) the labels bring, sorted."""
  return tuple(sorted({INPUT_CHANGES[n] for n in aux_labels
                       if n in INPUT_CHANGES}))


def record_views(aux_labels=(), corruption_view="separate"):
  """The input views a record holds, as (key prefix, labels) pairs.

  Without an input-changing label, or with `corruption_view="shared"`, one:
  ("", aux_labels). With `"separate"`, the plain view (the labels that keep
  the input) then the changed view (every label) under `CORRUPTED_PREFIX`.
  """
  if corruption_view not in CORRUPTION_VIEWS:
    raise ValueError(f"corruption_view must be one of {CORRUPTION_VIEWS}; "
                     f"got {corruption_view!r}")
  aux_labels = tuple(aux_labels)
  if corruption_view == "shared" or not input_changes(aux_labels):
    return (("", aux_labels),)
  kept = tuple(n for n in aux_labels if n not in INPUT_CHANGES)
  return (("", kept), (CORRUPTED_PREFIX, aux_labels))


def record_specs(aux_labels=(), paired=False, corruption_view="separate"):
  """The FeatureSpecs a record holds: each of its `record_views`, the
  changed one without a second `next_sentence_labels`."""
  (_, plain), *changed = record_views(aux_labels, corruption_view)
  return feature_specs(plain, paired) + tuple(
      dataclasses.replace(s, name=prefix + s.name, per_sequence=False)
      for prefix, labels in changed for s in feature_specs(labels, paired)
      if s.name != NEXT_SENTENCE_LABELS)


def view_prefix(built_labels, corruption_view, read_labels):
  """The key prefix of the view a run reading `read_labels` gets from
  records built with `built_labels` and `corruption_view`: "" (the plain
  keys) or `CORRUPTED_PREFIX`. As in olfmlm, a run sees corrupted (or
  trigram-shuffled) input exactly when it trains the task that asks for it.

  Raises:
    ValueError: no view of the records fits the run (the message says what
      to rebuild).
  """
  missing = sorted(set(read_labels) - set(built_labels))
  if missing:
    raise ValueError(f"aux_labels {missing} are not in the records (built "
                     f"with {sorted(built_labels)}).")
  built, wanted = input_changes(built_labels), input_changes(read_labels)
  if wanted == built:
    return CORRUPTED_PREFIX if built and corruption_view == "separate" else ""
  if not wanted and corruption_view == "separate":
    return ""
  extra = sorted(set(built) - set(wanted))
  causes = sorted(n for n in built_labels if INPUT_CHANGES.get(n) in extra)
  if corruption_view == "shared":
    where = ("the records hold one input (--corruption_view=shared, or a "
             "build from before the two views), and it carries the "
             f"{' and '.join(extra)} of --aux_labels {','.join(causes)}")
    fix = ("rebuild them with --corruption_view=separate (the default), "
           f"which also writes the unchanged input, or without {causes}")
  else:
    where = (f"the records' changed view also carries the "
             f"{' and '.join(extra)} of --aux_labels {','.join(causes)}")
    fix = f"build records without {causes} for this run"
  raise ValueError(
      f"a run reading aux_labels {sorted(read_labels)} trains none of "
      f"{causes}, but {where}; olfmlm changes a run's input only for the "
      f"tasks it trains: {fix}.")
