"""jiant early stopping on hand-made metric traces; mean_metric by hand."""

import json
import math

import pytest

from official_ext.multitask import early_stopping as es


def _run(stopper, metrics, lr, start_step=0):
  out = []
  for i, m in enumerate(metrics):
    d = stopper.update(start_step + 1000 * (i + 1), m, lr)
    lr = d.new_lr
    out.append(d)
  return out


def test_improvement_lr_halving_and_patience_stop():
  stopper = es.EarlyStopping(patience=10, lr_patience=4)
  # Checks at steps 1000, 2000, ...
  trace = [0.5, 0.6, 0.55, 0.6, 0.59, 0.58,   # 4 bad checks -> lr halves.
           0.7,                                # Improves: counters reset.
           0.69, 0.68, 0.67, 0.66, 0.65, 0.64, 0.63, 0.62, 0.61, 0.60]
  ds = _run(stopper, trace, 1e-3)
  assert [d.improved for d in ds] == [True, True] + [False] * 4 + [True] + (
      [False] * 10)
  assert [d.best for d in ds[:3]] == [0.5, 0.6, 0.6]
  assert ds[3].improved is False          # A tie is not an improvement.
  assert [d.new_lr for d in ds[:7]] == [1e-3] * 5 + [5e-4] * 2
  assert 'lr decayed to 0.0005' in ds[5].reason
  assert ds[6].best == 0.7 and ds[6].best_step == 7000
  # After the improvement: halves again at bad checks 4 and 8.
  assert [d.new_lr for d in ds[7:]] == (
      [5e-4] * 3 + [2.5e-4] * 4 + [1.25e-4] * 3)
  assert [d.stop for d in ds] == [False] * 16 + [True]
  assert ds[-1].reason.endswith('stop: 10 checks without improvement')
  assert ds[-1].best == 0.7 and ds[-1].best_step == 7000
  assert stopper.stopped


def test_lr_counter_restarts_after_improvement():
  stopper = es.EarlyStopping(lr_patience=4)
  ds = _run(stopper, [1.0, 0.9, 0.9, 0.9, 1.1, 1.0, 1.0, 1.0], 1e-5)
  assert all(d.new_lr == 1e-5 for d in ds)
  assert not any(d.stop for d in ds)


def test_stop_when_lr_below_min_lr():
  stopper = es.EarlyStopping(patience=20, lr_patience=1, min_lr=1e-6)
  ds = _run(stopper, [0.8, 0.7, 0.7, 0.7], 4e-6)
  assert [d.new_lr for d in ds] == [4e-6, 2e-6, 1e-6, 5e-7]
  assert [d.stop for d in ds] == [False, False, False, True]   # 1e-6 == min.
  assert 'stop: lr 5e-07 < min_lr 1e-06' in ds[-1].reason


def test_min_mode_and_nan_metric():
  stopper = es.EarlyStopping(patience=3, mode='min')
  ds = _run(stopper, [2.0, 1.5, float('nan'), 1.6, 1.5], 1e-3)
  assert [d.improved for d in ds] == [True, True, False, False, False]
  assert ds[2].reason.startswith('metric is nan; no improvement')
  assert ds[-1].stop and ds[-1].best == 1.5 and ds[-1].best_step == 2000
  first = es.EarlyStopping().update(0, float('nan'), 1e-3)
  assert math.isnan(first.best) and first.best_step == -1


def test_state_round_trip_continues_counters():
  trace = [0.5, 0.6, 0.59, 0.58, 0.57]
  stopper = es.EarlyStopping(patience=6, lr_patience=4)
  _run(stopper, trace, 1e-3)
  state = json.loads(json.dumps(stopper.state_dict()))
  assert state['best'] == 0.6 and state['bad_checks'] == 3
  restored = es.EarlyStopping.from_state_dict(state)
  assert restored.state_dict() == stopper.state_dict()
  rest = [0.55, 0.55, 0.55]
  assert _run(restored, rest, 1e-3, 5000) == _run(stopper, rest, 1e-3, 5000)
  # Bad check 4 halves the lr, bad check 6 stops.
  d = _run(es.EarlyStopping.from_state_dict(state), rest, 1e-3, 5000)
  assert [x.new_lr for x in d] == [5e-4, 5e-4, 5e-4]
  assert [x.stop for x in d] == [False, False, True]
  fresh = json.loads(json.dumps(es.EarlyStopping().state_dict()))
  assert fresh['best'] is None
  with pytest.raises(ValueError, match=r"missing \['best_step'"):
    es.EarlyStopping.from_state_dict({k: v for k, v in state.items()
                                      if k != 'best_step'})


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(patience=0), 'patience must be an integer >= 1'),
    (dict(lr_patience=1.5), 'lr_patience must be an integer >= 1'),
    (dict(lr_decay=0.0), 'lr_decay must be > 0.0'),
    (dict(lr_decay=2.0), r'lr_decay must be in \(0, 1\]'),
    (dict(min_lr=-1.0), 'min_lr must be >= 0.0'),
    (dict(mode='best'), "unknown mode 'best'; known modes: max, min"),
])
def test_bad_settings(kwargs, pattern):
  with pytest.raises(ValueError, match=pattern):
    es.EarlyStopping(**kwargs)


def test_bad_update_arguments():
  with pytest.raises(ValueError, match='current_lr must be > 0.0'):
    es.EarlyStopping().update(0, 0.5, 0.0)
  with pytest.raises(ValueError, match='step must be an integer'):
    es.EarlyStopping().update(1.5, 0.5, 1e-3)


def test_mean_metric_by_hand():
  # Perplexity 50 enters as 1 - 50 / 250 = 0.8: (0.5 + 0.9 + 0.8) / 3.
  assert es.mean_metric({'cola': 0.5, 'sst': 0.9, 'lm': 50.0},
                        falling=['lm']) == pytest.approx(2.2 / 3)
  # Percent metrics are averaged as given.
  assert es.mean_metric({'rte': 70.0, 'mrpc': 85.0}) == pytest.approx(77.5)
  # A perplexity above 250 enters below 0: 1 - 500 / 250 = -1.
  assert es.mean_metric({'lm': 500.0}, falling=('lm',)) == -1.0


def test_mean_metric_errors():
  with pytest.raises(ValueError, match='no task metrics given'):
    es.mean_metric({})
  with pytest.raises(ValueError, match=r"falling metric task\(s\) \['ppl'\] "
                     'have no metric'):
    es.mean_metric({'lm': 30.0}, falling=['ppl'])
  with pytest.raises(ValueError, match="task 'sts': metric must be a finite"):
    es.mean_metric({'sts': float('nan')})
