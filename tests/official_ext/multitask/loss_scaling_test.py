"""jiant loss scales and Muppet 1 / ln n, by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

from official_ext.multitask import loss_scaling as ls

SIZES = {'a': 100, 'b': 900}


def test_jiant_scales_by_hand():
  assert ls.loss_scales(SIZES, 'uniform') == {'a': 1.0, 'b': 1.0}
  s = ls.loss_scales(SIZES, 'proportional')
  assert s['a'] == pytest.approx(1 / 9) and s['b'] == 1.0
  s = ls.loss_scales(SIZES, 'power', power=0.5)        # 10 / 30
  assert s['a'] == pytest.approx(1 / 3) and s['b'] == 1.0
  # 0.75: (100 / 900)^0.75 = (1/9)^0.75 = 3^-1.5 = 0.19245.
  s = ls.loss_scales(SIZES, 'power')
  assert s['a'] == pytest.approx(0.19245, rel=1e-4) and s['b'] == 1.0
  assert list(ls.loss_scales({'z': 4, 'y': 2}, 'proportional')) == ['z', 'y']


def test_muppet_scales_by_hand():
  assert ls.muppet_scale(2) == pytest.approx(1.442695, rel=1e-6)   # 1/ln 2
  assert ls.muppet_scale(3) == pytest.approx(0.910239, rel=1e-6)   # 1/ln 3
  # ln 384 = ln 3 + 7 ln 2 = 1.098612 + 4.852030 = 5.950643 -> 0.168049.
  assert ls.muppet_scale(384) == pytest.approx(0.168049, rel=1e-5)
  assert ls.muppet_scales({'rte': 2, 'mnli': 3}) == {
      'rte': pytest.approx(1.442695), 'mnli': pytest.approx(0.910239)}


def test_uniform_prediction_loss_scales_to_one():
  for n in (2, 3, 5, 384):
    assert ls.scaled_loss(math.log(n), n) == pytest.approx(1.0)


def test_scaled_loss_on_tensors_and_arrays():
  t = ls.scaled_loss(tf.constant([math.log(2.0), 1.0]), 2)
  assert t.numpy().tolist() == pytest.approx([1.0, 1.442695], rel=1e-6)
  a = ls.scaled_loss(np.array([math.log(3.0)]), np.int64(3))
  assert a.tolist() == pytest.approx([1.0])


@pytest.mark.parametrize('n', [1, 0, -2, 2.0, True])
def test_bad_num_predictions_names_task(n):
  with pytest.raises(ValueError, match="task 'stsb': num_predictions must "
                     'be an integer >= 2'):
    ls.scaled_loss(1.0, n, task='stsb')


def test_bad_method_and_sizes():
  with pytest.raises(ValueError, match="unknown loss scaling method "
                     "'log_proportional'; known methods: power, "
                     'proportional, uniform'):
    ls.loss_scales(SIZES, 'log_proportional')
  with pytest.raises(ValueError, match="task 'b' has an empty training split"):
    ls.loss_scales({'a': 3, 'b': 0}, 'uniform')
  with pytest.raises(ValueError, match='every task has size 0'):
    ls.loss_scales({'a': 0}, 'proportional')
  with pytest.raises(ValueError, match="task 'a': negative size"):
    ls.loss_scales({'a': -1}, 'proportional')
