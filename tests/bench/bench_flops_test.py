"""bench/flops.py: the printed table states its assumptions and uses the
library's FLOPs model (official_ext/compare/flops.py)."""
import importlib.util
import os

from official_ext.compare import flops as library

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "bench_flops", os.path.join(_REPO, "bench", "flops.py"))
flops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flops)


def test_one_definition():
  assert flops.train_flops_per_step is library.train_flops_per_step
  assert flops.TeamsShape is library.PretrainShape


def test_paper_report_states_assumptions():
  text = "\n".join(flops.paper_report())
  for needle in ("40% MFU", "TPU v2-8", "TPU v3-8", "TPU v4-8", "TPU v5e-8",
                 "A100", "V100", "TEAMS-large"):
    assert needle in text
