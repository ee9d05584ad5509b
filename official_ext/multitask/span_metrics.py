"""Span metrics on token positions: exact match and token-overlap F1.

Multi-task validation scores span tasks on the packed sequence's positions
(no text detokenisation): a prediction `[ps, pe]` and the gold `[gs, ge]`
are inclusive token ranges.
  exact match = 100 * mean(ps == gs and pe == ge)
  F1          = 100 * mean(2 P R / (P + R)), overlap = |[ps, pe] & [gs, ge]|,
                P = overlap / (pe - ps + 1), R = overlap / (ge - gs + 1)
A prediction with pe < ps scores 0. Dev questions whose answer fell outside
the window have gold `[0, 0]` (the [CLS] token), as in `supervised_data`.
"""

from typing import Dict

import numpy as np


def span_metrics(pred_start, pred_end, gold_start, gold_end
                 ) -> Dict[str, float]:
  """Exact match and token F1 in percent.

  Args:
    pred_start, pred_end: predicted positions, int `[N]`.
    gold_start, gold_end: gold positions, int `[N]`.

  Returns:
    {'exact_match': float, 'f1': float}, each in [0, 100].
  """
  ps, pe, gs, ge = (np.asarray(x, dtype=np.int64).reshape(-1)
                    for x in (pred_start, pred_end, gold_start, gold_end))
  if not len(ps) == len(pe) == len(gs) == len(ge):
    raise ValueError(f'span_metrics: predictions ({len(ps)}, {len(pe)}) and '
                     f'gold ({len(gs)}, {len(ge)}) differ in length')
  if not len(ps):
    raise ValueError('span_metrics: no examples')
  if np.any(ge < gs):
    raise ValueError('span_metrics: a gold end is before its start')
  exact = (ps == gs) & (pe == ge)
  overlap = np.maximum(0, np.minimum(pe, ge) - np.maximum(ps, gs) + 1)
  pred_len = pe - ps + 1
  valid = (pred_len > 0) & (overlap > 0)
  precision = np.where(valid, overlap / np.maximum(pred_len, 1), 0.0)
  recall = overlap / (ge - gs + 1)
  f1 = np.where(valid, 2 * precision * recall /
                np.maximum(precision + recall, 1e-12), 0.0)
  return {'exact_match': 100.0 * float(np.mean(exact)),
          'f1': 100.0 * float(np.mean(f1))}
