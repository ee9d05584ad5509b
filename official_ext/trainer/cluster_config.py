"""Checks the `TF_CONFIG` of a multi-worker job before anything is built.

`--strategy=multi_worker_mirrored` reads the cluster from the `TF_CONFIG`
environment variable, e.g.

  {"cluster": {"worker": ["host0:2222", "host1:2222"]},
   "task": {"type": "worker", "index": 0}}

TensorFlow's own errors for a bad one come late (after the servers start) or
as a hang waiting for a peer that cannot exist; these checks give one line,
naming what is wrong, before the strategy is made.
"""

import json
import os
from typing import Dict, Mapping, Optional

import tensorflow as tf

WORKER_JOBS = ('chief', 'worker')


class ClusterConfigError(ValueError):
  """TF_CONFIG is unusable; the message says why, in one line."""


def parse(text: Optional[str]) -> Dict:
  """The checked TF_CONFIG dict.

  Raises:
    ClusterConfigError: missing, not JSON, no worker job, this task not in
      the cluster, or one address listed twice.
  """
  if not text:
    raise ClusterConfigError(
        '--strategy=multi_worker_mirrored needs TF_CONFIG (the cluster and '
        'this task, as JSON); it is not set.')
  try:
    config = json.loads(text)
  except ValueError as e:
    raise ClusterConfigError(f'TF_CONFIG is not valid JSON ({e}).') from e
  cluster = config.get('cluster') if isinstance(config, dict) else None
  task = config.get('task') if isinstance(config, dict) else None
  if not isinstance(cluster, dict) or not isinstance(task, dict):
    raise ClusterConfigError('TF_CONFIG needs a "cluster" object and a '
                             '"task" object.')
  if not any(cluster.get(job) for job in WORKER_JOBS):
    raise ClusterConfigError('TF_CONFIG\'s cluster has no "worker" (or '
                             '"chief") job.')
  seen = {}
  for job, addresses in cluster.items():
    if not isinstance(addresses, list):
      raise ClusterConfigError(f'TF_CONFIG\'s cluster job {job!r} is not a '
                               'list of "host:port" addresses.')
    for index, address in enumerate(addresses):
      if address in seen:
        raise ClusterConfigError(
            f'TF_CONFIG names {address} twice ({seen[address]} and '
            f'{job}:{index}); each task needs its own host:port.')
      seen[address] = f'{job}:{index}'
  kind, index = task.get('type'), task.get('index')
  if kind not in cluster or not isinstance(index, int) or not (
      0 <= index < len(cluster[kind])):
    raise ClusterConfigError(
        f'TF_CONFIG\'s task {kind}:{index} is not in its cluster '
        f'({", ".join(f"{j}: {len(a)}" for j, a in cluster.items())}).')
  return config


def num_workers(config: Mapping) -> int:
  """Tasks that train (chief + workers)."""
  return sum(len(config['cluster'].get(job, [])) for job in WORKER_JOBS)


def check_environment(environ: Mapping[str, str] = os.environ) -> Dict:
  """`parse(environ['TF_CONFIG'])`."""
  return parse(environ.get('TF_CONFIG'))


def check_global_batch(global_batch_size: int, replicas: int,
                       workers: int = 1) -> None:
  """Raises ClusterConfigError unless the global batch splits evenly."""
  if global_batch_size % replicas:
    where = f' on {workers} workers' if workers > 1 else ''
    raise ClusterConfigError(
        f'the global batch size {global_batch_size} is not divisible by the '
        f'{replicas} replicas{where}; choose a multiple of {replicas}.')


def check_multi_worker_batch(strategy: tf.distribute.Strategy,
                             global_batch_size: int) -> None:
  """Under multi_worker_mirrored, the global batch must split evenly over
  the replicas of every worker (each reads its own part of the records)."""
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    check_global_batch(global_batch_size, strategy.num_replicas_in_sync,
                       num_workers(check_environment()))
