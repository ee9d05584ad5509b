"""Hugging Face `hidden_act` names <-> our `hidden_activation`.

What each HF name computes (transformers' `ACT2FN`), checked against ours
on [-8, 8] by `tests/official_ext/interchange/interop_test.py` (max
difference ~1e-6, float32):

  gelu, gelu_python             exact (erf) GELU -> 'official_ext>gelu_exact'
  gelu_new, gelu_pytorch_tanh,  tanh GELU        -> 'gelu' (Model Garden's)
  gelu_fast, gelu_accurate,
  gelu_python_tanh
  relu                          relu             -> 'relu'
  silu, swish                   x * sigmoid(x)   -> 'swish'

(`gelu_fast` writes the same tanh formula as `x * 0.7978845608 * (1 +
0.044715 x^2)`.) Other names (quick_gelu, gelu_10, mish, ...) compute
something else and are refused. Writing names what our encoder computes:
tanh GELU as `gelu_new` (every transformers version knows it), exact GELU
as `gelu`.
"""

from typing import Optional

from official_ext.interchange import encoder_weights as ew
from official_ext.modeling import activations

FROM_HF = {
    'gelu': activations.GELU_EXACT,
    'gelu_python': activations.GELU_EXACT,
    'gelu_new': activations.GELU_TANH,
    'gelu_pytorch_tanh': activations.GELU_TANH,
    'gelu_fast': activations.GELU_TANH,
    'gelu_accurate': activations.GELU_TANH,
    'gelu_python_tanh': activations.GELU_TANH,
    'relu': activations.RELU,
    'silu': activations.SILU,
    'swish': activations.SILU,
}
TO_HF = {
    activations.GELU_EXACT: 'gelu',
    activations.GELU_TANH: 'gelu_new',
    activations.RELU: 'relu',
    activations.SILU: 'silu',
    'silu': 'silu',
}
HF_DEFAULT = 'gelu'  # BertConfig / ElectraConfig default


def from_hf(hidden_act: Optional[str], where: str) -> str:
  """Our `hidden_activation` for an HF `hidden_act` (None: HF's default)."""
  name = HF_DEFAULT if hidden_act is None else hidden_act
  if not isinstance(name, str) or name not in FROM_HF:
    raise ew.InterchangeError(
        f'{where}: hidden_act={name!r} is not supported (one of '
        f'{", ".join(sorted(FROM_HF))})')
  return FROM_HF[name]


def to_hf(hidden_activation: str, where: str) -> str:
  """The HF `hidden_act` that computes our `hidden_activation`."""
  name = str(hidden_activation).lower()
  if name not in TO_HF:
    raise ew.InterchangeError(
        f'{where}: hidden_activation={hidden_activation!r} has no Hugging '
        f'Face equivalent (one of {", ".join(sorted(TO_HF))})')
  return TO_HF[name]
