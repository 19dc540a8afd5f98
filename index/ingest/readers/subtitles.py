"""WebVTT (.vtt) and SubRip (.srt) transcripts, as exported by Teams, Zoom and captioning tools.

Parsing is deliberately lenient: the file is split into blank-line separated blocks; a block with a
``start --> end`` timing line is a cue (anything before that line, such as a cue number or identifier,
is ignored; position settings after the end time are ignored). ``WEBVTT`` headers and ``NOTE``,
``STYLE`` and ``REGION`` blocks are skipped. A block without a timing line that follows a cue (a
caption that contained a blank line) is added to that cue's text.

Speakers come from voice tags (``<v Jane Doe>text</v>``, Teams; one cue may hold several voices) or,
in cues without a voice tag, from a ``Name: text`` label (Zoom), accepted by the same rule as in
:mod:`index.ingest.readers.text`. Other tags (``<i>``, ``<c.x>``, ``<00:01.000>``, ``{\\an8}``) are removed,
HTML entities decoded, and whitespace collapsed to single spaces.

Consecutive cues by the same speaker (also consecutive speaker-less cues) are merged into one turn,
joined by a space; its timestamp is the start of its first cue, as written in the file. The document
text has one line per turn, ``Speaker: speech`` (just ``speech`` without a speaker); turn spans cover
the speech only.

Lenient, but never silent: a cue whose timing line is malformed (it has ``-->`` but not two times) keeps its text,
without a time; a cue that starts before the previous one ends, or ends before it starts, is kept in file order;
text before the first cue (other than the header) is skipped.
Each is named, by line, in the document's warnings (and so in the import report).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputFileError
from index.types import ParsedDocument, Turn
from index.ingest.readers.text import decode_bytes, find_labels, normalize_newlines, read_bytes

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})")
_SKIP_BLOCK = re.compile(r"(?:WEBVTT|NOTE|STYLE|REGION)(?:\s|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")


@dataclass
class _Part:
    speaker: str | None
    timestamp: str | None
    text: str


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _cue_parts(payload: str, timestamp: str | None) -> list[_Part]:
    """Split one cue's text at its voice tags into (speaker, text) parts, cleaned."""
    parts, speaker, pos = [], None, 0
    for m in _VOICE.finditer(payload):
        parts.append(_Part(speaker, timestamp, _clean(payload[pos:m.start()])))
        speaker, pos = (" ".join((m["name"] or "").split()) or None), m.end()
    parts.append(_Part(speaker, timestamp, _clean(payload[pos:])))
    return [p for p in parts if p.text]


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks of lines, each with the line number (from 1) it starts on."""
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if blocks and blocks[-1][0] + len(blocks[-1][1]) == number:
            blocks[-1][1].append(line)
        else:
            blocks.append((number, [line]))
    return blocks


def _seconds(time: str) -> float:
    seconds = 0.0
    for part in time.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _cues(text: str) -> tuple[list[tuple[str | None, str]], list[str]]:
    """``(start time, payload)`` of each cue, in file order, and what was odd about them."""
    cues: list[tuple[str | None, str]] = []
    broken, overlapping, backwards, outside = [], [], [], []
    previous_end = None
    for first_line, lines in _blocks(text):
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        arrow = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is not None:
            match = _TIMING.match(lines[timing])
            start, end = _seconds(match["start"]), _seconds(match["end"])
            if previous_end is not None and start < previous_end:
                overlapping.append(first_line + timing)
            if end < start:
                backwards.append(first_line + timing)
            previous_end = max(end, previous_end or 0.0)
            cues.append((match["start"], "\n".join(lines[timing + 1:])))
        elif arrow is not None and not _SKIP_BLOCK.match(lines[0]):
            broken.append(f"{first_line + arrow} ({lines[arrow].strip()[:40]!r})")
            cues.append((None, "\n".join(lines[arrow + 1:])))
        elif not _SKIP_BLOCK.match(lines[0]) and not "\n".join(lines).strip().isdigit():
            if cues:
                cues[-1] = (cues[-1][0], cues[-1][1] + "\n" + "\n".join(lines))
            else:
                outside.append(first_line)
    return cues, _cue_warnings(broken, overlapping, backwards, outside)


def _cue_warnings(broken: list[str], overlapping: list[int], backwards: list[int], outside: list[int]) -> list[str]:
    def lines(found: list) -> str:
        shown = ", ".join(map(str, found[:5])) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        return f"line{'s' if len(found) > 1 else ''} {shown}"

    warnings = []
    if broken:
        warnings.append(f"{len(broken)} cue(s) with a malformed timing line, kept without a time: {lines(broken)}; "
                        "a timing line reads like '00:01:02.000 --> 00:01:05.000'")
    if overlapping:
        warnings.append(f"{len(overlapping)} cue(s) start before the previous cue ends, kept in file order: "
                        f"{lines(overlapping)}")
    if backwards:
        warnings.append(f"{len(backwards)} cue(s) end before they start, kept in file order: {lines(backwards)}")
    if outside:
        warnings.append(f"text before the first cue, not part of any cue, skipped: {lines(outside)}")
    return warnings


def _label_unvoiced(parts: list[_Part]) -> None:
    """Give parts without a voice a speaker from a ``Name: text`` prefix (Zoom), in place."""
    unvoiced = [p for p in parts if p.speaker is None]
    for part, label in zip(unvoiced, find_labels([p.text for p in unvoiced])):
        if label:
            part.speaker, part.text = label.speaker, part.text[label.end:].strip()


def read_subtitles(path: Path, *, name: str | None = None) -> list[ParsedDocument]:
    """Read a .vtt or .srt file into one :class:`ParsedDocument` with merged speaker turns."""
    raw, encoding = decode_bytes(read_bytes(path), str(path))
    cues, warnings = _cues(normalize_newlines(raw))
    parts = [p for start, payload in cues for p in _cue_parts(payload, start)]
    _label_unvoiced(parts)
    merged: list[_Part] = []
    for part in parts:
        if not part.text:
            continue
        if merged and merged[-1].speaker == part.speaker:
            merged[-1].text += " " + part.text
        else:
            merged.append(_Part(part.speaker, part.timestamp, part.text))
    if not merged:
        raise InputFileError("no subtitle cues with text found (expected blocks with a timing line like "
                             "'00:00:01.000 --> 00:00:04.000' followed by the text)", file=str(path),
                             fix="check that this is a .vtt/.srt transcript export and not empty")
    text, turns = "", []
    for part in merged:
        prefix = ("\n" if text else "") + (f"{part.speaker}: " if part.speaker else "")
        start = len(text) + len(prefix)
        text += prefix + part.text
        turns.append(Turn(start, len(text), speaker=part.speaker, timestamp=part.timestamp))
    return [ParsedDocument(name=name or path.stem, source=str(path), text=text, turns=turns, encoding=encoding,
                           warnings=warnings)]
