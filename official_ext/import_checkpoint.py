r"""Imports a released encoder into our export layout.

  python -m official_ext.import_checkpoint --source=bert-base-uncased/ \
      --output_dir=imported/bert_base [--format=auto|hf|tf1_bert|
      tf1_electra|tfhub|export] [--generator]

Sources: a Hugging Face BERT / ELECTRA directory (config.json +
model.safetensors; an ELECTRA generator's `ElectraForMaskedLM` directory
imports as an encoder of its own), Google's TF1 BERT or ELECTRA checkpoint
(directory or prefix; `bert_config.json` and `vocab.txt` beside it are
used), a TF Hub / SavedModel BERT encoder, or one of our exports.

Writes what `official_ext.export` writes (`encoder_config.json`,
`encoder/ckpt-1`, `vocab.txt` and `casing.json` when known), which
`official_ext.train --init_checkpoint`, `finetune` and `prefinetune` accept.
With `--generator` (TF1 ELECTRA) the generator goes to `OUTPUT/generator/`,
for `official_ext.train --init_generator_checkpoint`. Bad input (unknown
architecture, missing weight, shape that does not fit, vocab whose size is
not the embedding table's) stops with one line naming the key or file.
"""

import os
import sys
from typing import Optional

from absl import app
from absl import flags

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import formats

FLAGS = flags.FLAGS
GENERATOR_SUBDIR = 'generator'


def define_flags(flag_values=flags.FLAGS):
  """Defines the CLI's flags (in `flag_values`; tests pass their own)."""
  fv = flag_values
  flags.DEFINE_string('source', None, 'The encoder to import (directory, '
                      'checkpoint prefix or SavedModel).', flag_values=fv)
  flags.DEFINE_string('output_dir', None, 'Where to write our export '
                      'layout.', flag_values=fv)
  flags.DEFINE_enum('format', 'auto', ['auto'] + sorted(formats.FORMATS),
                    'Source format (auto: detected).', flag_values=fv)
  flags.DEFINE_bool('generator', False, 'TF1 ELECTRA: also import the '
                    'generator into OUTPUT/generator/.', flag_values=fv)
  flags.DEFINE_integer('num_attention_heads', None, 'Overrides the head '
                       'count the source states or implies.', flag_values=fv)
  flags.DEFINE_string('vocab_file', None, 'The vocab, when the source has '
                      'none beside it (or to replace it).', flag_values=fv)
  flags.DEFINE_enum('do_lower_case', None, ['true', 'false'], 'The casing, '
                    'when the source does not say.', flag_values=fv)
  flags.DEFINE_bool('saved_model', False, 'Also write the TF Hub '
                    'SavedModel.', flag_values=fv)


def _with_tokenizer(encoder, vocab_file, do_lower_case):
  if vocab_file:
    encoder.vocab_file = vocab_file
  if do_lower_case is not None:
    encoder.do_lower_case = do_lower_case
  return encoder


def import_checkpoint(source: str, output_dir: str, fmt: str = 'auto',
                      generator: bool = False,
                      num_attention_heads: Optional[int] = None,
                      vocab_file: Optional[str] = None,
                      do_lower_case: Optional[bool] = None,
                      saved_model: bool = False) -> dict:
  """Imports `source`; returns `{role: (EncoderWeights, paths)}`."""
  fmt = formats.detect(source) if fmt == 'auto' else fmt
  roles = {'discriminator': output_dir}
  if generator:
    roles['generator'] = os.path.join(output_dir, GENERATOR_SUBDIR)
  out = {}
  for role, target in roles.items():
    encoder = formats.read(source, fmt, formats.ImportOptions(
        generator=role == 'generator',
        num_attention_heads=None if role == 'generator' else
        num_attention_heads))
    encoder = _with_tokenizer(encoder, vocab_file, do_lower_case)
    out[role] = (encoder, export_layout.write(encoder, target, saved_model))
  return out


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  lower = None if FLAGS.do_lower_case is None else (
      FLAGS.do_lower_case == 'true')
  try:
    results = import_checkpoint(
        FLAGS.source, FLAGS.output_dir, FLAGS.format, FLAGS.generator,
        FLAGS.num_attention_heads, FLAGS.vocab_file, lower,
        FLAGS.saved_model)
  except ew.InterchangeError as e:
    print(f'official_ext.import_checkpoint: error: {e}', file=sys.stderr,
          flush=True)
    sys.exit(1)
  for role, (encoder, paths) in results.items():
    f = encoder.fields
    print(f'imported {role} of {encoder.source}: {f["num_layers"]} layers x '
          f'{f["hidden_size"]} (embedding {f["embedding_size"]}, '
          f'{f["num_attention_heads"]} heads, activation '
          f'{f["hidden_activation"]}), vocab {f["vocab_size"]}'
          f'{"" if encoder.vocab_file else " (no vocab.txt)"} -> '
          f'{paths["checkpoint"]}; initialised: '
          f'{paths["initialised"] or "nothing"}', flush=True)


if __name__ == '__main__':
  define_flags()
  flags.mark_flags_as_required(['source', 'output_dir'])
  app.run(main)
