"""One small corpus written in every input format the builder reads.

Documents come from the bundled WikiText-2 BERT-format file, a paragraph per
three sentences; only documents that the sentence splitter cuts back exactly
into their lines are kept, so every format holds the same documents.
"""
import gzip
import json

from tests.tfrecords_tools import builder_fixtures as fx
from tfrecords_tools.s1_sources import sentence_splitter

TFDS_NAME = "tiny_text_corpus"


def documents(count=8, max_sentences=9, skip=0):
  """[[sentence]] documents the splitter reproduces from their paragraphs."""
  splitter = sentence_splitter.SentenceSplitter("syntok")
  out = []
  for doc in fx.corpus_documents(max_sentences)[skip:]:
    if len(doc) >= 3 and splitter.split_document(document_text(doc)) == doc:
      out.append(doc)
      if len(out) == count:
        break
  return out


def document_text(doc):
  """A document's raw text: paragraphs of three sentences, newline-joined."""
  return "\n".join(" ".join(doc[i:i + 3]) for i in range(0, len(doc), 3))


def write_bert_text(path, docs):
  with open(path, "w", encoding="utf-8") as f:
    f.write("\n\n".join("\n".join(d) for d in docs) + "\n")


def jsonl_lines(docs):
  return [json.dumps({"id": i, "text": document_text(d)})
          for i, d in enumerate(docs)]


def write_jsonl(path, docs):
  data = ("\n".join(jsonl_lines(docs)) + "\n").encode("utf-8")
  if path.endswith(".gz"):
    data = gzip.compress(data)
  elif path.endswith(".zst"):
    import zstandard  # pylint: disable=g-import-not-at-top
    data = zstandard.ZstdCompressor().compress(data)
  with open(path, "wb") as f:
    f.write(data)


def write_parquet(path, docs, column="text", texts=None):
  import pyarrow as pa  # pylint: disable=g-import-not-at-top
  import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
  texts = texts if texts is not None else [document_text(d) for d in docs]
  pq.write_table(pa.table({"id": list(range(len(texts))), column: texts}),
                 path, row_group_size=3)


_BUILDER = []  # the one builder class (TFDS registers a name only once)


def _builder_class():
  """TFDS builder `tiny_text_corpus`: its DOCS as `text` + `title` features."""
  if _BUILDER:
    return _BUILDER[0]
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

  class TinyTextCorpus(tfds.core.GeneratorBasedBuilder):
    """Documents with a `text` and a `title` feature, in input order."""
    VERSION = tfds.core.Version("1.0.0")
    _checksums_path = None  # nothing to download, no checksums file
    DOCS = []

    def _info(self):
      text = tfds.features.Text()
      return tfds.core.DatasetInfo(
          builder=self, disable_shuffling=True,  # keep the documents' order
          features=tfds.features.FeaturesDict({"text": text, "title": text}))

    def _split_generators(self, dl_manager):
      del dl_manager
      return {"train": self._generate_examples()}

    def _generate_examples(self):
      for i, d in enumerate(self.DOCS):
        yield i, {"text": document_text(d), "title": f"doc {i}"}

  _BUILDER.append(TinyTextCorpus)
  return TinyTextCorpus


def build_tfds(data_dir, docs):
  """Prepares TFDS dataset `tiny_text_corpus` in data_dir (no download)."""
  cls = _builder_class()
  cls.DOCS = list(docs)
  cls(data_dir=str(data_dir)).download_and_prepare()
  return str(data_dir)
