r"""Analytic training FLOPs of a TEAMS generator/discriminator pretraining step.

Pure Python (no TensorFlow), importable by `bench/train_step_bench.py` and
runnable on its own to print the paper-scale table:

  .venv/bin/python bench/flops.py

What is counted (matrix multiplications only, 2 FLOPs per multiply-add;
softmax, LayerNorm, GELU, bias adds, dropout, embedding gathers and the
Gumbel sampler's element-wise work are left out, which is the usual
convention and under-counts by a few per cent):

  per transformer layer, per sequence (S tokens, width H, FFN width F; the
  number of heads does not change the count):
    QKV projections        3 * 2 S H H
    attention scores       2 S S H        (Q K^T, summed over heads)
    attention values       2 S S H        (softmax(.) V)
    output projection      2 S H H
    FFN                    2 * 2 S H F
    total                  8 S H^2 + 4 S^2 H + 4 S H F
  embedding projection     2 S E H        per network pass when E != H
                                          (Model Garden's
                                          PackedSequenceEmbedding)
  generator MLM head       2 P H E + 2 P E V   (dense H->E at the P masked
                                          positions, then logits against the
                                          tied [V, E] table)
  RTD head                 one task transformer layer + dense H->H (2 S H^2)
                           + classifier H->1 (2 S H)
  MWS head                 dense H->E at P positions (2 P H E)
                           + K+1 dot products of width E (2 P (K+1) E)

The discriminator runs L layers and the generator L_g layers; layers the
generator shares with the discriminator are counted in BOTH networks (they
run twice: once on the masked input, once on the corrupted input). A
training step is 3x the forward pass (backward ~ 2x forward). The model is
the same for Model Garden's TEAMS and ours, so the count is the same too.
"""
import dataclasses

# Accelerators: (name, peak TFLOP/s, precision of that peak).
ACCELERATORS = (
    ("TPU v3-8", 420.0, "bf16"),
    ("A100 (1 GPU)", 312.0, "bf16 dense"),
    ("V100 (1 GPU)", 125.0, "fp16 tensor core"),
)
DEFAULT_MFU = 0.40


@dataclasses.dataclass(frozen=True)
class TeamsShape:
  """Everything the FLOPs count depends on.

  num_layers/hidden/embedding/heads/ffn describe the discriminator;
  generator_layers is the generator's depth (same width as the
  discriminator, as in TEAMS). heads is informational (it does not change
  the count).
  """
  name: str
  num_layers: int
  hidden: int
  embedding: int
  heads: int
  ffn: int
  generator_layers: int
  vocab: int
  seq: int
  batch: int
  predictions: int
  negatives: int = 5
  rtd_task_layers: int = 1


def paper_shape(name, num_layers, hidden, embedding, heads, ffn):
  """TEAMS paper (Table 5) pretraining shape: seq 512, batch 256, vocab
  30522, 15% masking (76 predictions), K = 5, generator = half the layers."""
  return TeamsShape(name=name, num_layers=num_layers, hidden=hidden,
                    embedding=embedding, heads=heads, ffn=ffn,
                    generator_layers=num_layers // 2, vocab=30522, seq=512,
                    batch=256, predictions=76, negatives=5)


PAPER_SHAPES = (
    paper_shape("TEAMS-small", 12, 256, 128, 4, 1024),
    paper_shape("TEAMS-base", 12, 768, 768, 12, 3072),
    paper_shape("TEAMS-large", 24, 1024, 1024, 16, 4096),
)


def transformer_layer_flops(seq, hidden, ffn):
  """Forward FLOPs of one transformer layer on one sequence."""
  qkv = 3 * 2 * seq * hidden * hidden
  scores = 2 * seq * seq * hidden
  values = 2 * seq * seq * hidden
  output = 2 * seq * hidden * hidden
  feed_forward = 2 * 2 * seq * hidden * ffn
  return qkv + scores + values + output + feed_forward


def embedding_projection_flops(seq, embedding, hidden):
  """Forward FLOPs of the E->H embedding projection (0 when E == H)."""
  return 0 if embedding == hidden else 2 * seq * embedding * hidden


def mlm_head_flops(predictions, hidden, embedding, vocab):
  """Generator MaskedLM head: dense H->E, then logits over the vocab."""
  return 2 * predictions * hidden * embedding + 2 * predictions * embedding * vocab


def rtd_head_flops(seq, hidden, ffn, task_layers=1):
  """RTD head: task transformer layer(s), dense H->H, classifier H->1."""
  return (task_layers * transformer_layer_flops(seq, hidden, ffn)
          + 2 * seq * hidden * hidden + 2 * seq * hidden)


def mws_head_flops(predictions, hidden, embedding, negatives):
  """MWS head: dense H->E at the masked positions, K+1 dot products."""
  return (2 * predictions * hidden * embedding
          + 2 * predictions * (negatives + 1) * embedding)


def forward_breakdown(shape: TeamsShape):
  """Forward FLOPs per step (whole batch) by component, as an ordered dict."""
  s = shape
  layer = transformer_layer_flops(s.seq, s.hidden, s.ffn)
  projection = embedding_projection_flops(s.seq, s.embedding, s.hidden)
  per_sequence = {
      "discriminator trunk": s.num_layers * layer,
      "generator trunk": s.generator_layers * layer,
      "embedding projections": 2 * projection,
      "generator MLM head": mlm_head_flops(s.predictions, s.hidden,
                                           s.embedding, s.vocab),
      "RTD head": rtd_head_flops(s.seq, s.hidden, s.ffn, s.rtd_task_layers),
      "MWS head": mws_head_flops(s.predictions, s.hidden, s.embedding,
                                 s.negatives),
  }
  return {k: v * s.batch for k, v in per_sequence.items()}


def forward_flops(shape: TeamsShape):
  return sum(forward_breakdown(shape).values())


def train_flops_per_step(shape: TeamsShape):
  """Forward + backward FLOPs of one optimizer step (3x forward)."""
  return 3 * forward_flops(shape)


def seconds_per_step(flops, peak_tflops, mfu=DEFAULT_MFU):
  return flops / (peak_tflops * 1e12 * mfu)


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
