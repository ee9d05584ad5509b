r"""Converts the tokenised WikiText release into the BERT pretraining format.

WikiText (Merity et al. 2016) ships one paragraph per line, already tokenised:
spaces around punctuation, rare words replaced by `<unk>`, and the joiners
` @-@ `, ` @,@ `, ` @.@ ` for hyphens and separators inside numbers. Articles
start with a ` = Title = ` line and sections with ` = = Heading = = ` (deeper
levels add more `=`).

The BERT pretraining format (what `create_pretraining_data.py` and our builder
read) is one sentence per line with one blank line between documents. This
module:

  * starts a new document at each top-level ` = Title = ` line (one document
    per article) and drops every heading line, titles included. A heading
    line must stand between blank lines, as all of them do in the release;
    heading-shaped lines inside text (formulas like ` = 1 k = `) are text;
  * splits each paragraph into sentences at a stand-alone `.`, `!` or `?`
    token (plus any closing quotes or brackets right after it) followed by a
    token that starts with an upper-case letter, `<unk>`, or an opening quote
    or bracket. WikiText keeps abbreviations and initials such as `H.`, `St.`
    or `U.S.` as one token, so they never end a sentence;
  * detokenises lightly so the text reads like prose: joiners become `-`, `,`
    and `.` without spaces, closing punctuation (`, . ; : ! ? ) ] %` and
    contractions such as `'s`, `n't`) loses the space before it, opening
    brackets and currency signs lose the space after them, straight double
    quotes are paired within a paragraph, and stand-alone single quotes are
    told apart (quote, plural possessive, elision) by simple rules, see
    `_annotate`;
  * keeps `<unk>` as it is. Replacing it with an invented word would put
    made-up statistics into the corpus; a WordPiece vocab learns `<`, `unk` and
    `>` as ordinary pieces;
  * skips articles that have no text.

The output is a pure function of the input (no randomness).

Usage:

  python -m tfrecords_tools.s0_prep.wikitext_to_bert_format \
    --input_file=/work/shared/data/wikitext2/valid.txt \
    --output_file=data/wikitext2/valid.bert.txt
"""
import dataclasses
import itertools
import os
import re
from typing import Iterable, Iterator, List, Optional, Tuple

from absl import app
from absl import flags
from absl import logging

from tfrecords_tools import file_io

# Heading line: `= ... =` with the same number of `=` on both sides, each `=`
# separated by a space from its neighbours (leading/trailing blanks allowed).
_HEADING_RE = re.compile(r"^\s*((?:=\s)+)(.*?)((?:\s=)+)\s*$")

_JOINERS = {"@-@": "-", "@,@": ",", "@.@": "."}
_SENTENCE_END = frozenset([".", "!", "?"])
# Tokens that attach to the token before them.
_CLOSING = frozenset([",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "...",
                      "”", "’", "n't", "N'T"])
# Punctuation that follows a closing quote, never an opening one.
_PUNCT_AFTER_CLOSE = frozenset([",", ".", ";", ":", "!", "?", ")", "]"])
# Tokens that attach to the token after them.
_OPENING = frozenset(["(", "[", "{", "$", "£", "€", "“", "‘"])
# Closing tokens that may follow a sentence end and still belong to it.
_TRAILING_CLOSERS = frozenset([")", "]", "”", "’"])
# Words ending in "s" that are not plural nouns: a quote after them opens.
_NOT_PLURAL = frozenset([
    "as", "is", "was", "has", "his", "its", "this", "us", "yes", "does",
    "thus", "plus", "whereas", "hers", "ours", "theirs", "yours", "unless",
    "across", "towards", "besides", "always", "perhaps", "less"])
# A stand-alone single quote after these opens a quotation.
_OPENS_SINGLE_QUOTE = frozenset([",", ":", "(", "a", "an", "the"])
_UNK = "<unk>"
_DOUBLE_QUOTE = '"'
_SINGLE_QUOTE = "'"


@dataclasses.dataclass
class _Token:
  """A WikiText token and how it attaches to its neighbours."""
  text: str
  glue_left: bool = False
  glue_right: bool = False


@dataclasses.dataclass
class ConversionStats:
  """Counts reported by `convert_file`.

  Attributes:
    articles: top-level ` = Title = ` lines seen (plus a leading untitled
      block, if the input has text before its first title).
    documents: documents written (articles with at least one sentence).
    sentences: sentence lines written.
    skipped_empty: articles without text, not written.
  """
  articles: int = 0
  documents: int = 0
  sentences: int = 0
  skipped_empty: int = 0


def heading_level(line: str) -> int:
  """Returns the heading level of a WikiText line, or 0 for other lines.

  Args:
    line: one line of the WikiText release.

  Returns:
    1 for an article title ` = Title = `, 2 for ` = = Section = = `, and so
    on; 0 if the line is not a heading (including blank lines).
  """
  match = _HEADING_RE.match(line)
  if not match or not match.group(2).strip():
    return 0
  left = match.group(1).count("=")
  right = match.group(3).count("=")
  if left != right:
    return 0
  return left


