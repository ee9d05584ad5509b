r"""Prints the analytic training FLOPs of TEAMS pretraining at paper sizes.

The FLOPs model itself (what is counted and how) lives in
`official_ext/compare/flops.py`; this script only prints tables from it and
re-exports its names for `bench/train_step_bench.py`:

  .venv/bin/python bench/flops.py
"""
import os
import sys

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
  sys.path.insert(0, _REPO)

# pylint: disable=g-import-not-at-top,wrong-import-position,unused-import
from official_ext.compare.flops import DEFAULT_MFU
from official_ext.compare.flops import forward_breakdown
from official_ext.compare.flops import forward_flops
from official_ext.compare.flops import PAPER_SHAPES
from official_ext.compare.flops import seconds_per_step
from official_ext.compare.flops import TeamsShape
from official_ext.compare.flops import train_flops_per_step
# pylint: enable=g-import-not-at-top,wrong-import-position,unused-import

# Accelerators: (name, peak TFLOP/s, precision of that peak).
ACCELERATORS = (
    ("TPU v2-8", 180.0, "bf16"),
    ("TPU v3-8", 420.0, "bf16"),
    ("TPU v4-8", 1100.0, "bf16"),  # 4 chips x 275
    ("TPU v5e-8", 1576.0, "bf16"),  # 8 chips x 197
    ("A100 (1 GPU)", 312.0, "bf16 dense"),
    ("V100 (1 GPU)", 125.0, "fp16 tensor core"),
)


def _eng(value):
  for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6)):
    if abs(value) >= scale:
      return f"{value / scale:.2f} {unit}"
  return f"{value:.0f} "


def shape_line(shape: TeamsShape):
  s = shape
  return (f"{s.name}: L={s.num_layers} H={s.hidden} E={s.embedding} "
          f"A={s.heads} F={s.ffn} generator L={s.generator_layers} "
          f"V={s.vocab} S={s.seq} B={s.batch} P={s.predictions} "
          f"K={s.negatives}")


def paper_report(shapes=PAPER_SHAPES, mfu=DEFAULT_MFU):
  """Lines: FLOPs per step of each shape and the implied time per step."""
  lines = [
      "Training FLOPs per step (matmuls only, 3x forward; shared generator "
      "layers counted twice)",
      f"Implied time per step assumes {mfu:.0%} MFU (model FLOPs "
      "utilisation) of the stated dense peak:",
      "  " + "; ".join(f"{name} {peak:g} TFLOP/s {prec}"
                       for name, peak, prec in ACCELERATORS),
  ]
  for shape in shapes:
    lines.append("  " + shape_line(shape))
  header = f"  {'model':<12} {'FLOPs/step':>12} {'trunk share':>11}"
  for name, _, _ in ACCELERATORS:
    header += f" {name + ' s/step':>20}"
  lines.append(header)
  for shape in shapes:
    breakdown = forward_breakdown(shape)
    total = train_flops_per_step(shape)
    trunk = (breakdown["discriminator trunk"] + breakdown["generator trunk"]
             ) / sum(breakdown.values())
    row = f"  {shape.name:<12} {_eng(total) + 'FLOP':>12} {trunk:>11.0%}"
    for _, peak, _ in ACCELERATORS:
      row += f" {seconds_per_step(total, peak, mfu):>20.3f}"
    lines.append(row)
  lines.append("  (hours for 1M steps = s/step x 277.8)")
  return lines


def breakdown_report(shape: TeamsShape):
  """Lines: the forward FLOPs breakdown of one shape."""
  breakdown = forward_breakdown(shape)
  total = sum(breakdown.values())
  lines = [f"  forward FLOPs of {shape.name} by component:"]
  for name, value in breakdown.items():
    lines.append(f"    {name:<22} {_eng(value) + 'FLOP':>12} "
                 f"{value / total:>6.1%}")
  return lines


def main():
  print("\n".join(paper_report()))
  for shape in PAPER_SHAPES:
    print("\n".join(breakdown_report(shape)))


if __name__ == "__main__":
  main()
