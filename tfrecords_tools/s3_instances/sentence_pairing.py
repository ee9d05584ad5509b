"""Cuts one document into training instances for each sentence-pair mode.

Works at sentence granularity on token ranges only: a sentence is a
`(start, end)` range into the token arrays of its chunk (see
`tokenized_chunk.py`), so nothing here touches token ids. The output of one
call is the instances of one dupe of one document; `row_assembly.py` turns
their ranges into token rows.

Inputs. The pair label (`next_sentence_labels`) is one per record and
belongs to both views of it: the sentence task (NSP/ASP/SO/SDP, and QT/FS
on `consecutive` pairs) reads the pooled output of the view its run gets,
corrupted/shuffled only when the run also trains TCP/SCP/TGS. olfmlm's
sentence tasks read the one input of their run the same way (SCP's own
label: `s4_labels/corruption.py`).

Modes (label conventions in `PAIR_MODES`):
  none         full packing: contiguous sentences fill one segment; a sentence
               that does not fit continues in the next instance (no token lost).
  nsp          BERT next-sentence prediction, 2-way.
  asp          adjacent sentence prediction, 3-way.
  so           sentence order, 2-way (never crosses documents).
  sdp          sentence distance, 3-way.
  consecutive  QT/FS: a run twice as long cut in two; the second sequence is
               the continuation of the first (written as one record).
"""
import collections
import random
from typing import List, Optional, Sequence, Tuple

Range = Tuple[int, int]

# mode -> label names, index = label written to `next_sentence_labels`.
# nsp keeps Google BERT's convention (1 = B is a random segment); olfmlm's code
# uses the reverse.
PAIR_MODES = {
    "none": ("single",),
    "nsp": ("is_next", "random_next"),
    "asp": ("next", "previous", "other_document"),
    "so": ("in_order", "swapped"),
    "sdp": ("contiguous", "same_document_gap", "other_document"),
    "consecutive": ("continuation",),
}
# Fewest sentences a document needs in each mode; shorter ones are skipped
# and counted as `too_short_for_mode`.
MIN_SENTENCES = {"none": 1, "nsp": 2, "asp": 2, "so": 2, "sdp": 3,
                 "consecutive": 1}


class Instance(collections.namedtuple("Instance", "a b label")):
  """One training instance.

  Attributes:
    a: list of token ranges of segment A (or of the first sequence).
    b: list of token ranges of segment B; None in mode "none". In mode
      "consecutive" B is the second sequence (the continuation), not a segment.
    label: int, the pair-mode label (see PAIR_MODES).
  """


def _num_tokens(ranges: Sequence[Range]) -> int:
  return sum(e - s for s, e in ranges)


def _split_one(sentence: Range, rng: random.Random) -> Tuple[list, list]:
  """Splits a lone sentence of >= 2 tokens into two non-empty parts."""
  s, e = sentence
  k = rng.randint(s + 1, e - 1)
  return [(s, k)], [(k, e)]


def _take_from(doc: Sequence[Range], start: int, want: int,
               stop: Optional[int] = None) -> List[Range]:
  """Sentences doc[start:stop] until at least `want` tokens are gathered."""
  out, n = [], 0
  for rng_ in doc[start:stop if stop is not None else len(doc)]:
    out.append(rng_)
    n += rng_[1] - rng_[0]
    if n >= want:
      break
  return out


