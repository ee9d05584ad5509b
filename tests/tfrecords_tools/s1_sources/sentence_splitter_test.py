"""Tests for tfrecords_tools.s1_sources.sentence_splitter:
boundaries on hand cases."""
import pytest

from tfrecords_tools.s1_sources import sentence_splitter


@pytest.fixture(scope="module")
def split():
  return sentence_splitter.SentenceSplitter("syntok").split_document


@pytest.mark.parametrize("text,sentences", [
    # Abbreviations and initials do not end a sentence.
    ("Dr. Smith arrived at 5 p.m. on Jan. 3. He left soon after.",
     ["Dr. Smith arrived at 5 p.m. on Jan. 3.", "He left soon after."]),
    ("The U.S. economy grew. The E.U. did not.",
     ["The U.S. economy grew.", "The E.U. did not."]),
    ("It was e.g. a test. It worked.", ["It was e.g. a test.", "It worked."]),
    ("It is closely related to the American lobster, H. americanus. It is "
     "blue.", ["It is closely related to the American lobster, H. americanus.",
               "It is blue."]),
    # Decimals and prices.
    ("The price rose 3.5 percent to $1.25 a share. Analysts were surprised.",
     ["The price rose 3.5 percent to $1.25 a share.",
      "Analysts were surprised."]),
    # Quotes: the closing quote stays with its sentence.
    ('"Is this it?" she asked. "Yes," he said.',
     ['"Is this it?" she asked.', '"Yes," he said.']),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ('They flew in the "Ole Miss." The record stood.',
     ['They flew in the "Ole Miss."', "The record stood."]),
    # ! and ? end sentences; no final period still makes a sentence.
    ("Wait! Really? Yes", ["Wait!", "Really?", "Yes"]),
])
def test_hand_cases(split, text, sentences):
  assert split(text) == sentences


def test_paragraphs_split_at_newlines_and_text_is_kept_verbatim(split):
  text = "  First one.  Second   one.\n\n\r\nThird one\nFourth.  \n"
  assert split(text) == ["First one.", "Second   one.", "Third one",
                         "Fourth."]
  assert split("") == [] and split(" \n \n") == []


def test_lines_splitter_keeps_each_line():
  split = sentence_splitter.SentenceSplitter("lines").split_document
  assert split("A b. C d.\n\nE f.") == ["A b. C d.", "E f."]


def test_describe_and_unknown_name():
  described = sentence_splitter.SentenceSplitter().describe()
  assert described["name"] == "syntok"
  assert described["version"].split(".")[0].isdigit()
  with pytest.raises(ValueError, match=r"unknown splitter 'punkt'; choose "
                     r"from \['lines', 'syntok'\]"):
    sentence_splitter.SentenceSplitter("punkt")
