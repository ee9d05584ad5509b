r"""The README's main job on bundled data: vocab -> pretraining TFRecords.

  python -m tfrecords_tools.s0_prep.demo --output_dir=out/demo

Learns a WordPiece vocab from the bundled WikiText-2 validation and test
splits (`data/wikitext2/{valid,test}.bert.txt`) and the unlabelled SST-2
movie-review text (`data/sst2/unlabelled.bert.txt`: in-domain text for the
fine-tuning task, with no text of its dev sample; see data/sst2/README.md),
builds statically-masked
TFRecords with every auxiliary label (sentence-order pairs, dupe factor 40,
64-token sequences by default), reads one batch back through the reader, and
prints the manifest summary. Later stages
(pretraining, fine-tuning) extend this job.

Held-out records: with `--heldout_every=N` (default 10) every N-th document
is held out (`tfrecords_tools/s0_prep/heldout_split.py`): the vocab and
`<output_dir>/data` are built from the other documents only, and
`<output_dir>/heldout/manifest.json` holds the same kind of records from
the held-out documents (dupe factor 1), for pretraining metrics on text the
pretraining never saw. `--heldout_every=0` uses every document for training.

Continuing a released encoder (`official_ext.demo`): `--vocab_file` (and
`--do_lower_case`) take the encoder's own vocab and casing instead of
learning one, `--aux_labels` writes only the labels the chosen objectives
read (masked LM and TEAMS read none) and `--pair_mode=none` packs
sentences into full sequences.
"""
import dataclasses
import json
import os
import time

from absl import app
from absl import flags
from absl import logging

from official_ext.data import features
from tfrecords_tools import build_config
from tfrecords_tools import build_vocab
from tfrecords_tools import create_pretraining_data
from tfrecords_tools import file_io
from tfrecords_tools.s0_prep import heldout_split
from tfrecords_tools.s2_tokens import vocab as vocab_lib
from tfrecords_tools.s5_records import manifest as manifest_lib

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", "out/demo", "Where the demo writes.")
flags.DEFINE_string("corpus", ",".join(
    [os.path.join(_REPO, "data", "wikitext2", f"{split}.bert.txt")
     for split in ("valid", "test")] +
    [os.path.join(_REPO, "data", "sst2", "unlabelled.bert.txt")]),
                    "BERT-format corpus (comma-separated).")
flags.DEFINE_integer("vocab_size", 8000, "Target vocab size.")
flags.DEFINE_integer("dupe_factor", 40, "Static masking duplicates.")
flags.DEFINE_integer("max_seq_length", 64, "Tokens per sequence.")
flags.DEFINE_integer("max_predictions_per_seq", 10,
                     "Most masked positions per sequence.")
flags.DEFINE_integer("heldout_every", 10, "Hold out every n-th document "
                     "(<output_dir>/heldout); 0: none.")
flags.DEFINE_string("vocab_file", None, "Use this vocab (e.g. a released "
                    "encoder's vocab.txt) instead of learning one.")
flags.DEFINE_bool("do_lower_case", True, "The casing of --vocab_file "
                  "(a learned vocab is uncased).")
flags.DEFINE_list("aux_labels", ["all"], "Auxiliary labels to write "
                  "(create_pretraining_data's names, all, or none).")
flags.DEFINE_enum("pair_mode", "so", ["none", "nsp", "asp", "so", "sdp",
                                      "consecutive"],
                  "Sentence pairs (create_pretraining_data --pair_mode).")


def _aux_labels(names):
  names = [n for n in names if n]
  if names == ["all"]:
    return features.AUX_LABEL_NAMES
  if names == ["none"]:
    return ()
  unknown = sorted(set(names) - set(features.AUX_LABEL_NAMES))
  if unknown:
    raise app.UsageError(f"--aux_labels: unknown label(s) {unknown}; choose "
                         f"from {list(features.AUX_LABEL_NAMES)}, all or none")
  return tuple(names)


def main(argv):
  del argv
  file_io.makedirs(FLAGS.output_dir)
  vocab_file = os.path.join(FLAGS.output_dir, "vocab.txt")
  start = time.time()
  corpus, heldout = FLAGS.corpus, None
  aux_labels = _aux_labels(FLAGS.aux_labels)
  given = FLAGS.vocab_file
  logging.info("1/3 %s", "Taking the given vocab" if given else
               "Learning a WordPiece vocab")
  if given:  # The records name their vocab: keep a copy beside them.
    with file_io.open_file(given) as f:
      file_io.write_text_atomically(vocab_file, f.read())
  if FLAGS.heldout_every:
    split = heldout_split.split_and_learn_vocab(
        FLAGS.corpus, FLAGS.output_dir, FLAGS.heldout_every,
        0 if given else FLAGS.vocab_size)
    corpus, heldout = split["files"]["train"], split["files"]["heldout"]
    print(f"documents: {split['documents']} (every {FLAGS.heldout_every}th "
          "held out)")
  elif not given:
    tokens = build_vocab.build_vocab(corpus, FLAGS.vocab_size,
                                     do_lower_case=True)
    build_vocab.write_vocab_atomically(tokens, vocab_file)
  vocab_size = len(vocab_lib.load_vocab(vocab_file).tokens)
  print(f"vocab: {vocab_size} tokens -> {vocab_file} "
        f"({'given: ' + given if given else 'learned'}, "
        f"{time.time() - start:.1f}s)")
  logging.info("2/3 Building TFRecords")
  config = build_config.BuildConfig(dupe_factor=FLAGS.dupe_factor,
                                    max_seq_length=FLAGS.max_seq_length,
                                    max_predictions_per_seq=(
                                        FLAGS.max_predictions_per_seq),
                                    pair_mode=FLAGS.pair_mode,
                                    do_lower_case=(FLAGS.do_lower_case
                                                   if given else True),
                                    aux_labels=aux_labels,
                                    num_shards=4)
  workers = max(1, os.cpu_count() or 1)
  manifest = create_pretraining_data.run(
      config, corpus, vocab_file, os.path.join(FLAGS.output_dir, "data"),
      num_workers=workers)
  if heldout:
    create_pretraining_data.run(
        dataclasses.replace(config, dupe_factor=1), heldout, vocab_file,
        os.path.join(FLAGS.output_dir, "heldout"), num_workers=workers,
        idf_file=(os.path.join(FLAGS.output_dir, "data", "idf.json")
                  if "tf_idf" in aux_labels else None))
  logging.info("3/3 Reading one batch back")
  from official_ext.data import pretrain_reader  # pylint: disable=g-import-not-at-top
  loader = pretrain_reader.AuxPretrainDataLoader(
      pretrain_reader.config_from_manifest(
          os.path.join(FLAGS.output_dir, "data", "manifest.json"),
          global_batch_size=8, is_training=False))
  batch = next(iter(loader.load()))
  print(json.dumps(manifest_lib.summary(manifest), indent=1))
  print("one batch:", {k: tuple(v.shape) for k, v in batch.items()})
  print(f"demo done in {time.time() - start:.1f}s; vocab sha256 "
        f"{vocab_lib.load_vocab(vocab_file).sha256[:12]}")


if __name__ == "__main__":
  app.run(main)
