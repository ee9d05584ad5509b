"""bench/hf_agreement.py: our export and transformers agree on trained-
magnitude weights, and the other GELU would not (so the figure can fail)."""
import os
import sys

import pytest

_EXTRA = 'the interop extra is not installed (make test-interop)'
pytest.importorskip('torch', reason=_EXTRA)
pytest.importorskip('transformers', reason=_EXTRA)

# pylint: disable=g-import-not-at-top,wrong-import-position
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.modeling import activations
from tests.official_ext.interchange import interchange_fixtures as fx
from tfrecords_tools.s2_tokens import vocab as vocab_lib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'bench'))
import hf_agreement
# pylint: enable=g-import-not-at-top,wrong-import-position


@pytest.mark.parametrize('activation', [activations.GELU_EXACT,
                                        activations.GELU_TANH])
def test_an_export_agrees_with_transformers_on_sst2_text(tmp_path,
                                                         activation):
  sentences = hf_agreement.sst2_dev(6)
  words = sorted({w for s in sentences for w in s.lower().split()
                  if w.isalpha()})
  vocab_file = str(tmp_path / 'vocab.txt')
  vocab_lib.write_vocab(list(vocab_lib.RESERVED_TOKENS) + words, vocab_file)
  fields = dict(fx.fields(vocab_size=len(vocab_lib.RESERVED_TOKENS) +
                          len(words)), hidden_activation=activation)
  export_dir = str(tmp_path / 'export')
  export_layout.write(ew.EncoderWeights(
      fields=fields, weights=fx.random_weights(fields, scale=0.2),
      source='trained-like', vocab_file=vocab_file, do_lower_case=True),
                      export_dir)
  name, act, worst, mean, scale, other = hf_agreement.measure(
      export_dir, sentences, 24)
  assert (name, act) == ('BertModel', {activations.GELU_EXACT: 'gelu',
                                       activations.GELU_TANH: 'gelu_new'}[
                                           activation])
  assert worst <= 1e-5 and mean <= worst
  assert scale > 1.0  # trained magnitudes, not 0.02-scale outputs
  assert other > 1e-4