class DocumentPairer:
  """Makes the instances of one document for one sentence-pair mode.

  Args:
    mode: a key of PAIR_MODES.
    max_seq_length: L; segments leave room for [CLS] and [SEP]s.
    short_seq_prob: probability that an instance targets a random shorter
      length in [2, max tokens] (drawn per instance).
    stats: a collections.Counter that receives repair counts.
  """

  def __init__(self, mode: str, max_seq_length: int, short_seq_prob: float,
               stats: collections.Counter):
    if mode not in PAIR_MODES:
      raise ValueError(f"Unknown sentence-pair mode {mode!r}; known: "
                       f"{list(PAIR_MODES)}")
    self.mode = mode
    self.short_seq_prob = short_seq_prob
    self.stats = stats
    if mode == "none" or mode == "consecutive":
      self.max_tokens = max_seq_length - 2
    else:
      self.max_tokens = max_seq_length - 3
    if self.max_tokens < 2:
      raise ValueError(f"max_seq_length={max_seq_length} is too short for "
                       f"mode {mode!r}")

  def _target(self, rng: random.Random) -> int:
    if rng.random() < self.short_seq_prob:
      return rng.randint(2, self.max_tokens)
    return self.max_tokens

  def instances(self, doc: Sequence[Range], others: Sequence[Sequence[Range]],
                rng: random.Random) -> List[Instance]:
    """Instances of one document.

    Args:
      doc: the document's sentences as token ranges, in order.
      others: the sentences of other documents, for random segments.
      rng: the seeded generator (the only source of randomness).

    Returns:
      A list of Instance.
    """
    if self.mode == "none":
      return self._packed(doc, rng)
    if self.mode == "consecutive":
      return self._consecutive(doc, rng)
    return self._pairs(doc, others, rng)

  def _packed(self, doc, rng):
    out, cur, cur_len = [], [], 0
    target = self._target(rng)
    for s, e in doc:
      while s < e:
        take = min(e - s, target - cur_len)
        cur.append((s, s + take))
        cur_len += take
        s += take
        if cur_len >= target:
          out.append(Instance(cur, None, 0))
          cur, cur_len, target = [], 0, self._target(rng)
    if cur:
      out.append(Instance(cur, None, 0))
    return out

  def _consecutive(self, doc, rng):
    out, cur, cur_len = [], [], 0
    target = 2 * self._target(rng)
    for i, (s, e) in enumerate(doc):
      cur.append((s, e))
      cur_len += e - s
      if cur_len >= target or i == len(doc) - 1:
        if cur_len >= 2:
          out.append(self._cut_in_two(cur, cur_len))
        cur, cur_len, target = [], 0, 2 * self._target(rng)
    return out

  def _cut_in_two(self, run, run_len):
    """Cuts at the sentence boundary nearest the middle, else mid-sentence."""
    best, best_gap, n = None, None, 0
    for j in range(1, len(run)):
      n += run[j - 1][1] - run[j - 1][0]
      if best_gap is None or abs(n - run_len / 2) < best_gap:
        best, best_gap = j, abs(n - run_len / 2)
    if best is not None:
      return Instance(list(run[:best]), list(run[best:]), 0)
    self.stats["split_inside_sentence"] += 1
    s, e = run[0]
    mid = s + (e - s) // 2
    return Instance([(s, mid)], [(mid, e)], 0)

  def _pairs(self, doc, others, rng):
    out = []
    i, chunk, chunk_len = 0, [], 0
    target = self._target(rng)
    while i < len(doc):
      chunk.append(doc[i])
      chunk_len += doc[i][1] - doc[i][0]
      if i == len(doc) - 1 or chunk_len >= target:
        made = self._make_pair(doc, i + 1 - len(chunk), chunk, target, others,
                               rng)
        if made is not None:
          inst, unused = made
          out.append(inst)
          i -= unused  # sentences not used go back into the stream
        chunk, chunk_len, target = [], 0, self._target(rng)
      i += 1
    return out

  def _make_pair(self, doc, first, chunk, target, others, rng):
    """One pair from the run `chunk` = doc[first:first + len(chunk)].

    Returns:
      (Instance, number of trailing sentences of the run left unused), or
      None when the run cannot make a pair (a lone 1-token sentence).
    """
    mode = self.mode
    if mode == "nsp":
      label = int(rng.random() < 0.5)
      kind = "other" if label else "next"
    elif mode == "so":
      label = int(rng.random() < 0.5)
      kind = "previous" if label else "next"
    else:  # asp, sdp: three classes
      label = rng.randint(0, 2)
      kind = {0: "next", 1: "previous" if mode == "asp" else "gap",
              2: "other"}[label]
    a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
    a = list(chunk[:a_end])
    if kind == "gap":
      b = self._gap_segment(doc, first, a_end, target - _num_tokens(a), rng)
      if b is None:  # no sentence far enough away: make it class 2
        self.stats["sdp_gap_impossible_used_other_document"] += 1
        kind, label = "other", 2
      else:
        return Instance(a, b, label), len(chunk) - a_end
    if kind == "other":
      b = self._other_segment(others, target - _num_tokens(a), rng)
      if b is None:
        self.stats["no_other_document_used_next"] += 1
        kind, label = "next", 0
      else:
        return Instance(a, b, label), len(chunk) - a_end
    if len(chunk) >= 2:
      b = list(chunk[a_end:])
    else:
      s, e = chunk[0]
      if e - s < 2:
        self.stats["run_too_short_for_pair"] += 1
        return None
      self.stats["split_inside_sentence"] += 1
      a, b = _split_one(chunk[0], rng)
    if kind == "previous":
      a, b = b, a
    return Instance(a, b, label), 0

  def _other_segment(self, others, want, rng):
    if not others:
      return None
    other = others[rng.randint(0, len(others) - 1)]
    start = rng.randint(0, len(other) - 1)
    return _take_from(other, start, max(want, 1))

  def _gap_segment(self, doc, first, a_end, want, rng):
    """Segment B from the same document, >= 1 sentence away from A."""
    a_stop = first + a_end  # A is doc[first:a_stop]
    before = list(range(0, first - 1))       # B must end before first - 1
    after = list(range(a_stop + 1, len(doc)))
    candidates = before + after
    if not candidates:
      return None
    k = candidates[rng.randint(0, len(candidates) - 1)]
    stop = first - 1 if k < first else None
    return _take_from(doc, k, max(want, 1), stop)
