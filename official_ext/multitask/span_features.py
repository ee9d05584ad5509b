"""Extractive-QA tokens: a character answer span -> WordPiece positions.

The BERT/SQuAD recipe, one window per question (no document stride):
  1. the context is split into whitespace-separated words, remembering the
     word of every character (`context_words`);
  2. each word is WordPiece-tokenised on its own, remembering the word of
     every piece and the first piece of every word (`word_pieces`);
  3. the answer's first and last characters give its first and last word,
     hence a piece range; the range is then narrowed to the pieces of the
     tokenised answer text when they are a sub-range (an answer "1895"
     inside the word "(1895)." keeps only the piece "1895");
  4. the question is cut to `(max_seq_length - 3) // 2` pieces and the
     context to what fits in `[CLS] question [SEP] context [SEP]`; the
     answer is in the window when its last piece survived the cut.

Positions returned are indices in that packed sequence ([CLS] is 0, the
first context piece is `len(question_pieces) + 2`).
"""

import dataclasses
from typing import List, Optional, Sequence, Tuple


def is_whitespace(char: str) -> bool:
  return char in ' \t\r\n' or ord(char) == 0x202F


def context_words(context: str) -> Tuple[List[str], List[int]]:
  """Whitespace words and the word index of every character.

  Args:
    context: the text.

  Returns:
    (words, char_to_word): `char_to_word[i]` is the word holding character
    `i`; whitespace maps to the word before it (-1 before the first word).
  """
  words, char_to_word = [], []
  new_word = True
  for char in context:
    if is_whitespace(char):
      new_word = True
    else:
      if new_word:
        words.append(char)
      else:
        words[-1] += char
      new_word = False
    char_to_word.append(len(words) - 1)
  return words, char_to_word


def word_pieces(tokenizer, words: Sequence[str]
               ) -> Tuple[List[str], List[int], List[int]]:
  """WordPieces of each word.

  Args:
    tokenizer: a `FullTokenizer`.
    words: the context's whitespace words.

  Returns:
    (pieces, piece_to_word, word_to_first_piece); a word with no pieces
    (only control characters) points at the next word's first piece.
  """
  pieces, piece_to_word, word_to_first = [], [], []
  for w, word in enumerate(words):
    word_to_first.append(len(pieces))
    for piece in tokenizer.tokenize(word):
      pieces.append(piece)
      piece_to_word.append(w)
  return pieces, piece_to_word, word_to_first


def answer_piece_span(tokenizer, context: str, answer_start: int,
                      answer_text: str
                      ) -> Tuple[List[str], Optional[Tuple[int, int]]]:
  """The context's pieces and the answer's (first, last) piece, inclusive.

  Args:
    tokenizer: a `FullTokenizer`.
    context: the context text.
    answer_start: character offset of the answer in `context`.
    answer_text: the answer, `context[answer_start:][:len(answer_text)]`.

  Returns:
    (pieces, span): span is None when the answer has no pieces.
  """
  words, char_to_word = context_words(context)
  pieces, _, word_to_first = word_pieces(tokenizer, words)
  first_char = answer_start + (len(answer_text) - len(answer_text.lstrip()))
  last_char = answer_start + len(answer_text.rstrip()) - 1
  if last_char < first_char:
    return pieces, None
  start_word, end_word = char_to_word[first_char], char_to_word[last_char]
  start = word_to_first[start_word]
  end = (word_to_first[end_word + 1] if end_word + 1 < len(words)
         else len(pieces)) - 1
  if end < start:
    return pieces, None
  wanted = tokenizer.tokenize(answer_text)
  for new_start in range(start, end + 1):
    for new_end in range(end, new_start - 1, -1):
      if pieces[new_start:new_end + 1] == wanted:
        return pieces, (new_start, new_end)
  return pieces, (start, end)


@dataclasses.dataclass(frozen=True)
class SpanTokens:
  """Pieces of `[CLS] question [SEP] context [SEP]` and the answer.

  Attributes:
    question: question pieces (cut to fit).
    context: context pieces (cut to fit).
    start, end: answer positions in the packed sequence, or None when the
      answer is outside the window (or has no pieces).
  """
  question: List[str]
  context: List[str]
  start: Optional[int]
  end: Optional[int]

  @property
  def in_window(self) -> bool:
    return self.start is not None


def max_question_pieces(max_seq_length: int) -> int:
  return (max_seq_length - 3) // 2


def span_tokens(tokenizer, question: str, context: str, answer_start: int,
                answer_text: str, max_seq_length: int) -> SpanTokens:
  """Question and context pieces of one window and the answer's positions.

  Args:
    tokenizer: a `FullTokenizer`.
    question: the question.
    context: the context.
    answer_start: character offset of the answer in `context`.
    answer_text: the answer text.
    max_seq_length: sequence length S (>= 8).

  Returns:
    `SpanTokens`; `len(question) + len(context) + 3 <= max_seq_length`.
  """
  question_pieces = tokenizer.tokenize(question)[
      :max_question_pieces(max_seq_length)]
  pieces, span = answer_piece_span(tokenizer, context, answer_start,
                                   answer_text)
  room = max_seq_length - len(question_pieces) - 3
  pieces = pieces[:room]
  if span is None or span[1] >= len(pieces):
    return SpanTokens(question_pieces, pieces, None, None)
  offset = len(question_pieces) + 2
  return SpanTokens(question_pieces, pieces, span[0] + offset,
                    span[1] + offset)
