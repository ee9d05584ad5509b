"""MirroredStrategy over 2 logical CPUs takes the same steps as one device
on the same global batch (in a subprocess: the logical devices must be set
before TensorFlow initialises them).

Tolerance: 1e-5 relative on every loss at every step, 1e-5 absolute on the
weights after the last step (float32 sums in a different order).

The losses are weighted means over the global batch on every replica count
(`pretrain_losses.weighted_mean` all-reduces the denominators), so the
builder's records, whose rows differ in padding and masked positions, match
too, not only rows that carry equal loss weights.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.official_ext.trainer import trainer_fixtures as fx


def _run_worker(*args):
  proc = subprocess.run(
      [sys.executable, '-m', 'tests.official_ext.trainer.mirrored_worker',
       *args], cwd=fx.REPO, capture_output=True, text=True, timeout=900,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES=''))
  assert proc.returncode == 0, proc.stderr[-3000:]
  line = [l for l in proc.stdout.splitlines() if l.startswith('RESULT ')][0]
  return json.loads(line[len('RESULT '):])


def _assert_same_steps(result, steps):
  one, mirrored = result['one_device'], result['mirrored']
  assert (one['replicas'], mirrored['replicas']) == (1, 2)
  assert len(one['losses']) == steps
  for step in range(steps):
    assert sorted(one['losses'][step]) == sorted(mirrored['losses'][step])
    for name, value in one['losses'][step].items():
      np.testing.assert_allclose(mirrored['losses'][step][name], value,
                                 rtol=1e-5, err_msg=f'{name} step {step}')
  # Training moved (else equality shows nothing).
  assert one['losses'][0]['loss'] != one['losses'][-1]['loss']
  for a, b in zip(one['weights'], mirrored['weights']):
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)


def test_trainer_mirrored_matches_one_device():
  _assert_same_steps(_run_worker('toy', '4'), 4)


@pytest.mark.slow
def test_teams_mirrored_matches_one_device(tmp_path):
  records = fx.write_uniform_records(str(tmp_path / 'uniform.tfrecord'), 64,
                                     64, 10, 7027)
  _assert_same_steps(_run_worker('teams', '3', records), 3)


@pytest.mark.slow
def test_teams_mirrored_matches_one_device_on_uneven_records(tmp_path):
  manifest = fx.build_records(str(tmp_path))
  records = os.path.join(os.path.dirname(manifest), '*.tfrecord')
  _assert_same_steps(_run_worker('teams', '3', records), 3)
