r"""The record builder: raw text -> statically-masked pretraining TFRecords.

The rooms are numbered in the order the data passes through them; the two
command-line tools and what every room shares stay at the top.

  raw corpora (WikiText, GLUE TSVs, ...)
        |
  s0_prep/       data preparation beside the pipeline: WikiText -> BERT text,
        |        unlabelled text from a TSV, held-out split, an STS-B-style
        |        task, the demo's data step (vocab -> records)
        v
  BERT-format text ---- build_vocab.py (CLI) ----> vocab.txt
  (or JSONL / Parquet / TFDS)                          |
        |                                              |
  create_pretraining_data.py (CLI) <-------------------+
        |      settings: build_config.py   skips/repairs: build_report.py
        |      every file access (local, gs://): file_io.py
        v
  s1_sources/    files / records -> UTF-8 lines -> sentences -> Documents,
        |        a chunk of documents at a time
        v
  s2_tokens/     WordPiece -> TokenizedChunk: ids, capitalisation and token
        |        length per token (the Cap and TLP labels come from here)
        v
  s3_instances/  sentence pairing (none/nsp/asp/so/sdp/consecutive)
        |        -> rows of source indices ([CLS] A [SEP] B [SEP], padded)
        v
  s4_labels/     on those rows, in order: TCP/SCP corruption -> TGS trigram
        |        shuffle -> masked-LM masking; TF / TF-IDF (IDF pass) per token
        v
  s5_records/    chunk_transform (s3 + s4 per document) -> tf.Example bytes
        |        -> TFRecord framing -> shuffled shards -> manifest.json
        v
  s6_runners/    who drives s1..s5 over the corpus: local worker processes
                 (worker lifetime bound to the builder) or Apache Beam

Rooms s1..s6 import only rooms with a smaller number and the shared
top-level modules (build_config, build_report, file_io); s0_prep stands
beside the pipeline and may use all of it (tests/tfrecords_tools/
layout_test.py). A build from text on a local disk imports no TensorFlow.
"""
