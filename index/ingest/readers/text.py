"""Plain-text transcripts: decoding bytes, and finding speaker turns in text.

Speaker label rule (shared by the .txt, .docx and subtitle readers)
------------------------------------------------------------------
A line is a *label candidate* when, after optional indentation, it starts with

* an optional time stamp ``[00:01:02]``, ``(1:02)`` or a bare ``00:01:02`` followed by a space,
* a label: at most 4 words and 40 characters, starting with a letter or digit, containing at least
  one letter, made of letters, digits, spaces and ``. ' ’ - _ & # / ( )``,
* an optional time stamp after the label, ``Speaker 1 (00:01:02):``,
* a colon (``:`` or ``：``) followed by whitespace or the end of the line.

Otter-style header lines, a label followed by a time stamp and nothing else (``Speaker 1  0:05``)
are candidates too; the speech then starts on the next line.

A candidate is *accepted* when its label is not a common prose or heading word (``Note``,
``Example``, ``Date``, ``Summary``, ... see ``_NOT_SPEAKERS``) and either

* the same label (case-insensitive) starts at least two lines of the text, or
* it looks like a name or code: no word starts with a lower-case letter (``P12``, ``Dr Smith``,
  ``Interviewer``, ``Maria de Souza``; name particles such as ``de``, ``van`` are allowed), so a
  wrapped line such as ``the point is: ...`` continues the turn instead of starting one.

The text as a whole is treated as labelled only if the first non-empty line carries an accepted
label, or some accepted label recurs. Otherwise (say, an essay with one ``Part Two: ...`` line in its
middle) there are no labels at all. In a labelled text every accepted label line starts a turn (two
turns in a row by the same speaker stay two turns); all other lines continue the previous turn; lines
before the first label become one speaker-less turn per paragraph. A text without labels becomes one
turn per paragraph (paragraphs are separated by blank lines), speaker None.

Turn spans exclude the label and time stamp, and are stripped of surrounding whitespace.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputFileError
from index.types import ParsedDocument, Turn

# -- bytes -> str ------------------------------------------------------------------------------

_MAGIC = (
    (b"PK\x03\x04", "a zip archive such as a .docx or .xlsx file"),
    (b"%PDF", "a PDF file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.doc/.xls) or a password-protected document"),
)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an :class:`InputFileError` saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputFileError(f"could not read the file ({error.strerror or error})", file=str(path),
                             fix="check that the file exists and that you may read it") from None


def decode_bytes(data: bytes, file: str) -> tuple[str, str]:
    """Decode text bytes, returning ``(text, encoding)``; line endings are left as they are.

    Tries UTF-16 (only with a byte-order mark), then UTF-8 (``"utf-8-sig"`` is reported when a BOM was
    removed, else ``"utf-8"``), then line by line: a file whose lines are each UTF-8 or Windows-1252 (a
    transcript pasted together from two sources) keeps every line readable, and the encoding names the
    Windows-1252 lines (``"utf-8, with Windows-1252 (cp1252) on lines 4, 9"``); a file in Windows-1252 only
    is ``"cp1252"``. Bytes containing NUL are refused as binary, with a hint when they look like a known file type.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputFileError("the file starts like UTF-16 text but is not valid UTF-16", file=file,
                                 fix="open it in a text editor and save it as UTF-8") from None
    if b"\x00" in data:
        kind = next((what for magic, what in _MAGIC if data.startswith(magic)), None)
        what = f"it looks like {kind}" if kind else "it contains NUL bytes"
        raise InputFileError(f"this is a binary file, not text ({what})", file=file,
                             fix="export the transcript as plain text (UTF-8), or give the file its proper extension")
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    return _decode_lines(data, file)


_LINE_BREAK = re.compile(rb"(\r\n?|\n)")


def _decode_lines(data: bytes, file: str) -> tuple[str, str]:
    """Each line as UTF-8 if it is valid UTF-8, else as Windows-1252; see :func:`decode_bytes`."""
    parts, cp1252_lines, utf8_lines = [], [], 0
    pieces = _LINE_BREAK.split(data)  # line, break, line, break, ..., line
    for number, line in enumerate(pieces[::2], start=1):
        try:
            parts.append(line.decode("utf-8-sig" if number == 1 else "utf-8"))
            utf8_lines += not line.isascii()
        except UnicodeDecodeError:
            try:
                parts.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                raise InputFileError(f"line {number} is neither UTF-8 nor Windows-1252 (cp1252) text", file=file,
                                     fix="open the file in a text editor and save it as UTF-8") from None
            cp1252_lines.append(number)
    text = "".join(part + (pieces[2 * i + 1].decode("ascii") if 2 * i + 1 < len(pieces) else "")
                   for i, part in enumerate(parts))
    if not utf8_lines:
        return text, "cp1252"
    shown = ", ".join(map(str, cp1252_lines[:10])) + (f" and {len(cp1252_lines) - 10} more" if len(cp1252_lines) > 10 else "")
    return text, f"utf-8, with Windows-1252 (cp1252) on line{'s' if len(cp1252_lines) > 1 else ''} {shown}"


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``; vertical tabs (Word line breaks) too."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")


# -- speaker labels ----------------------------------------------------------------------------

