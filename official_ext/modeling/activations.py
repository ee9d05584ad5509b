"""Hidden activations an encoder config may name, and the exact GELU.

`BertEncoderConfig.hidden_activation` is a string that Model Garden resolves
with `official.modeling.tf_utils.get_activation` wherever it builds an
encoder (`teams.get_encoder`, `encoders.build_encoder`) and our pretrainers'
heads resolve the same way. There `'gelu'` is the tanh approximation
(`official.modeling.activations.gelu`):

  gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))

which Google's TF1 BERT and ELECTRA used, while Hugging Face's
`hidden_act: "gelu"` (and PyTorch's default) is the exact form

  gelu_exact(x) = 0.5 x (1 + erf(x / sqrt(2)))

They differ by up to 4.7e-4 per unit, which grows through the layers of a
trained encoder. The exact form is registered here as the Keras-serialisable
function `GELU_EXACT` = 'official_ext>gelu_exact': `get_activation` (which
lower-cases names, hence the lower-case name) falls through to
`tf_keras.activations.get`, which finds registered names. The string stays
an ordinary `hidden_activation` value in `encoder_config.json`, readable by
Model Garden's config classes; building an encoder from it needs this module
imported (`official_ext.interchange.encoder_export` and
`official_ext.modeling.models.size_presets` import it, so every CLI of the
package has it; other code: `import official_ext.modeling.activations`).
"""

import tf_keras

GELU_TANH = 'gelu'
GELU_EXACT = 'official_ext>gelu_exact'
RELU = 'relu'
SILU = 'swish'  # tf_keras: x * sigmoid(x)
SUPPORTED = (GELU_TANH, GELU_EXACT, RELU, SILU)


@tf_keras.utils.register_keras_serializable(package='official_ext',
                                            name='gelu_exact')
def gelu_exact(x):
  """Exact GELU, `x * Phi(x)` with the normal CDF from erf; any shape."""
  return tf_keras.activations.gelu(x, approximate=False)
