"""Settings of one pretraining-data build, validated once, recorded in the manifest."""
import dataclasses
from typing import Tuple

from official_ext.data import features
from tfrecords_tools.s1_sources import line_decoding
from tfrecords_tools.s3_instances import sentence_pairing


@dataclasses.dataclass(frozen=True)
class BuildConfig:
  """Everything that decides the bytes written. Defaults follow the papers.

  Attributes:
    max_seq_length: L, tokens per sequence including [CLS]/[SEP].
    max_predictions_per_seq: P, most masked positions per sequence.
    masked_lm_prob: share of ordinary tokens masked.
    dupe_factor: instances made from each document, each with new masks.
    short_seq_prob: probability of a shorter target length per instance.
    random_seed: the one seed; all randomness derives from it.
    do_whole_word_mask: mask all WordPieces of a word together.
    do_lower_case: the tokenizer lower-cases and strips accents.
    pair_mode: a key of sentence_pairing.PAIR_MODES.
    aux_labels: switched-on names from features.AUX_LABEL_NAMES.
    tf_rescale_scope: "document" (paper) or "sentence" (olfmlm code) min-max.
    corruption_prob: share of sequences corrupted for TCP/SCP.
    corruption_rate: share of a corrupted sequence's tokens changed (>= 2).
    tgs_prob: probability that an eligible trigram end is shuffled.
    corruption_view: with tcp/scp/tgs labels, "separate" (default) writes
      the plain input and, under `corrupted_` keys, the corrupted and
      shuffled one (a run reads the one its tasks call for, as olfmlm
      formats each run's input by its tasks); "shared" writes only the
      changed input, under the plain keys (the former layout).
    num_shards: output files.
    docs_per_chunk: documents per unit of work (and random-segment pool).
    max_undecodable_share: an input file with a larger share of non-UTF-8
      lines is refused (`line_decoding`).
  """
  max_seq_length: int = 128
  max_predictions_per_seq: int = 20
  masked_lm_prob: float = 0.15
  dupe_factor: int = 40
  short_seq_prob: float = 0.1
  random_seed: int = 12345
  do_whole_word_mask: bool = False
  do_lower_case: bool = True
  pair_mode: str = "nsp"
  aux_labels: Tuple[str, ...] = ()
  tf_rescale_scope: str = "document"
  corruption_prob: float = 0.5
  corruption_rate: float = 0.10
  tgs_prob: float = 0.05
  corruption_view: str = "separate"
  num_shards: int = 8
  docs_per_chunk: int = 32
  max_undecodable_share: float = line_decoding.DEFAULT_MAX_UNDECODABLE_SHARE

  def __post_init__(self):
    object.__setattr__(self, "aux_labels", tuple(
        n for n in features.AUX_LABEL_NAMES if n in set(self.aux_labels)))
    checks = [
        (self.max_seq_length >= 8, "max_seq_length must be >= 8"),
        (self.max_predictions_per_seq >= 1,
         "max_predictions_per_seq must be >= 1"),
        (0.0 < self.masked_lm_prob < 1.0, "masked_lm_prob must be in (0, 1)"),
        (self.dupe_factor >= 1, "dupe_factor must be >= 1"),
        (0.0 <= self.short_seq_prob <= 1.0, "short_seq_prob must be in [0, 1]"),
        (self.pair_mode in sentence_pairing.PAIR_MODES,
         f"pair_mode must be one of {list(sentence_pairing.PAIR_MODES)}"),
        (self.tf_rescale_scope in ("document", "sentence"),
         "tf_rescale_scope must be 'document' or 'sentence'"),
        (0.0 <= self.corruption_prob <= 1.0, "corruption_prob must be in [0, 1]"),
        (0.0 < self.corruption_rate < 1.0, "corruption_rate must be in (0, 1)"),
        (0.0 <= self.tgs_prob <= 1.0, "tgs_prob must be in [0, 1]"),
        (self.corruption_view in features.CORRUPTION_VIEWS,
         f"corruption_view must be one of {list(features.CORRUPTION_VIEWS)}"),
        (self.num_shards >= 1, "num_shards must be >= 1"),
        (self.docs_per_chunk >= 2, "docs_per_chunk must be >= 2"),
        (0.0 <= self.max_undecodable_share <= 1.0,
         "max_undecodable_share must be in [0, 1]"),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(f"Bad build setting: {message}.")
    features.feature_specs(self.aux_labels)  # raises on unknown names

  def record_views(self):
    """(key prefix, labels) of each input view a record holds
    (`features.record_views`)."""
    return features.record_views(self.aux_labels, self.corruption_view)

  @property
  def paired(self) -> bool:
    """True when a record holds a sequence and its continuation (QT/FS)."""
    return self.pair_mode == "consecutive"

  def feature_specs(self):
    return features.record_specs(self.aux_labels, self.paired,
                                 self.corruption_view)

  def to_json(self) -> dict:
    d = dataclasses.asdict(self)
    d["aux_labels"] = list(self.aux_labels)
    return d
