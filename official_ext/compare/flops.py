r"""Analytic training FLOPs of one pretraining step (BERT MLM, ELECTRA, TEAMS).

Pure Python (no TensorFlow): `bench/flops.py` prints tables from it and
`official_ext/compare/budget.py` turns an equal-FLOPs budget into step counts.

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
  MLM head                 2 P H' E + 2 P E V  (dense H'->E at the P masked
                                          positions, then logits against the
                                          tied [V, E] table; H' is the
                                          generator's width, or the
                                          encoder's for BERT MLM)
  RTD head                 T task transformer layers + dense H->H (2 S H^2)
                           + classifier H->1 (2 S H); T = 0 for ELECTRA,
                           1 for TEAMS
  MWS head (TEAMS)         dense H->E at P positions (2 P H E)
                           + K+1 dot products of width E (2 P (K+1) E)

Objectives (`PretrainShape.objective`):
  mlm      one encoder (L layers) + MLM head (BERT; olfmlm's MLM + auxiliary
           tasks: their pooled-vector heads cost O(B H^2) and are left out;
           QT/FS's paired layout is 2B sequences, i.e. `batch` = 2B)
  electra  discriminator (L x H) + generator (L_g layers of width H_g, FFN
           F_g) + generator MLM head + RTD head
  teams    as electra with the generator at the discriminator's width, plus
           the MWS head
The generator's layers shared with the discriminator are counted in BOTH
networks (they run twice: once on the masked input, once on the corrupted
input). A training step is 3x the forward pass (backward ~ 2x forward).
"""
import dataclasses
from typing import Dict, Optional

OBJECTIVES = ('mlm', 'electra', 'teams')
DEFAULT_MFU = 0.40  # model FLOPs utilisation assumed for step-time estimates


@dataclasses.dataclass(frozen=True)
class PretrainShape:
  """Everything the FLOPs count depends on.

  num_layers/hidden/embedding/heads/ffn describe the discriminator (the
  encoder for `mlm`); generator_layers/generator_hidden/generator_ffn the
  generator (hidden/ffn None: the discriminator's, as in TEAMS). heads is
  informational (it does not change the count). batch counts sequences.
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
  objective: str = 'teams'
  generator_hidden: Optional[int] = None
  generator_ffn: Optional[int] = None

  def __post_init__(self):
    if self.objective not in OBJECTIVES:
      raise ValueError(f'{self.name}: unknown objective {self.objective!r}; '
                       f'choose one of {list(OBJECTIVES)}')


TeamsShape = PretrainShape  # the name bench/ and older tests use


def paper_shape(name, num_layers, hidden, embedding, heads, ffn):
  """TEAMS paper (Table 5) pretraining shape: seq 512, batch 256, vocab
  30522, 15% masking (76 predictions), K = 5, generator = half the layers."""
  return PretrainShape(name=name, num_layers=num_layers, hidden=hidden,
                       embedding=embedding, heads=heads, ffn=ffn,
                       generator_layers=num_layers // 2, vocab=30522,
                       seq=512, batch=256, predictions=76, negatives=5)


PAPER_SHAPES = (
    paper_shape('TEAMS-small', 12, 256, 128, 4, 1024),
    paper_shape('TEAMS-base', 12, 768, 768, 12, 3072),
    paper_shape('TEAMS-large', 24, 1024, 1024, 16, 4096),
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
  """MaskedLM head: dense H->E, then logits over the vocab."""
  return (2 * predictions * hidden * embedding
          + 2 * predictions * embedding * vocab)


def rtd_head_flops(seq, hidden, ffn, task_layers=1):
  """RTD head: task transformer layer(s), dense H->H, classifier H->1."""
  return (task_layers * transformer_layer_flops(seq, hidden, ffn)
          + 2 * seq * hidden * hidden + 2 * seq * hidden)


def mws_head_flops(predictions, hidden, embedding, negatives):
  """MWS head: dense H->E at the masked positions, K+1 dot products."""
  return (2 * predictions * hidden * embedding
          + 2 * predictions * (negatives + 1) * embedding)


def forward_breakdown(shape: PretrainShape) -> Dict[str, int]:
  """Forward FLOPs per step (whole batch) by component, in order.

  `mlm` has the keys 'discriminator trunk' (the encoder), 'embedding
  projections' and 'MLM head'; `electra` adds 'generator trunk' and 'RTD
  head' and names the MLM head 'generator MLM head'; `teams` adds 'MWS head'.
  """
  s = shape
  layer = transformer_layer_flops(s.seq, s.hidden, s.ffn)
  projection = embedding_projection_flops(s.seq, s.embedding, s.hidden)
  if s.objective == 'mlm':
    per_sequence = {
        'discriminator trunk': s.num_layers * layer,
        'embedding projections': projection,
        'MLM head': mlm_head_flops(s.predictions, s.hidden, s.embedding,
                                   s.vocab),
    }
  else:
    g_hidden = s.generator_hidden or s.hidden
    g_ffn = s.generator_ffn or s.ffn
    per_sequence = {
        'discriminator trunk': s.num_layers * layer,
        'generator trunk': s.generator_layers * transformer_layer_flops(
            s.seq, g_hidden, g_ffn),
        'embedding projections': projection + embedding_projection_flops(
            s.seq, s.embedding, g_hidden),
        'generator MLM head': mlm_head_flops(s.predictions, g_hidden,
                                             s.embedding, s.vocab),
        'RTD head': rtd_head_flops(s.seq, s.hidden, s.ffn, s.rtd_task_layers),
    }
    if s.objective == 'teams':
      per_sequence['MWS head'] = mws_head_flops(s.predictions, s.hidden,
                                                s.embedding, s.negatives)
  return {k: v * s.batch for k, v in per_sequence.items()}


def forward_flops(shape: PretrainShape) -> int:
  return sum(forward_breakdown(shape).values())


def train_flops_per_step(shape: PretrainShape) -> int:
  """Forward + backward FLOPs of one optimizer step (3x forward)."""
  return 3 * forward_flops(shape)


def seconds_per_step(flops, peak_tflops, mfu=DEFAULT_MFU):
  """Seconds for `flops` at `mfu` of a `peak_tflops` TFLOP/s peak."""
  return flops / (peak_tflops * 1e12 * mfu)
