"""gin/tpu/*.gin: the Cloud TPU experiments keep the paper settings and add
bf16, a steps_per_loop that keeps the TPU busy and interval-aligned
checkpoints (parsed and built as configs only: there is no TPU here)."""
import glob
import os

import gin
import pytest

from official_ext.compare import flops
from official_ext.trainer import gin_setup
from tests.official_ext.trainer import trainer_fixtures as fx

TPU_DIR = os.path.join(fx.REPO, 'gin', 'tpu')
GRACE_SECONDS = 30  # Spot VM / preemptible TPU notice before the stop.
EXPERIMENTS = {'teams_small.gin': 'small', 'teams_base.gin': 'base',
               'electra_small.gin': 'small', 'electra_base.gin': 'base'}


def test_the_table_covers_every_tpu_experiment():
  assert sorted(EXPERIMENTS) == sorted(
      os.path.basename(p) for p in glob.glob(os.path.join(TPU_DIR, '*.gin'))
      if not p.endswith('/tpu.gin'))


@pytest.mark.parametrize('name', sorted(EXPERIMENTS))
def test_tpu_settings(name, tiny_manifest):
  fx.parse(f'gin/tpu/{name}', f'DATA_MANIFEST = {tiny_manifest!r}')
  assert gin.query_parameter('%SIZE') == EXPERIMENTS[name]
  exp = gin_setup.build_experiment()
  assert exp.mixed_precision == 'mixed_bfloat16'
  # The FLOPs model's v3-8 step time (TEAMS shape; ELECTRA's is a little
  # less): a loop is long next to a host round trip (ms) and short next to
  # the preemption grace period.
  shape = {s.name: s for s in flops.PAPER_SHAPES}[
      f'TEAMS-{EXPERIMENTS[name]}']
  step_seconds = flops.seconds_per_step(flops.train_flops_per_step(shape),
                                        420.0)
  assert 5 < exp.steps_per_loop * step_seconds < GRACE_SECONDS / 1.5
  assert exp.checkpoint_interval % exp.steps_per_loop == 0
  config = exp.train_data.config
  assert config.global_batch_size == 256
  assert config.global_batch_size % 8 == 0  # v3-8 / v4-8 cores.
  assert config.drop_remainder
  assert exp.train_steps == 1000000
