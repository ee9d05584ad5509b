"""Learning curves: dev score vs labelled examples, one band per encoder.

Input: `{encoder: {size: [seed scores]}}` (size an int, or the full set's
size). Per (encoder, size) a `Point` holds the median and range over seeds;
`table` prints per size each encoder's `median [min–max]` and, for each
compared pair of encoders (default: the first two), the gap between their
medians with a verdict: within seed noise when their seed ranges overlap,
outside it when they do not; `plot` draws each encoder's
median line over a min–max band against the size (log scale) and writes the
PNG through `tf.io.gfile`.
"""

import dataclasses
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from official_ext import figures


@dataclasses.dataclass(frozen=True)
class Point:
  """One encoder at one training-set size: its seed scores summarised."""
  size: int
  median: float
  low: float
  high: float
  seeds: int

  @classmethod
  def of(cls, size: int, scores: Sequence[float]) -> 'Point':
    if not scores:
      raise ValueError(f'no finished runs at size {size}')
    return cls(size, statistics.median(scores), min(scores), max(scores),
               len(scores))


def points(scores: Dict[str, Dict[int, Sequence[float]]]
           ) -> Dict[str, List[Point]]:
  """encoder -> its points sorted by size."""
  return {kind: [Point.of(size, values[size]) for size in sorted(values)]
          for kind, values in scores.items()}


def overlap(a: Point, b: Point) -> bool:
  """Whether the seed ranges [low, high] of `a` and `b` share a value."""
  return a.low <= b.high and b.low <= a.high


def _cell(point: Point) -> str:
  return f'{point.median:.1f} [{point.low:.1f}–{point.high:.1f}]'


def gap(a: Point, b: Point) -> str:
  """`+1.2, within noise` / `−2.4, outside noise`: a's median minus b's, and
  whether their seed ranges overlap (`no noise estimate` with one seed)."""
  value = a.median - b.median
  sign = '+' if value >= 0 else '−'
  if min(a.seeds, b.seeds) < 2:
    verdict = 'no noise estimate (1 seed)'
  else:
    verdict = 'within noise' if overlap(a, b) else 'outside noise'
  return f'{sign}{abs(value):.1f}, {verdict}'


def table(curves: Dict[str, List[Point]], metric: str,
          full_size: int = 0,
          pairs: Optional[Sequence[Tuple[str, str]]] = None) -> str:
  """Markdown: per size (every encoder has), each encoder's
  `median [min–max]` and per pair `(a, b)` the gap a − b with its verdict
  (`gap`). `pairs` defaults to the first two encoders; `full_size` labels
  that size as the whole training set."""
  kinds = list(curves)
  pairs = list(pairs or [(kinds[0], kinds[1])])
  header = ('| labelled examples | ' +
            ' | '.join(f'{k} median [min–max]' for k in kinds) + ' | ' +
            ' | '.join(f'{a} − {b}' for a, b in pairs) + ' |')
  lines = [header, '|' + '---|' * (len(kinds) + len(pairs) + 1)]
  by_size = {k: {p.size: p for p in curves[k]} for k in kinds}
  shared = set.intersection(*(set(v) for v in by_size.values()))
  for size in sorted(shared):
    label = f'{size:,}' + (' (all)' if size == full_size else '')
    lines.append(f'| {label} | ' +
                 ' | '.join(_cell(by_size[k][size]) for k in kinds) + ' | ' +
                 ' | '.join(gap(by_size[a][size], by_size[b][size])
                            for a, b in pairs) + ' |')
  seeds = sorted({p.seeds for k in kinds for p in curves[k]})
  lines.append('')
  every = set().union(*(set(v) for v in by_size.values()))
  for kind in kinds:
    missing = sorted(every - set(by_size[kind]))
    if missing:  # Every seed of that point failed.
      lines.append(f'No finished run of {kind} at '
                   f'{", ".join(f"{s:,}" for s in missing)} examples.')
  lines.append(f'{metric}; median over {"/".join(map(str, seeds))} seeds, '
               '[min–max] over seeds; a gap is within noise when the two '
               'seed ranges overlap.')
  return '\n'.join(lines)


def plot(curves: Dict[str, List[Point]], path: str, metric: str,
         title: str) -> None:
  """Median line + min–max band per encoder vs size (log x); PNG at path."""
  pyplot = figures.pyplot()
  figure, axes = pyplot.subplots(figsize=(5.5, 3.8))
  for kind, curve in curves.items():
    sizes = [p.size for p in curve]
    line, = axes.plot(sizes, [p.median for p in curve], marker='o',
                      label=f'{kind} encoder (median)')
    axes.fill_between(sizes, [p.low for p in curve],
                      [p.high for p in curve], color=line.get_color(),
                      alpha=0.25, label=f'{kind}: min–max over seeds')
  axes.set_xscale('log')
  sizes = sorted({p.size for curve in curves.values() for p in curve})
  axes.set_xticks(sizes, [f'{s:,}' for s in sizes])
  axes.minorticks_off()
  axes.set_xlabel('labelled training examples')
  axes.set_ylabel(metric)
  axes.set_title(title)
  axes.legend(fontsize=7)
  figure.tight_layout()
  figures.save_png(figure, path)
