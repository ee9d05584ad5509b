"""Shared pytest setup: `--runslow` opts in to tests marked `slow`; one
summary line names why tests were skipped."""
import collections
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
  sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_addoption(parser):
  parser.addoption("--runslow", action="store_true", default=False,
                   help="also run tests marked slow")


def pytest_configure(config):
  config.addinivalue_line("markers", "slow: slow test, run with --runslow")


def pytest_collection_modifyitems(config, items):
  if config.getoption("--runslow"):
    return
  skip = pytest.mark.skip(reason="slow: run with --runslow")
  for item in items:
    if "slow" in item.keywords:
      item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
  """One line naming why tests were skipped (e.g. the interop extra is not
  installed), without -rs's line per test."""
  reasons = collections.Counter()
  for report in terminalreporter.stats.get("skipped", []):
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reasons[reason.removeprefix("Skipped: ")] += 1
  if reasons:
    terminalreporter.write_line("skipped: " + "; ".join(
        f"{count} x {reason}" for reason, count in sorted(reasons.items())))
