"""The per-chunk transform: tokenized documents -> serialised tf.Examples.

Pure NumPy (no TensorFlow), so it runs in light worker processes and in Beam.
A document's records depend only on its chunk and the BuildConfig: every
random draw comes from generators seeded with (random_seed, file_index,
doc_index), so the output does not depend on which worker or runner made it.

Per document: too short for the pair mode -> skipped (counted); else
`dupe_factor` rounds of instances whose rows are corrupted (TCP/SCP),
trigram-shuffled (TGS) and masked, vectorised over up to `max_rows` rows at a
time, and every label is gathered from the per-token arrays (TF/TF-IDF
computed once per chunk). With TCP/SCP/TGS labels and the default
`corruption_view="separate"` the same rows are also written plain (no
corruption, no shuffle, their own masks), the changed view under
`features.CORRUPTED_PREFIX`; each view draws from a generator of its own,
seeded alike, so it equals the build of that view alone.
"""
import collections
import dataclasses
import random
from typing import List

import numpy as np

from official_ext.data import features as F
from tfrecords_tools import build_config
from tfrecords_tools import build_report
from tfrecords_tools.s2_tokens import tokenized_chunk
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s3_instances import row_assembly as ra
from tfrecords_tools.s3_instances import sentence_pairing
from tfrecords_tools.s4_labels import corruption
from tfrecords_tools.s4_labels import masking
from tfrecords_tools.s4_labels import term_frequency
from tfrecords_tools.s4_labels import trigram_shuffle
from tfrecords_tools.s5_records import example_encoder


@dataclasses.dataclass
class ChunkResult:
  """What one chunk produced.

  Attributes:
    file_index, chunk_index: the chunk's identity.
    doc_indices: position in its file of each document that produced records.
    records: per such document, its serialised tf.Examples.
    tokens: per such document, the real tokens written (input_mask sum).
    report: skips and repairs.
  """
  file_index: int
  chunk_index: int
  doc_indices: List[int]
  records: List[List[bytes]]
  tokens: List[int]
  report: build_report.BuildReport


def document_seeds(random_seed: int, file_index: int, doc_index: int,
                   views: int = 1):
  """(python Random, numpy Generator per view) for one document.

  Every view's Generator starts from the same seed, so each view of a record
  draws what a build writing only that view would draw.
  """
  seq = np.random.SeedSequence([random_seed, file_index, doc_index])
  py_seed, np_seed = seq.spawn(2)
  return (random.Random(int(py_seed.generate_state(1, np.uint64)[0])),
          *[np.random.default_rng(np_seed) for _ in range(views)])


