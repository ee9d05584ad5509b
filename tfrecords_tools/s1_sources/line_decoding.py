"""UTF-8 decoding of input lines: repair a few bad lines, refuse bad files.

A line that is not valid UTF-8 is decoded with U+FFFD replacements and
counted (`non_utf8_line_decoded_with_replacement`, with its `file:line`), as
a corpus with a handful of broken lines should still build. A file is
refused (`UndecodableInputError`, naming the file) when

  * it holds a NUL byte: it is binary (or UTF-16/32 text), not a corpus;
  * the share of its non-blank lines that needed repair exceeds
    `max_undecodable_share` (`--max_undecodable_share`, default 10%):
    random bytes or another encoding (Latin-1, ...) would otherwise be
    turned into many instances of replacement characters. The share is
    checked once the first `EARLY_CHECK_LINES` non-blank lines are read (so
    a large bad file is refused without reading it all) and at the end.
"""
from tfrecords_tools import build_report

REPAIR_REASON = "non_utf8_line_decoded_with_replacement"
DEFAULT_MAX_UNDECODABLE_SHARE = 0.1
EARLY_CHECK_LINES = 1000


class UndecodableInputError(ValueError):
  """A binary or mostly non-UTF-8 input file; the message names it."""


class LineDecoder:
  """Decodes the lines of one file; `finish()` after its last line.

  Args:
    path: the file (named in reports and errors).
    report: receives one repair per repaired line.
    max_undecodable_share: largest accepted share of repaired lines among
      the non-blank ones, in [0, 1].
  """

  def __init__(self, path: str, report: build_report.BuildReport,
               max_undecodable_share: float = DEFAULT_MAX_UNDECODABLE_SHARE):
    if not 0.0 <= max_undecodable_share <= 1.0:
      raise ValueError("--max_undecodable_share must be in [0, 1], got "
                       f"{max_undecodable_share}")
    self.path = path
    self.report = report
    self.max_share = max_undecodable_share
    self.lines = 0      # non-blank lines
    self.repaired = 0   # of which decoded with replacement

  def decode(self, raw: bytes, line_no: int) -> str:
    """The text of one raw line (1-based `line_no`)."""
    if b"\x00" in raw:
      raise UndecodableInputError(
          f"Input {self.path} looks binary (a NUL byte on line {line_no}); "
          "give UTF-8 text (--input_file).")
    try:
      text = raw.decode("utf-8")
    except UnicodeDecodeError:
      text = raw.decode("utf-8", errors="replace")
      self.repaired += 1
      self.report.repair(REPAIR_REASON, f"{self.path}:{line_no}")
    if text.strip():
      self.lines += 1
      if self.lines == EARLY_CHECK_LINES:
        self.finish("the first ")
    return text

  @property
  def share(self) -> float:
    return self.repaired / self.lines if self.lines else 0.0

  def finish(self, which: str = ""):
    """Raises UndecodableInputError when too many lines needed repair
    (`which` qualifies the count of lines, e.g. 'the first ')."""
    if self.share > self.max_share:
      raise UndecodableInputError(
          f"Input {self.path}: {self.repaired} of {which}{self.lines} lines "
          f"({self.share:.1%}) are not valid UTF-8, more than "
          f"--max_undecodable_share={self.max_share:g}; convert the file to "
          "UTF-8 or leave it out.")
