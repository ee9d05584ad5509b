"""Is arm A's score different from baseline B's beyond noise? Bootstraps.

`paired_bootstrap` resamples the indices of paired observations (the same
dev examples scored by both arms, or the same fine-tuning seeds) with
replacement, `num_resamples` times, and records statistic(A) - statistic(B)
on each resample; `unpaired_bootstrap` resamples each arm on its own (seeds
that do not match). The result holds the observed difference, the
percentile confidence interval of the resampled differences, a two-sided
p-value (twice the smaller tail beyond 0, at most 1) and `significant` (the
interval excludes 0). Everything is deterministic in `seed`.

Over seeds the bootstrap is coarse: with 3 seeds there are only 10 distinct
resamples per arm, so prefer per-example scores (0/1 correctness, or any
per-example score) where the runs saved them.
"""
import dataclasses
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

# Resamples are drawn in blocks of at most this many indices (memory).
_BLOCK_INDICES = 2_000_000


@dataclasses.dataclass(frozen=True)
class Significance:
  """A - B: observed difference, CI [low, high], p-value, verdict."""
  difference: float
  low: float
  high: float
  p_value: float
  significant: bool
  confidence: float
  samples: int
  method: str

  def note(self, digits: int = 1) -> str:
    """E.g. '+1.2 [0.4, 2.0] significant (95% CI, 872 dev examples)'."""
    verdict = 'significant' if self.significant else 'within noise'
    return (f'{self.difference:+.{digits}f} [{self.low:.{digits}f}, '
            f'{self.high:.{digits}f}] {verdict} '
            f'({self.confidence:.0%} CI, {self.samples} {self.method})')


def _mean(values):
  return np.mean(values, axis=-1)


def _check(a, b, confidence, num_resamples):
  if not 0 < confidence < 1:
    raise ValueError(f'confidence must be in (0, 1), got {confidence}')
  if num_resamples < 1:
    raise ValueError(f'num_resamples must be >= 1, got {num_resamples}')
  for label, values in (('a', a), ('b', b)):
    if len(values) == 0:  # pylint: disable=g-explicit-length-test
      raise ValueError(f'{label}: no observations to bootstrap')


def _index_blocks(rng, n, num_resamples):
  """`num_resamples` rows of n indices drawn with replacement, in blocks."""
  block = max(1, _BLOCK_INDICES // n)
  for start in range(0, num_resamples, block):
    yield rng.integers(0, n, size=(min(block, num_resamples - start), n))


def _apply(statistic, values, index):
  """statistic of values[index[r]] for every row r of `index`."""
  if statistic is None:
    return _mean(values[index])
  return np.array([statistic(values[row]) for row in index], dtype=float)


def _result(observed, diffs, confidence, samples, method):
  tail = (1.0 - confidence) / 2.0
  low, high = np.quantile(diffs, [tail, 1.0 - tail])
  p_value = min(1.0, 2.0 * min(np.mean(diffs <= 0), np.mean(diffs >= 0)))
  return Significance(difference=float(observed), low=float(low),
                      high=float(high), p_value=float(p_value),
                      significant=bool(low > 0 or high < 0),
                      confidence=confidence, samples=samples, method=method)


def paired_bootstrap(a: Sequence, b: Sequence,
                     statistic: Optional[Callable[[np.ndarray], float]] = None,
                     num_resamples: int = 10000, confidence: float = 0.95,
                     seed: int = 0, method: str = 'dev examples'
                     ) -> Significance:
  """Bootstrap over paired observations: row i of `a` and of `b` belong
  together (the same dev example or the same seed).

  Args:
    a, b: `[n]` per-observation scores (or `[n, ...]` rows when `statistic`
      needs more than a score, e.g. (prediction, label) for MCC).
    statistic: rows -> float; default the mean of a `[n]` array.
    num_resamples, confidence, seed: bootstrap settings.
    method: what the rows are, for the note ('dev examples', 'seeds').
  """
  a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
  _check(a, b, confidence, num_resamples)
  if a.shape != b.shape:
    raise ValueError(f'paired scores differ in shape: {a.shape} vs '
                     f'{b.shape}')
  rng = np.random.default_rng(seed)
  n = len(a)
  measure = statistic or _mean
  observed = measure(a) - measure(b)
  diffs = np.concatenate([
      _apply(statistic, a, index) - _apply(statistic, b, index)
      for index in _index_blocks(rng, n, num_resamples)])
  return _result(observed, diffs, confidence, n, method)


def unpaired_bootstrap(a: Sequence, b: Sequence,
                       statistic: Optional[Callable] = None,
                       num_resamples: int = 10000, confidence: float = 0.95,
                       seed: int = 0, method: str = 'seeds (unpaired)'
                       ) -> Significance:
  """Bootstrap of statistic(A) - statistic(B), each arm resampled alone."""
  a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
  _check(a, b, confidence, num_resamples)
  rng = np.random.default_rng(seed)
  measure = statistic or _mean
  a_stats, b_stats = (np.concatenate([
      _apply(statistic, values, index)
      for index in _index_blocks(rng, len(values), num_resamples)])
                       for values in (a, b))
  diffs = a_stats - b_stats
  return _result(measure(a) - measure(b), diffs, confidence,
                 min(len(a), len(b)), method)


# Fewer seeds than this never make a seed bootstrap "significant": with 2
# seeds there are 3 distinct paired resamples, and any consistent gap, however
# small (e.g. -0.2 on both), would exclude 0. (With 3 seeds a consistent
# gap still does: read seed-level verdicts as coarse; an exact sign-flip test
# needs 6 seeds to reach p < 0.05.)
MIN_SEEDS = 3


def compare_seeds(a: Mapping[int, float], b: Mapping[int, float],
                  **kwargs) -> Significance:
  """seed -> score of two arms: paired over the seeds both have when they
  have the same seeds, else unpaired. Under `MIN_SEEDS` seeds a side, the
  interval is reported but the verdict is 'within noise' (too few seeds to
  call a difference)."""
  if set(a) == set(b):
    seeds = sorted(a)
    result = paired_bootstrap([a[s] for s in seeds], [b[s] for s in seeds],
                              method='seeds (paired)', **kwargs)
  else:
    result = unpaired_bootstrap(list(a.values()), list(b.values()), **kwargs)
  if min(len(a), len(b)) < MIN_SEEDS:
    result = dataclasses.replace(
        result, significant=False,
        method=f'{result.method}; < {MIN_SEEDS} seeds: not called')
  return result
