"""official_ext/compare/flops.py: hand-computed FLOPs of tiny cases and scale checks.

Every expected number is written out as multiply-adds of the matrices
involved (2 FLOPs each), not recomputed with the module's formula.
"""
import dataclasses

import pytest

from official_ext.compare import flops


def test_transformer_layer_hidden4_seq2_ffn16():
  # x: [2, 4]. Q, K, V: three [2,4]@[4,4] = 3 * 32 MACs = 96 MACs.
  qkv = 96 * 2
  # Two heads of width 2: scores [2,2]@[2,2] per head = 8 MACs, x2 heads.
  scores = 16 * 2
  # Values: softmax [2,2] @ V_head [2,2] = 8 MACs per head, x2 heads.
  values = 16 * 2
  # Output projection [2,4]@[4,4] = 32 MACs.
  output = 32 * 2
  # FFN [2,4]@[4,16] = 128 MACs, then [2,16]@[16,4] = 128 MACs.
  ffn = 256 * 2
  assert qkv + scores + values + output + ffn == 832
  assert flops.transformer_layer_flops(seq=2, hidden=4, ffn=16) == 832


def test_transformer_layer_hidden2_seq3_ffn8():
  # QKV 3 * [3,2]@[2,2] = 36 MACs; scores [3,2]@[2,3] = 18 MACs; values
  # [3,3]@[3,2] = 18 MACs; output [3,2]@[2,2] = 12 MACs; FFN [3,2]@[2,8] +
  # [3,8]@[8,2] = 96 MACs. Total 180 MACs.
  assert flops.transformer_layer_flops(seq=3, hidden=2, ffn=8) == 360


def test_transformer_layer_teams_base():
  # S=512, H=768, F=3072: 8*S*H^2 = 2,415,919,104; 4*S^2*H = 805,306,368;
  # 4*S*H*F = 4,831,838,208.
  assert flops.transformer_layer_flops(512, 768, 3072) == 8_053_063_680


def test_heads():
  # [2,3]@[3,4] = 24 MACs; E == H: no projection.
  assert flops.embedding_projection_flops(seq=2, embedding=3, hidden=4) == 48
  assert flops.embedding_projection_flops(seq=2, embedding=4, hidden=4) == 0
  # Dense [2,4]@[4,3] = 24 MACs; logits [2,3]@[3,10] = 60 MACs.
  assert flops.mlm_head_flops(predictions=2, hidden=4, embedding=3,
                              vocab=10) == 168
  # Dense [2,4]@[4,3] = 24 MACs; K+1 = 3 dot products of width 3 at 2
  # positions = 18 MACs.
  assert flops.mws_head_flops(predictions=2, hidden=4, embedding=3,
                              negatives=2) == 84
  # Task layer 832 FLOPs + dense [2,4]@[4,4] = 32 MACs + classifier
  # [2,4]@[4,1] = 8 MACs.
  assert flops.rtd_head_flops(seq=2, hidden=4, ffn=16, task_layers=1) == 912


def _tiny(**overrides):
  shape = flops.TeamsShape(name="t", num_layers=2, hidden=4, embedding=3,
                           heads=2, ffn=16, generator_layers=1, vocab=10,
                           seq=2, batch=3, predictions=2, negatives=2)
  return dataclasses.replace(shape, **overrides)


def test_whole_step_tiny():
  # Per sequence: discriminator 2 layers 2*832, generator 1 layer 832 (its
  # shared layer runs again), two E->H projections 2*48, MLM 168, RTD 912,
  # MWS 84 = 3756. Batch 3: 11268 forward; training 3x = 33804.
  breakdown = flops.forward_breakdown(_tiny())
  assert breakdown["discriminator trunk"] == 3 * 1664
  assert breakdown["generator trunk"] == 3 * 832
  assert breakdown["embedding projections"] == 3 * 96
  assert flops.forward_flops(_tiny()) == 11268
  assert flops.train_flops_per_step(_tiny()) == 33804


def test_scaling():
  base = flops.PAPER_SHAPES[1]
  assert base.name == "TEAMS-base"
  deeper = dataclasses.replace(base, num_layers=24, generator_layers=12)
  one, two = flops.forward_breakdown(base), flops.forward_breakdown(deeper)
  for part in ("discriminator trunk", "generator trunk"):
    assert two[part] == 2 * one[part]
  ratio = flops.train_flops_per_step(deeper) / flops.train_flops_per_step(
      base)
  assert 1.85 < ratio < 2.0  # heads do not double
  assert flops.train_flops_per_step(
      dataclasses.replace(base, batch=512)) == 2 * flops.train_flops_per_step(
          base)
  # Heads do not change the count; longer sequences cost more than linearly.
  assert flops.forward_flops(dataclasses.replace(base, heads=1)) == (
      flops.forward_flops(base))
  assert flops.transformer_layer_flops(1024, 768, 3072) > (
      2 * flops.transformer_layer_flops(512, 768, 3072))
  small, _, large = flops.PAPER_SHAPES
  assert (flops.train_flops_per_step(small) < flops.train_flops_per_step(base)
          < flops.train_flops_per_step(large))


def test_seconds_per_step():
  # 168 TFLOP at 40% of 420 TFLOP/s = 168 TFLOP/s: one second.
  assert flops.seconds_per_step(168e12, 420.0, 0.4) == pytest.approx(1.0)


def test_bert_mlm_tiny():
  # One encoder: 2 layers 2*832 = 1664; one E->H projection [2,3]@[3,4] =
  # 24 MACs = 48; MLM head [2,4]@[4,3] + [2,3]@[3,10] = 24 + 60 MACs = 168.
  # Per sequence 1880, batch 3: 5640 forward, 16920 per training step.
  shape = _tiny(objective="mlm", generator_layers=0)
  assert flops.forward_breakdown(shape) == {
      "discriminator trunk": 3 * 1664, "embedding projections": 3 * 48,
      "MLM head": 3 * 168}
  assert flops.train_flops_per_step(shape) == 16920


def test_electra_tiny_narrow_generator():
  # Generator: 2 layers of width 2, FFN 8. One layer on 2 tokens: QKV
  # 3*[2,2]@[2,2] = 24 MACs, scores 8, values 8, output 8, FFN [2,2]@[2,8] +
  # [2,8]@[8,2] = 64: 112 MACs = 224 FLOPs; two layers 448.
  # Projections: E->H 48 + E->H_g [2,3]@[3,2] = 12 MACs = 24: 72.
  # Generator MLM head: [2,2]@[2,3] + [2,3]@[3,10] = 12 + 60 MACs = 144.
  # RTD head without task layers: [2,4]@[4,4] + [2,4]@[4,1] = 32 + 8 MACs
  # = 80. With the 1664 discriminator: 2408 per sequence, x3 = 7224.
  shape = _tiny(objective="electra", generator_layers=2, generator_hidden=2,
                generator_ffn=8, rtd_task_layers=0)
  breakdown = flops.forward_breakdown(shape)
  assert breakdown["generator trunk"] == 3 * 448
  assert breakdown["embedding projections"] == 3 * 72
  assert breakdown["generator MLM head"] == 3 * 144
  assert breakdown["RTD head"] == 3 * 80
  assert "MWS head" not in breakdown
  assert flops.train_flops_per_step(shape) == 3 * 7224


def test_unknown_objective():
  with pytest.raises(ValueError, match="t: unknown objective 'xlnet'"):
    _tiny(objective="xlnet")
