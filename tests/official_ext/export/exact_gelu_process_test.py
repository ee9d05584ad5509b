"""An exact-GELU export used from a fresh process: the TF Hub SavedModel
through `hub.KerasLayer` and `tf.saved_model.load` with nothing of this
package imported, and the checkpoint rebuilt from `encoder_config.json` by
Model Garden's `encoders.build_encoder` once a fine-tuning module of the
package is imported (it registers the activation)."""

import json
import os
import subprocess
import sys

import numpy as np

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.modeling import activations
from tests.official_ext.interchange import interchange_fixtures as fx

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
_NAMES = ('input_word_ids', 'input_mask', 'input_type_ids')
_SCRIPT = r'''
import json, sys
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
data = np.load(sys.argv[1])
export = sys.argv[2]
inputs = {n: tf.constant(data[n]) for n in %(names)r}
out = dict(hub=hub.KerasLayer(export + '/saved_model')(inputs))
loaded = tf.saved_model.load(export + '/saved_model')
out['signature'] = loaded.signatures['serving_default'](**inputs)
imported_before = [m for m in sys.modules if m.startswith('official_ext')]
from official_ext.finetuning import encoder_init
from official.nlp.configs import encoders
source = encoder_init.resolve(export)
encoder = encoders.build_encoder(source.encoder_config)
tensors = [inputs[n] for n in %(names)r]
encoder(tensors)
tf.train.Checkpoint(encoder=encoder).read(source.checkpoint).expect_partial()
out['model_garden'] = encoder(tensors, training=False)
want = data['sequence_output']
print(json.dumps({
    'imported_before': imported_before,
    'activation': source.fields['hidden_activation'],
    **{k: float(np.abs(v['sequence_output'].numpy() - want).max())
       for k, v in out.items()}}))
''' % {'names': _NAMES}


def test_fresh_process_computes_the_exact_gelu(tmp_path):
  fields = dict(fx.fields(), hidden_activation=activations.GELU_EXACT)
  weights = fx.random_weights(fields)  # std 0.2: O(1) pre-activations
  export = str(tmp_path / 'export')
  export_layout.write(ew.EncoderWeights(fields, weights, 'exact'), export,
                      saved_model=True)
  want = fx.sequence_output(fx.encoder_with(weights, fields))
  tanh = fx.sequence_output(fx.encoder_with(
      weights, dict(fields, hidden_activation=activations.GELU_TANH)))
  assert np.abs(want - tanh).max() > 1e-4
  data = str(tmp_path / 'data.npz')
  np.savez(data, sequence_output=want, **dict(zip(_NAMES, fx.inputs())))
  script = str(tmp_path / 'check.py')
  with open(script, 'w') as f:
    f.write(_SCRIPT)
  run = subprocess.run(
      [sys.executable, script, data, export], capture_output=True,
      text=True, timeout=600, check=False,
      env=dict(os.environ, PYTHONPATH=_REPO, TF_CPP_MIN_LOG_LEVEL='2'))
  assert run.returncode == 0, run.stderr[-3000:]
  got = json.loads(run.stdout.strip().splitlines()[-1])
  assert got['imported_before'] == []
  assert got['activation'] == activations.GELU_EXACT
  for key in ('hub', 'signature', 'model_garden'):
    assert got[key] < 1e-5, got
