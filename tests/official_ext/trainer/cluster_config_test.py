"""TF_CONFIG checks: each bad cluster gives one line before any step."""
import json

import pytest

from official_ext.trainer import cluster_config
from official_ext.trainer import strategy_builder

GOOD = {'cluster': {'worker': ['localhost:2222', 'localhost:2223']},
        'task': {'type': 'worker', 'index': 1}}


def _error(text):
  with pytest.raises(cluster_config.ClusterConfigError) as info:
    cluster_config.parse(text)
  message = str(info.value)
  assert '\n' not in message
  return message


def test_a_good_config_and_its_worker_count():
  config = cluster_config.parse(json.dumps(GOOD))
  assert cluster_config.num_workers(config) == 2
  with_chief = dict(GOOD, cluster=dict(GOOD['cluster'],
                                       chief=['localhost:2224']))
  assert cluster_config.num_workers(cluster_config.parse(
      json.dumps(with_chief))) == 3


def test_missing_or_malformed():
  assert 'needs TF_CONFIG' in _error(None)
  assert _error('{"cluster": ').startswith('TF_CONFIG is not valid JSON (')
  assert 'needs a "cluster" object' in _error('[1, 2]')
  assert 'has no "worker"' in _error(json.dumps(
      {'cluster': {'ps': ['a:1']}, 'task': {'type': 'ps', 'index': 0}}))
  assert "job 'worker' is not a list" in _error(json.dumps(
      {'cluster': {'worker': 'a:1'}, 'task': {'type': 'worker', 'index': 0}}))


def test_this_task_twice_or_not_at_all():
  twice = dict(GOOD, cluster={'worker': ['localhost:2222'] * 2})
  assert _error(json.dumps(twice)) == (
      'TF_CONFIG names localhost:2222 twice (worker:0 and worker:1); each '
      'task needs its own host:port.')
  outside = dict(GOOD, task={'type': 'worker', 'index': 2})
  assert _error(json.dumps(outside)) == (
      "TF_CONFIG's task worker:2 is not in its cluster (worker: 2).")


def test_global_batch_must_split_over_the_workers():
  cluster_config.check_global_batch(8, 2, workers=2)
  with pytest.raises(cluster_config.ClusterConfigError) as info:
    cluster_config.check_global_batch(9, 2, workers=2)
  assert str(info.value) == (
      'the global batch size 9 is not divisible by the 2 replicas on 2 '
      'workers; choose a multiple of 2.')


def test_strategy_builder_checks_tf_config_first(monkeypatch):
  monkeypatch.setenv('TF_CONFIG', '{not json')
  with pytest.raises(cluster_config.ClusterConfigError,
                     match='TF_CONFIG is not valid JSON'):
    strategy_builder.build_strategy('multi_worker_mirrored')
