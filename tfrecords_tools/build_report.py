"""Counts of everything the builder skipped or repaired, with examples.

Every skip or repair is counted by reason, and the first few occurrences keep
their `file:line`, so the manifest shows exactly what happened to bad input:
never a silent drop.
"""
import collections
from typing import Dict, List, Mapping

MAX_EXAMPLES_PER_REASON = 20


class BuildReport:
  """Skipped/repaired items by reason, mergeable across workers."""

  def __init__(self):
    self.skipped = collections.Counter()
    self.repaired = collections.Counter()
    self.examples: Dict[str, List[str]] = collections.defaultdict(list)

  def _note(self, reason: str, where: str):
    if where and len(self.examples[reason]) < MAX_EXAMPLES_PER_REASON:
      self.examples[reason].append(where)

  def skip(self, reason: str, where: str = "", count: int = 1):
    self.skipped[reason] += count
    self._note(reason, where)

  def repair(self, reason: str, where: str = "", count: int = 1):
    self.repaired[reason] += count
    self._note(reason, where)

  def merge(self, other: "BuildReport"):
    self.skipped.update(other.skipped)
    self.repaired.update(other.repaired)
    for reason, wheres in other.examples.items():
      for w in wheres:
        self._note(reason, w)

  def merge_counts(self, counts: Dict[str, int], repaired: bool = True):
    """Adds plain counters (e.g. from a worker's pairing stats)."""
    (self.repaired if repaired else self.skipped).update(
        {k: v for k, v in counts.items() if v})

  def to_json(self) -> dict:
    return {"skipped": dict(sorted(self.skipped.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "examples": {k: v for k, v in sorted(self.examples.items()) if v}}


def describe_counts(counts: Mapping[str, int]) -> str:
  """'3 reason_a, 1 reason_b' (largest first, then by name)."""
  return ", ".join(f"{n} {reason}" for reason, n in
                   sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                   if n)
