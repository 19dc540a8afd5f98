"""Cut speaker turns into codable segments.

One segment per turn. A turn longer than ``max_chars`` is split between sentences: its sentences
(and blank-line paragraphs) are packed into as few segments of at most ``max_chars`` as possible, as
evenly sized as possible. A single sentence longer than ``max_chars`` is first split between words the
same way, so a segment exceeds ``max_chars`` only when one "word" (a run without whitespace) does.

Sentence boundaries are ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing quotes or
brackets) and then whitespace, except after common abbreviations (``Dr.``, ``e.g.``, ``Mrs.``, ...),
after a single capital initial (``J. Smith``), and for ``.``/``…`` when the next word starts with a
lower-case letter. Decimal numbers (``3.5``) never split since no whitespace follows the point.

Every span is stripped, so ``text[s.start:s.end]`` starts and ends with non-whitespace; turns without
text are dropped; segments come in text order and never overlap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from index.ingest.readers.text import strip_span
from index.types import SegmentSpan, Turn

DEFAULT_INTERVIEWER_PATTERNS: tuple[str, ...] = (
    "interviewer", "facilitator", "moderator", "researcher", "int", "i", "q",
)

_ABBREVIATIONS = frozenset("""
    mr mrs ms mx dr prof sr jr st mt vs cf al approx ca fig figs vol pp dept univ inc ltd corp co
    e.g i.e a.m p.m u.s u.k resp incl esp
""".split())
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)")  # possessive: no backtracking
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")


def interviewer_matcher(
    patterns: Iterable[str | re.Pattern[str]] = DEFAULT_INTERVIEWER_PATTERNS,
) -> Callable[[str | None], bool]:
    """A predicate ``speaker -> bool`` telling whether a speaker is on the research team.

    A string pattern matches, case-insensitively, a speaker that is exactly the pattern, optionally
    followed by a number (``Interviewer``, ``interviewer 2``, ``I1``, ``Int.``, ``Q3``); a pattern
    longer than three characters also matches as a whole word anywhere in the speaker
    (``Dr Lee (Interviewer)``, ``Lead researcher``). A compiled regular expression matches when its
    ``search`` finds it in the speaker as written (give it ``re.IGNORECASE`` if wanted).
    """
    patterns = list(patterns)
    regexes = [p for p in patterns if isinstance(p, re.Pattern)]
    words = [" ".join(p.casefold().split()) for p in patterns if isinstance(p, str) and p.strip()]
    whole = re.compile(rf"(?:{'|'.join(map(re.escape, words))})[\s.\-_#]*\d*[.)]?") if words else None
    long_words = [w for w in words if len(w) > 3]
    inside = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, long_words))})(?!\w)") if long_words else None

    def is_interviewer(speaker: str | None) -> bool:
        if not speaker:
            return False
        folded = " ".join(speaker.casefold().split())
        return bool((whole and whole.fullmatch(folded)) or (inside and inside.search(folded))
                    or any(r.search(speaker) for r in regexes))

    return is_interviewer


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Stripped, non-empty ``(start, end)`` spans of the sentences in ``text[start:end]``."""
    cuts = [start]
    for paragraph in _PARAGRAPH_BREAK.finditer(text, start, end):
        cuts += [paragraph.start(), paragraph.end()]
    for m in _SENTENCE_END.finditer(text, start, end):
        if _is_boundary(text, m, end):
            cuts.append(m.end())
    cuts = sorted(set(cuts + [end]))
    return [span for a, b in zip(cuts, cuts[1:]) if (span := strip_span(text, a, b))]


def _is_boundary(text: str, m: re.Match[str], end: int) -> bool:
    if "!" in m[0] or "?" in m[0]:
        return True
    following = _WORD.search(text, m.end(), end)
    if following and following[0][0].islower():
        return False
    word_start = m.start()
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:m.start()].lstrip("\"'“‘([")
    initial = len(word) == 1 and word.isupper()
    return not (initial or word.casefold() in _ABBREVIATIONS)


def _greedy(units: Sequence[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Fill chunks of consecutive units up to ``limit`` characters; a longer unit is a chunk of its own."""
    chunks = []
    chunk_start, chunk_end = units[0]
    for s, e in units[1:]:
        if e - chunk_start > limit:
            chunks.append((chunk_start, chunk_end))
            chunk_start = s
        chunk_end = e
    chunks.append((chunk_start, chunk_end))
    return chunks


def _pack(units: Sequence[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Join consecutive units into as few chunks of at most ``max_chars`` as possible, evenly sized.

    Greedy filling gives the fewest chunks; a binary search then finds the smallest size limit that
    still needs no more chunks, so the longest chunk is as short as it can be (no tiny leftovers).
    """
    count = len(_greedy(units, max_chars))
    low, high = 1, max_chars
    while low < high:
        middle = (low + high) // 2
        if len(_greedy(units, middle)) <= count:
            high = middle
        else:
            low = middle + 1
    return _greedy(units, low)


def split_span(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A stripped span cut into pieces of at most ``max_chars``, between sentences, else between words."""
    if end - start <= max_chars:
        return [(start, end)]
    units: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if e - s <= max_chars:
            units.append((s, e))
        else:
            units += _pack([w.span() for w in _WORD.finditer(text, s, e)], max_chars)
    return _pack(units, max_chars)


def segment_turns(
    text: str,
    turns: Sequence[Turn],
    *,
    max_chars: int = 1200,
    interviewer_patterns: Iterable[str | re.Pattern[str]] = DEFAULT_INTERVIEWER_PATTERNS,
) -> list[SegmentSpan]:
    """Segments of a document: one per non-empty turn, long turns split (see module docstring).

    ``turns`` must be in text order, non-overlapping and within ``text``; ``ValueError`` otherwise.
    Segments inherit the turn's speaker, timestamp and (a copy of its) attributes; ``is_interviewer``
    comes from :func:`interviewer_matcher` over ``interviewer_patterns``.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    is_interviewer = interviewer_matcher(interviewer_patterns)
    segments: list[SegmentSpan] = []
    previous_end = 0
    for turn in turns:
        if not previous_end <= turn.start <= turn.end <= len(text):
            raise ValueError(f"turn {turn.start}:{turn.end} is out of order or outside the text (length {len(text)})")
        previous_end = turn.end
        span = strip_span(text, turn.start, turn.end)
        if span is None:
            continue
        interviewer = is_interviewer(turn.speaker)
        for s, e in split_span(text, *span, max_chars):
            segments.append(SegmentSpan(start=s, end=e, speaker=turn.speaker, timestamp=turn.timestamp,
                                        is_interviewer=interviewer, attributes=dict(turn.attributes)))
    return segments
