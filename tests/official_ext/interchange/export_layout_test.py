"""Writing and reading our export layout from canonical weights."""

import json
import os

import numpy as np

from official_ext.finetuning import encoder_init
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from tests.official_ext.interchange import interchange_fixtures as fx


def test_write_read_round_trip_with_tokenizer(tmp_path):
  encoder_fields = fx.fields()
  weights = fx.random_weights(encoder_fields, pooler=False)
  vocab = fx.write_vocab(str(tmp_path / 'v.txt'))
  out = str(tmp_path / 'export')
  paths = export_layout.write(
      ew.EncoderWeights(encoder_fields, weights, 'src', vocab_file=vocab,
                        do_lower_case=False), out)
  assert paths['initialised'] == ['cls_transform/bias:0',
                                  'cls_transform/kernel:0']
  assert paths['checkpoint'].endswith('encoder/ckpt-1')
  with open(os.path.join(out, 'casing.json')) as f:
    assert json.load(f) == {'do_lower_case': False}
  back = export_layout.read(out)
  assert back.do_lower_case is False
  assert back.vocab_file == os.path.join(out, 'vocab.txt')
  for key, value in weights.items():
    np.testing.assert_array_equal(back.weights[key], value)
  # The fine-tuning side takes it as --init_checkpoint, vocab included.
  source = encoder_init.resolve(out)
  assert source.vocab_file == os.path.join(out, 'vocab.txt')
  assert source.fields['intermediate_size'] == 96