# Whitespace runs inside a label line are bounded ({0,8}) so that odd lines cannot make matching slow.
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEADING_TS = rf"(?:[\[(](?P<ts1>{_TS})[\])][ \t]{{0,8}}(?:[-–—][ \t]{{0,8}})?|(?P<ts2>{_TS})[ \t]{{1,8}}(?:[-–—][ \t]{{1,8}})?)"
_LABEL = r"(?P<label>[^\W_][\w .'’&#/()\-]{0,39}?)"
_TRAILING_TS = rf"(?:[\[(](?P<ts3>{_TS})[\])][ \t]{{0,8}})"
_COLON_LABEL = re.compile(rf"[ \t]*{_LEADING_TS}?{_LABEL}[ \t]{{0,8}}{_TRAILING_TS}?[:：](?=\s|$)")
_HEADER_LABEL = re.compile(rf"[ \t]*{_LABEL}[ \t]{{1,8}}[\[(]?(?P<ts4>{_TS})[\])]?[ \t]*$")  # Otter: "Name  0:05"

_NOT_SPEAKERS = frozenset("""
    note notes nb n.b ps p.s e.g eg i.e ie example examples summary background abstract introduction
    conclusion conclusions date time location place venue duration length title subject re topic topics
    agenda keywords transcript transcription file source update edit warning important tip reminder
    todo fyi comment comments
""".split()) | {"for example", "see also"}
_NAME_PARTICLES = frozenset("de da di du del della der den van von ter ten la le bin al y".split())


@dataclass(frozen=True)
class Label:
    """A speaker label found at the start of a line; ``end`` is where speech may begin (in the line)."""

    speaker: str
    timestamp: str | None
    end: int

    @property
    def key(self) -> str:
        return self.speaker.casefold()


def match_label(line: str) -> Label | None:
    """The label candidate at the start of ``line`` (no acceptance rules applied), or None."""
    m = _COLON_LABEL.match(line) or _HEADER_LABEL.match(line)
    if not m:
        return None
    speaker = " ".join(m["label"].split())
    if len(speaker) > 40 or len(speaker.split()) > 4 or not any(c.isalpha() for c in speaker):
        return None
    timestamp = next((m[g] for g in ("ts1", "ts2", "ts3", "ts4") if g in m.re.groupindex and m[g]), None)
    return Label(speaker=speaker, timestamp=timestamp, end=m.end())


def _looks_like_name(speaker: str) -> bool:
    return all(not w[0].islower() or w in _NAME_PARTICLES for w in speaker.split())


def find_labels(lines: list[str]) -> list[Label | None]:
    """For each line, its accepted speaker label or None, by the rule in this module's docstring."""
    candidates = [match_label(line) for line in lines]
    counts = Counter(c.key for c in candidates if c)
    accepted = [
        c if c and c.key.rstrip(".") not in _NOT_SPEAKERS and (counts[c.key] >= 2 or _looks_like_name(c.speaker))
        else None
        for c in candidates
    ]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    labelled = (first is not None and accepted[first] is not None) or any(
        counts[c.key] >= 2 for c in accepted if c)
    return accepted if labelled else [None] * len(lines)


# -- turns -------------------------------------------------------------------------------------

_NON_SPACE = re.compile(r"\S")
_BLANK_LINES = re.compile(r"\n\s*\n")


def strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` narrowed to its first and last non-whitespace character, or None if blank."""
    m = _NON_SPACE.search(text, start, end)
    if not m:
        return None
    start = m.start()
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_turns(text: str, start: int = 0, end: int | None = None) -> list[Turn]:
    """One speaker-less turn per blank-line-separated paragraph of ``text[start:end]``."""
    end = len(text) if end is None else end
    bounds, pos = [], start
    for m in _BLANK_LINES.finditer(text, start, end):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, end))
    return [Turn(*span) for s, e in bounds if (span := strip_span(text, s, e))]


def parse_turns(text: str) -> list[Turn]:
    """Speaker turns of a transcript text (lines separated by ``\\n``), by the module's label rule."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_ends = [s - 1 for s in line_starts[1:]] + [len(text)]
    labels = find_labels([text[s:e] for s, e in zip(line_starts, line_ends)])
    starts = [(line_starts[i], label) for i, label in enumerate(labels) if label]
    if not starts:
        return paragraph_turns(text)
    turns = paragraph_turns(text, 0, starts[0][0])
    for k, (line_start, label) in enumerate(starts):
        until = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        span = strip_span(text, line_start + label.end, until)
        if span:
            turns.append(Turn(*span, speaker=label.speaker, timestamp=label.timestamp))
    return turns


def read_text(path: Path, *, name: str | None = None) -> list[ParsedDocument]:
    """Read a .txt transcript: decoded, line endings normalised to ``\\n``, turns by :func:`parse_turns`."""
    text, encoding = decode_bytes(read_bytes(path), str(path))
    text = normalize_newlines(text)
    if not text.strip():
        raise InputFileError("the file contains only whitespace, no text", file=str(path),
                             fix="check that you picked the transcript file and that it was saved")
    return [ParsedDocument(name=name or path.stem, source=str(path), text=text, turns=parse_turns(text),
                           encoding=encoding)]
