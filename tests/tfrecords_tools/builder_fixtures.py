"""Tiny corpora and settings shared by the builder's end-to-end tests."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
VOCAB = os.path.join(REPO, "data", "wikitext2", "vocab_uncased_8k.txt")
CORPUS = os.path.join(REPO, "data", "wikitext2", "valid.bert.txt")


def corpus_documents(lines_per_doc=None):
  """Every document of the bundled corpus, cut to `lines_per_doc` lines."""
  docs, cur = [], []
  with open(CORPUS, encoding="utf-8") as f:
    for line in f:
      if line.strip():
        cur.append(line.strip())
      elif cur:
        docs.append(cur[:lines_per_doc])
        cur = []
  return docs


def write_corpus(path, num_docs=12, lines_per_doc=30, skip_docs=0):
  """The first documents of the bundled corpus, cut to `lines_per_doc`."""
  docs = corpus_documents(lines_per_doc)[skip_docs:skip_docs + num_docs]
  with open(path, "w", encoding="utf-8") as f:
    f.write("\n\n".join("\n".join(d) for d in docs) + "\n")
  return path


def run_cli(*args):
  """Runs the builder CLI; returns the CompletedProcess."""
  return subprocess.run(
      [sys.executable, "-m", "tfrecords_tools.create_pretraining_data",
       f"--vocab_file={VOCAB}", "--max_seq_length=64",
       "--max_predictions_per_seq=10", "--dupe_factor=2", "--num_shards=3",
       "--docs_per_chunk=4", *args],
      cwd=REPO, capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
