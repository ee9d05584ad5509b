r"""Do our trained encoders and `transformers` compute the same thing?

  .venv/bin/python bench/hf_agreement.py \
      --export_dirs=out/demo/encoders/continued_mlm,out/demo/encoders/released \
      [--sentences=64] [--max_seq_length=64]

Needs the `interop` extra (`make test-interop` installs it). For each of our
exports (`official_ext.export` or `official_ext.import_checkpoint` output) it
writes the Hugging Face directory with `official_ext.export --format=hf`,
loads it with `transformers.AutoModel` (PyTorch, float32), tokenises the
first `--sentences` sentences of the bundled SST-2 dev sample with the
`transformers` tokenizer of that directory, and prints, over real (unpadded)
tokens, the largest and mean |difference| between our `sequence_output` and
`last_hidden_state`, the largest |output| (for scale), and the largest
difference had the HF config named the other GELU (what an exporter that
mislabels the activation gives). Token ids are checked against our
tokenizer on the same sentences.

Measured on the demo's encoders (2026-12-05; all-MiniLM-L6-v2, 6 x 384,
exact GELU; 64 sentences, 55 s), max |difference| (other GELU):
released 5.3e-6 (5.0e-3), continued MLM 5.0e-6 (5.1e-3), continued TEAMS
4.3e-6 (3.8e-3); outputs up to 6.1, mean |difference| 3.3e-7.
"""
import os
import sys
import tempfile

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
# pylint: disable=g-import-not-at-top,wrong-import-position
from official_ext.export import __main__ as export_main
from official_ext.interchange import encoder_variables
from official_ext.interchange import export_layout
from official_ext.interchange import hf_activations
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s2_tokens import wordpiece
# pylint: enable=g-import-not-at-top,wrong-import-position

FLAGS = flags.FLAGS
OTHER_GELU = {'gelu': 'gelu_new', 'gelu_new': 'gelu'}


def define_flags():
  flags.DEFINE_list('export_dirs', None, 'Our exports to compare.')
  flags.DEFINE_integer('sentences', 64, 'SST-2 dev sentences to encode.')
  flags.DEFINE_integer('max_seq_length', 64, 'Tokens per sentence.')


def sst2_dev(count):
  with tf.io.gfile.GFile(os.path.join(REPO, 'data', 'sst2', 'dev.tsv')) as f:
    rows = f.read().split('\n')[1:]
  return [row.rsplit('\t', 1)[0].strip() for row in rows if row.strip()
          ][:count]


def _hidden(model, batch):
  import torch  # pylint: disable=g-import-not-at-top
  with torch.no_grad():
    return model(**{k: torch.tensor(v) for k, v in batch.items()}
                 ).last_hidden_state.float().numpy()


def measure(export_dir, sentences, length):
  """A row: HF class, hidden_act, max / mean |diff|, max |output|, the other
  GELU's max |diff| (None for a non-GELU activation)."""
  import transformers  # pylint: disable=g-import-not-at-top
  ours = export_layout.read(export_dir)
  with tempfile.TemporaryDirectory() as hf_dir:
    export_main.export_from_export_dir(export_dir, hf_dir, 'hf')
    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
    batch = dict(tokenizer(sentences, padding=True, truncation=True,
                           max_length=length, return_tensors='np'))
    model = transformers.AutoModel.from_pretrained(hf_dir).float().eval()
    act = model.config.hidden_act
    other = (transformers.AutoModel.from_pretrained(
        hf_dir, hidden_act=OTHER_GELU[act]).float().eval()
             if act in OTHER_GELU else None)
  mask = batch['attention_mask'].astype(bool)
  ids_ours = wordpiece.WordPieceTokenizer(
      vocab_lib.load_vocab(ours.vocab_file).tokens, ours.do_lower_case)
  for row, sentence in enumerate(sentences):
    theirs = batch['input_ids'][row][mask[row]][1:-1].tolist()
    if ids_ours.tokenize(sentence)[:length - 2] != theirs:
      raise ValueError(f'token ids differ on {sentence!r}')
  encoder = export_layout.build_encoder(ours.fields)
  encoder_variables.assign(encoder, ours.weights)
  sequence = encoder([tf.constant(batch[k].astype(np.int32)) for k in (
      'input_ids', 'attention_mask', 'token_type_ids')],
                     training=False)['sequence_output'].numpy()
  reference = _hidden(model, batch)
  diff = np.abs(sequence - reference)[mask]
  other_diff = (float(np.abs(sequence - _hidden(other, batch))[mask].max())
                if other is not None else None)
  assert act == hf_activations.TO_HF[ours.fields['hidden_activation']]
  return (type(model).__name__, act, float(diff.max()), float(diff.mean()),
          float(np.abs(reference[mask]).max()), other_diff)


def main(argv):
  del argv
  sentences = sst2_dev(FLAGS.sentences)
  print('| export | HF class | hidden_act | max abs diff | mean abs diff | '
        'max abs output | other GELU: max abs diff |')
  print('|---|---|---|---:|---:|---:|---:|')
  for export_dir in FLAGS.export_dirs:
    name, act, worst, mean, scale, other = measure(
        export_dir, sentences, FLAGS.max_seq_length)
    other_text = f'{other:.1e}' if other is not None else 'n/a'
    print(f'| {export_dir} | {name} | {act} | {worst:.1e} | {mean:.1e} | '
          f'{scale:.2f} | {other_text} |')


if __name__ == '__main__':
  define_flags()
  flags.mark_flag_as_required('export_dirs')
  app.run(main)
