"""The IDF counting pass: document frequencies over the whole corpus.

Runs once before the build when TF-IDF labels are on and no reusable IDF file
exists; the counts are saved (`term_frequency.save_idf`) so later builds on
the same corpus and vocab skip it. The counts come from the documents'
own tokens, before any view is made (`term_frequency` says which input the
TF-IDF task reads).
"""
import time

import numpy as np
from absl import logging

from tfrecords_tools import build_report
from tfrecords_tools import file_io
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import line_decoding
from tfrecords_tools.s4_labels import term_frequency


def load_or_count(idf_file, files, tokenizer, vocab, do_lower_case,
                  docs_per_chunk, max_undecodable_share=(
                      line_decoding.DEFAULT_MAX_UNDECODABLE_SHARE),
                  source=None):
  """Returns (idf float32 [vocab], metadata dict); counts if needed."""
  if file_io.exists(idf_file):
    idf, meta = term_frequency.load_idf(idf_file, vocab.sha256, len(vocab),
                                        do_lower_case)
    logging.info("Reusing IDF counts from %s (%d documents).", idf_file,
                 meta["num_documents"])
    return idf, dict(meta, path=idf_file, reused=True)
  start = time.time()
  df = np.zeros(len(vocab), np.int64)
  num_docs = 0
  scratch = build_report.BuildReport()  # the build itself reports bad input
  for chunk in corpus_reader.iter_chunks(
      files, docs_per_chunk, scratch,
      max_undecodable_share=max_undecodable_share, source=source):
    tc = tokenizer.tokenize(chunk, scratch, with_cap=False)
    df += term_frequency.document_frequencies(
        tc.ids, tc.sentence_bounds[tc.doc_bounds], len(vocab))
    num_docs += tc.num_documents
  term_frequency.save_idf(idf_file, df, num_docs, vocab.sha256, do_lower_case,
                          files)
  logging.info("IDF pass: %d documents in %.1fs, saved to %s.", num_docs,
               time.time() - start, idf_file)
  return (term_frequency.idf_from_counts(df, num_docs),
          dict(path=idf_file, num_documents=num_docs, reused=False))
