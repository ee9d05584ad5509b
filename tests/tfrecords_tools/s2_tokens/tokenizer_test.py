"""Tests for tfrecords_tools.s2_tokens.tokenizer:
ids, capitalisation, token length."""
import numpy as np

from tfrecords_tools import build_report
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s2_tokens import tokenizer
from tfrecords_tools.s2_tokens import vocab as vocab_lib

TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cafe", "##s",
          "hello", "."]


def _tokenize(tmp_path, sentences, lower=True):
  path = tmp_path / "v.txt"
  vocab_lib.write_vocab(TOKENS, str(path))
  tok = tokenizer.Tokenizer(vocab_lib.load_vocab(str(path)), lower, 16)
  chunk = corpus_reader.Chunk(0, 0, "f.txt", [corpus_reader.Document(
      0, sentences, list(range(1, len(sentences) + 1)))])
  return tok.tokenize(chunk, build_report.BuildReport())


def test_cap_from_cased_text_with_uncased_vocab(tmp_path):
  tc = _tokenize(tmp_path, ["The Cafés hello.", "HeLLo XyZé the"])
  #   the cafe ##s hello .  | hello [UNK] the
  assert tc.ids.tolist() == [5, 6, 7, 8, 9, 8, 1, 5]
  assert tc.cap.tolist() == [1, 1, 0, 0, 0, 1, 1, 0]
  # Lengths without '##'; [UNK] measures the original text "XyZé" (4 chars).
  np.testing.assert_array_equal(tc.token_length, [3, 4, 1, 5, 1, 5, 4, 3])
  assert tc.sentence_bounds.tolist() == [0, 5, 8]
  assert tc.doc_bounds.tolist() == [0, 2]


def test_empty_sentences_and_documents_are_counted(tmp_path):
  path = tmp_path / "v.txt"
  vocab_lib.write_vocab(TOKENS, str(path))
  tok = tokenizer.Tokenizer(vocab_lib.load_vocab(str(path)), True, 16)
  report = build_report.BuildReport()
  chunk = corpus_reader.Chunk(0, 0, "f.txt", [
      corpus_reader.Document(0, ["\u200b"], [3]),
      corpus_reader.Document(1, ["hello"], [5])])
  tc = tok.tokenize(chunk, report)
  assert tc.doc_indices.tolist() == [1]
  assert report.skipped["sentence_empty_after_tokenization"] == 1
  assert report.examples["document_empty_after_tokenization"] == ["f.txt:3"]