def _is_word(text: str) -> bool:
  return text == _UNK or any(c.isalnum() for c in text)


def _is_contraction(text: str) -> bool:
  """True for split-off clitics: `'s`, `'ve`, `'t` (`don 't`), `'awiil`."""
  return (len(text) > 1 and text[0] in "'’" and text[1].isalpha())


def _quote_closes_later(words: List[str], i: int) -> bool:
  """True if a single quote after position `i` closes within the sentence."""
  j = i + 1
  while j < len(words):
    if words[j] == _SINGLE_QUOTE:
      return True
    if words[j] in _SENTENCE_END:
      # Only a quote right after the sentence end still belongs to it.
      j += 1
      while j < len(words) and (words[j] in _SENTENCE_END or
                                words[j] in _TRAILING_CLOSERS):
        j += 1
      return j < len(words) and words[j] == _SINGLE_QUOTE
    j += 1
  return False


def _annotate(words: List[str]) -> List[_Token]:
  """Decides, for each token of a paragraph, which side it attaches to.

  Straight double quotes alternate between opening and closing within the
  paragraph. A stand-alone straight single quote is, in this order: the
  closing quote of an open single quote; a split `' s` clitic; a plural
  possessive after a word ending in `s` (`Linnaeus ' concept`); an elision
  before a number (`' 70s`); an opening quote at the paragraph start, after
  `,`, `:`, `(` or an article, or if another single quote follows in the same
  sentence; otherwise a closing quote or possessive. An open single
  quote is forgotten at the next sentence start, so a stray quote cannot
  change the rest of the paragraph.

  Args:
    words: the paragraph's tokens.

  Returns:
    One `_Token` per word.
  """
  tokens = []
  double_open = False
  single_open = False
  glue_next = False
  for i, word in enumerate(words):
    prev = words[i - 1] if i > 0 else None
    nxt = words[i + 1] if i + 1 < len(words) else None
    if (prev in _SENTENCE_END and word not in _TRAILING_CLOSERS and
        word != _SINGLE_QUOTE):
      single_open = False
    tok = _Token(_JOINERS.get(word, word), glue_left=glue_next)
    glue_next = False
    if word in _JOINERS:
      tok.glue_left = tok.glue_right = True
    elif word in _CLOSING or _is_contraction(word):
      tok.glue_left = True
    elif word in _OPENING:
      tok.glue_right = True
    elif word == _DOUBLE_QUOTE:
      # An unmatched quote right before closing punctuation closes.
      closes = double_open or nxt is None or nxt in _PUNCT_AFTER_CLOSE
      if closes and prev is not None:
        tok.glue_left = True
        double_open = False
      else:
        tok.glue_right = True
        double_open = True
    elif word == _SINGLE_QUOTE:
      prev_is_word = prev is not None and _is_word(prev)
      if single_open:
        tok.glue_left = True
        single_open = False
      elif prev is not None and nxt in ("s", "S"):
        tok.glue_left = glue_next = True  # `Inc. ' s` -> `Inc.'s`.
      elif (prev_is_word and prev[-1] in "sS" and
            prev.lower() not in _NOT_PLURAL):
        tok.glue_left = True  # Plural possessive: `the players ' union`.
      elif nxt is not None and nxt[0].isdigit():
        tok.glue_right = True  # Elision: `the ' 70s`.
      elif (prev is None or prev in _OPENS_SINGLE_QUOTE or
            prev.lower() in _OPENS_SINGLE_QUOTE or
            _quote_closes_later(words, i)):
        tok.glue_right = True
        single_open = True
      else:
        tok.glue_left = True
    tokens.append(tok)
  return tokens


def _starts_sentence(tok: _Token) -> bool:
  """True if `tok` may begin a sentence after a sentence-ending token."""
  text = tok.text
  if text == _UNK or text[0].isupper():
    return True
  # An opening quote or bracket followed by the sentence.
  return tok.glue_right and text in (_DOUBLE_QUOTE, _SINGLE_QUOTE, "“", "‘",
                                     "(", "[")


def _join(tokens: List[_Token]) -> str:
  parts = []
  for i, tok in enumerate(tokens):
    if i > 0 and not (tokens[i - 1].glue_right or tok.glue_left):
      parts.append(" ")
    parts.append(tok.text)
  return "".join(parts)


def paragraph_to_sentences(line: str) -> List[str]:
  """Detokenises one WikiText paragraph line and splits it into sentences.

  Args:
    line: a non-heading line of the WikiText release.

  Returns:
    The paragraph's sentences as prose strings (empty for a blank line).
  """
  words = line.replace("\ufeff", " ").split()
  if not words:
    return []
  tokens = _annotate(words)
  sentences = []
  start = 0
  i = 0
  while i < len(tokens):
    if words[i] in _SENTENCE_END:
      end = i + 1
      # Keep ellipses, closing quotes and brackets with the sentence.
      while end < len(tokens) and (
          words[end] in _SENTENCE_END or words[end] in _TRAILING_CLOSERS or
          (words[end] in (_DOUBLE_QUOTE, _SINGLE_QUOTE) and
           tokens[end].glue_left)):
        end += 1
      if end < len(tokens) and _starts_sentence(tokens[end]):
        sentences.append(_join(tokens[start:end]))
        start = end
      i = end
    else:
      i += 1
  if start < len(tokens):
    sentences.append(_join(tokens[start:]))
  return sentences


