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
