"""The import formats by name, and `auto` detection.

  hf          Hugging Face BERT / ELECTRA directory (`hf_format`)
  tf1_bert    Google BERT TF1 checkpoint (`tf1_checkpoint`)
  tf1_electra Google ELECTRA TF1 checkpoint (`tf1_checkpoint`)
  tfhub       TF Hub / SavedModel BERT encoder (`tfhub_format`)
  export      our own export layout (`export_layout`)
"""

import dataclasses
from typing import Callable, Optional

from official_ext.interchange import encoder_weights as ew
from official_ext.interchange import export_layout
from official_ext.interchange import hf_format
from official_ext.interchange import tf1_checkpoint
from official_ext.interchange import tfhub_format


@dataclasses.dataclass(frozen=True)
class ImportOptions:
  """generator: ELECTRA's generator instead of the discriminator;
  num_attention_heads: overrides what the source says or implies."""
  generator: bool = False
  num_attention_heads: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Format:
  detect: Callable[[str], bool]
  read: Callable[[str, ImportOptions], ew.EncoderWeights]
  has_generator: bool = False


def _tf1(fmt):
  return Format(
      detect=lambda path: tf1_checkpoint.detect(path) == fmt,
      read=lambda path, o: tf1_checkpoint.read(
          path, fmt, o.generator, o.num_attention_heads),
      has_generator=fmt == 'tf1_electra')


FORMATS = {
    'export': Format(export_layout.is_export_dir,
                     lambda path, o: export_layout.read(path)),
    'hf': Format(hf_format.is_hf_dir, lambda path, o: hf_format.read(path)),
    'tf1_bert': _tf1('tf1_bert'),
    'tf1_electra': _tf1('tf1_electra'),
    'tfhub': Format(tfhub_format.is_saved_model,
                    lambda path, o: tfhub_format.read(
                        path, o.num_attention_heads)),
}


def detect(source: str) -> str:
  """The format of `source`; InterchangeError naming it when unknown."""
  for name, fmt in FORMATS.items():
    if fmt.detect(source):
      return name
  raise ew.InterchangeError(
      f'--source={source}: not a recognised encoder (looked for '
      'encoder_config.json, config.json + model.safetensors, a TF1 checkpoint '
      'with bert/ or electra/ variables, saved_model.pb); pass --format')


def read(source: str, fmt: str = 'auto',
         options: ImportOptions = ImportOptions()) -> ew.EncoderWeights:
  """Reads `source` in format `fmt` (or the detected one)."""
  fmt = detect(source) if fmt == 'auto' else fmt
  if fmt not in FORMATS:
    raise ew.InterchangeError(f'--format={fmt!r} is unknown; choose auto or '
                              f'one of {sorted(FORMATS)}')
  if options.generator and not FORMATS[fmt].has_generator:
    hint = (' (a Hugging Face ELECTRA generator, ElectraForMaskedLM, is a '
            'directory of its own: import it as --source without '
            '--generator)' if fmt == 'hf' else ' (tf1_electra does)')
    raise ew.InterchangeError(f'--generator: format {fmt} holds no ELECTRA '
                              f'generator{hint}')
  return FORMATS[fmt].read(source, options)