class ChunkTransformer:
  """Callable: TokenizedChunk -> ChunkResult, for one BuildConfig.

  Args:
    config: the build settings.
    vocab: the vocab the chunk was tokenized with.
    idf: float32 [vocab] idf table, required when "tf_idf" is on.
    max_rows: rows vectorised at once (bounds memory, whatever the document
      sizes).
  """

  def __init__(self, config: build_config.BuildConfig, vocab: vocab_lib.Vocab,
               idf: np.ndarray = None, max_rows: int = 2048):
    if "tf_idf" in config.aux_labels and idf is None:
      raise ValueError("The tf_idf label needs an IDF table.")
    self.config = config
    self.vocab = vocab
    self.idf = idf
    self.max_rows = max_rows
    self._replacement_ids = vocab.random_replacement_ids()
    self._word_start = vocab.word_start_table()
    self._length_table = vocab.token_length_table()
    self._specs = config.feature_specs()
    self._views = config.record_views()
    self._encoder = example_encoder.ExampleEncoder(
        [(s.name, s.dtype) for s in self._specs])

  def __call__(self, chunk: tokenized_chunk.TokenizedChunk,
               keep=None) -> ChunkResult:
    """Transforms the chunk's documents.

    Args:
      chunk: the tokenized documents (all of them serve as the pool of random
        segments, whichever are transformed).
      keep: optional predicate keep(file_index, doc_index) choosing the
        documents to transform (a worker's share).
    """
    cfg = self.config
    report = build_report.BuildReport()
    docs = [chunk.doc_sentences(d) for d in range(chunk.num_documents)]
    pair_stats = collections.Counter()
    pairer = sentence_pairing.DocumentPairer(
        cfg.pair_mode, cfg.max_seq_length, cfg.short_seq_prob, pair_stats)
    result = ChunkResult(chunk.file_index, chunk.chunk_index, [], [], [],
                         report)
    tf_tables = None  # (tf, tf_idf) of every token, once per chunk
    for d, sentences in enumerate(docs):
      doc_index = int(chunk.doc_indices[d])
      if keep is not None and not keep(chunk.file_index, doc_index):
        continue
      if len(sentences) < sentence_pairing.MIN_SENTENCES[cfg.pair_mode]:
        report.skip(f"document_too_short_for_{cfg.pair_mode}", chunk.where(d))
        continue
      if tf_tables is None and ("tf" in cfg.aux_labels or
                                "tf_idf" in cfg.aux_labels):
        tf_tables = term_frequency.labels(
            chunk.ids, chunk.sentence_bounds[chunk.doc_bounds],
            chunk.sentence_bounds,
            self.idf if "tf_idf" in cfg.aux_labels else None,
            cfg.tf_rescale_scope)
      py_rng, *np_rngs = document_seeds(
          cfg.random_seed, chunk.file_index, doc_index, len(self._views))
      others = docs[:d] + docs[d + 1:]
      records, tokens, batch, batch_rows = [], [0], [], 0
      for dupe in range(cfg.dupe_factor):
        insts = pairer.instances(sentences, others, py_rng)
        batch.extend(insts)
        batch_rows += ra.rows_needed(insts, cfg.pair_mode)
        if batch_rows >= self.max_rows or dupe == cfg.dupe_factor - 1:
          self._flush(chunk, tf_tables, batch, batch_rows, py_rng, np_rngs,
                      records, tokens)
          batch, batch_rows = [], 0
      result.doc_indices.append(doc_index)
      result.records.append(records)
      result.tokens.append(tokens[0])
    report.merge_counts(pair_stats)
    return result

  def _flush(self, chunk, tf_tables, instances, num_rows, py_rng, np_rngs,
             records, tokens):
    """Vectorises a batch of one document's instances into records.

    The rows are laid out once; each of the record's views (`BuildConfig.
    record_views`: the plain one, and with separate views the changed one
    under `features.CORRUPTED_PREFIX`) works on its own copy and draws from
    its own generator, as a build writing only that view would.
    """
    cfg = self.config
    length = cfg.max_seq_length
    src = np.full((num_rows, length), ra.PAD, np.int64)
    seg = np.zeros((num_rows, length), np.int64)
    ra.fill_rows(instances, cfg.pair_mode, length, py_rng, src, seg, 0)
    columns = {}
    for (prefix, aux_labels), rng in zip(self._views, np_rngs):
      view = self._columns(chunk, tf_tables, src.copy(), seg.copy(), rng,
                           aux_labels)
      if not prefix:  # the plain view's real tokens
        tokens[0] += int(view[F.INPUT_MASK].sum())
      if cfg.paired:  # even rows: the sequence; odd rows: its continuation
        view = dict({k: v[0::2] for k, v in view.items()},
                    **{F.CONTINUATION_PREFIX + k: v[1::2]
                       for k, v in view.items()})
      columns.update({prefix + k: v for k, v in view.items()})
    columns[F.NEXT_SENTENCE_LABELS] = np.asarray(
        [i.label for i in instances], np.int64)[:, None]
    records.extend(self._encoder.encode(columns))

  def _columns(self, chunk, tf_tables, src, seg, rng, aux_labels):
    """Per-row feature matrices of one view (before QT/FS pairing); works in
    place on `src` and `seg` (corruption, trigram shuffle)."""
    cfg, v = self.config, self.vocab
    aux = set(aux_labels)
    n, length = src.shape
    tcp = np.zeros((n, length), np.int64)
    scp = np.zeros((n, 1), np.int64)
    if "tcp" in aux or "scp" in aux:  # one corruption draw drives both
      for r in np.flatnonzero(rng.random(n) < cfg.corruption_prob):
        scp[r, 0] = corruption.corrupt_row(
            src[r], seg[r], tcp[r], chunk.ids, self._replacement_ids,
            cfg.corruption_rate, rng)
    protected = tcp.astype(bool)
    if "tgs" in aux:
      tgs_labels, tgs_weights, touched = trigram_shuffle.shuffle_trigrams(
          src, (src >= 0) & ~protected, cfg.tgs_prob, rng)
      protected |= touched
    ids = ra.source_to_ids(src, chunk.ids, v.pad_id, v.cls_id, v.sep_id)
    original_ids = ids.copy() if "token_length" in aux else None
    positions, label_ids, weights = masking.mask_rows(
        ids, (src >= 0) & ~protected, cfg.masked_lm_prob,
        cfg.max_predictions_per_seq, v.mask_id, self._replacement_ids, rng,
        self._word_start[ids] if cfg.do_whole_word_mask else None)
    cols = {F.INPUT_IDS: ids,
            F.INPUT_MASK: (src != ra.PAD).astype(np.int64),
            F.SEGMENT_IDS: seg,
            F.MASKED_LM_POSITIONS: positions,
            F.MASKED_LM_IDS: label_ids,
            F.MASKED_LM_WEIGHTS: weights}
    if not aux:
      return cols
    text = src >= 0
    at = np.maximum(src, 0)

    def gather(per_token):
      return np.where(text, per_token[at], 0)

    cols[F.AUX_TOKEN_WEIGHTS] = (text | (src <= ra.RANDOM_BASE)).astype(
        np.float32)
    if "tf" in aux:
      cols[F.TF_LABELS] = gather(tf_tables[0]).astype(np.float32)
    if "tf_idf" in aux:
      cols[F.TF_IDF_LABELS] = gather(tf_tables[1]).astype(np.float32)
    if "cap" in aux:
      cols[F.CAP_LABELS] = gather(chunk.cap).astype(np.int64)
    if "token_length" in aux:
      random_len = np.where(src <= ra.RANDOM_BASE,
                            self._length_table[original_ids], 0)
      cols[F.TOKEN_LENGTH_LABELS] = np.where(
          text, chunk.token_length[at], random_len).astype(np.float32)
    if "tcp" in aux:
      cols[F.TCP_LABELS] = tcp
    if "scp" in aux:
      cols[F.SCP_LABELS] = scp
    if "tgs" in aux:
      cols[F.TGS_LABELS] = tgs_labels
      cols[F.TGS_WEIGHTS] = tgs_weights
    return cols