def iter_documents(lines: Iterable[str]) -> Iterator[List[str]]:
  """Groups WikiText lines into documents of sentences.

  Args:
    lines: lines of the WikiText release (with or without line ends).

  Yields:
    For each article with text, its list of sentences in order. Articles
    without text are not yielded.
  """
  for doc in _iter_articles(lines):
    if doc:
      yield doc


def _is_blank(line: Optional[str]) -> bool:
  return line is None or not line.replace("\ufeff", " ").strip()


def _classify(lines: Iterable[str]) -> Iterator[Tuple[int, str]]:
  """Yields (heading level, line) for each line.

  In the release every heading line stands between two blank lines. A line
  shaped like a heading but glued to text (e.g. a formula ` = 1 k = ` split
  over lines) is ordinary text, level 0.

  Args:
    lines: lines of the WikiText release.

  Yields:
    (level, line) pairs; level as in `heading_level`.
  """
  prev = None
  cur = None
  started = False
  for nxt in itertools.chain(lines, [None]):
    if started:
      level = heading_level(cur)
      if level and not (_is_blank(prev) and _is_blank(nxt)):
        level = 0
      yield level, cur
      prev = cur
    cur = nxt
    started = True


def _iter_articles(lines: Iterable[str]) -> Iterator[List[str]]:
  """Like `iter_documents` but yields empty articles too (as `[]`)."""
  current = None  # None: no article started and no text seen yet.
  for level, line in _classify(lines):
    if level == 1:
      if current is not None:
        yield current
      current = []
    elif level == 0:
      sentences = paragraph_to_sentences(line)
      if sentences:
        if current is None:
          current = []  # Text before the first title: its own document.
        current.extend(sentences)
  if current is not None:
    yield current


def convert_lines(lines: Iterable[str],
                  max_documents: Optional[int] = None,
                  stats: Optional[ConversionStats] = None) -> Iterator[str]:
  """Converts WikiText lines into BERT-format output lines.

  Args:
    lines: lines of the WikiText release.
    max_documents: stop after this many documents (None: all).
    stats: if given, updated with the counts.

  Yields:
    Output lines without line ends: sentences, and an empty string between
    two documents.
  """
  stats = stats if stats is not None else ConversionStats()
  for doc in _iter_articles(lines):
    if max_documents is not None and stats.documents >= max_documents:
      break
    stats.articles += 1
    if not doc:
      stats.skipped_empty += 1
      continue
    if stats.documents:
      yield ""
    stats.documents += 1
    stats.sentences += len(doc)
    yield from doc


def convert_text(text: str, max_documents: Optional[int] = None) -> str:
  """Converts a whole WikiText string; returns the BERT-format text."""
  out = list(convert_lines(text.splitlines(), max_documents))
  return "".join(line + "\n" for line in out)


def convert_file(input_file: str, output_file: str,
                 max_documents: Optional[int] = None) -> ConversionStats:
  """Converts a WikiText file into a BERT-format text file.

  The output is written under a temporary name and renamed into place, so a
  failed run never leaves a partial file.

  Args:
    input_file: a WikiText split, e.g. `wiki.valid.tokens` (UTF-8, an initial
      byte-order mark is ignored).
    output_file: where to write; parent directories are created.
    max_documents: stop after this many documents (None: all).

  Returns:
    The ConversionStats.
  """
  stats = ConversionStats()
  file_io.makedirs_for(output_file)
  tmp = f"{output_file}.tmp-{os.getpid()}"
  try:
    with file_io.open_file(input_file, encoding="utf-8-sig") as fin, \
        file_io.open_file(tmp, "w", newline="\n") as fout:
      for line in convert_lines(fin, max_documents, stats):
        fout.write(line + "\n")
    file_io.replace(tmp, output_file)
  finally:
    file_io.remove(tmp)
  return stats


FLAGS = flags.FLAGS


def define_flags():
  """Defines the CLI flags (not at import, so other tools can import this)."""
  flags.DEFINE_string("input_file", None, "A tokenised WikiText split.")
  flags.DEFINE_string("output_file", None,
                      "Where to write the BERT-format text.")
  flags.DEFINE_integer("max_documents", None,
                       "Stop after this many documents (default: all).",
                       lower_bound=1)
  flags.mark_flags_as_required(["input_file", "output_file"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError("Too many command-line arguments.")
  stats = convert_file(FLAGS.input_file, FLAGS.output_file,
                       FLAGS.max_documents)
  logging.info("Read %d articles, skipped %d empty.", stats.articles,
               stats.skipped_empty)
  print(f"Wrote {stats.documents} documents, {stats.sentences} sentences to "
        f"{FLAGS.output_file}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
