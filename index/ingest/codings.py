"""Human codings from a table, matched onto the project's segments.

A row names its segment in one of three ways (the first that the columns allow):

1. ``segment_id``: a segment id as codeseed shows it (``codeseed export``, ``codeseed suggest``);
2. ``document`` + ``start`` + ``end``: character offsets into the document; every segment the span
   overlaps is coded;
3. ``document`` + ``text``: a quote from the document (whitespace and curly quotes need not match
   exactly); every segment the quote overlaps is coded.

Codes go in ``code`` or ``codes`` (several separated by ';' or '|'), by id or by exact name. The coder
comes from a ``coder`` column or from ``--coder``. Every row that names an unknown code, matches no segment
or lacks a coder is reported with its row number. A row that repeats an earlier row's coding (the same segment,
code and coder) adds nothing and is named in the warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.errors import CodeseedError, InputFileError
from index.ingest.tables import Table, split_codes
from index.types import Code, Segment, coder_name


@dataclass
class CodingMatch:
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (segment_id, code_id, coder)
    problems: list[InputFileError] = field(default_factory=list)
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)  # what was accepted but changed nothing (repeated rows)


def code_resolver(codes: list[Code]):
    """Map a cell value to a code id: exact id first, then exact (case-insensitive) name."""
    by_id = {c.id: c.id for c in codes}
    by_name: dict[str, list[str]] = {}
    for c in codes:
        by_name.setdefault(c.name.casefold(), []).append(c.id)

    def resolve(value: str) -> str | None:
        if value in by_id:
            return value
        matches = by_name.get(value.casefold(), [])
        return matches[0] if len(matches) == 1 else None

    return resolve


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """Text with runs of whitespace as one space and typographic quotes made plain, and for each character of
    the result the offset it came from, so a match can be mapped back to the original document."""
    out, where = [], []
    previous_space = False
    for offset, char in enumerate(text.translate(_QUOTES)):
        if char.isspace():
            if previous_space:
                continue
            char, previous_space = " ", True
        else:
            previous_space = False
        out.append(char)
        where.append(offset)
    return "".join(out), where


def find_quote(document_text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) of the first occurrence of ``quote`` in the document, tolerant of whitespace and quote marks."""
    exact = document_text.find(quote)
    if exact >= 0:
        return exact, exact + len(quote)
    haystack, where = _normalised_with_map(document_text)
    needle = re.sub(r"\s+", " ", quote.translate(_QUOTES)).strip()
    if not needle:
        return None
    at = haystack.find(needle)
    if at < 0:
        at = haystack.casefold().find(needle.casefold())
        if at < 0:
            return None
    return where[at], where[at + len(needle) - 1] + 1


def overlapping(segments: list[Segment], start: int, end: int) -> list[Segment]:
    return [s for s in segments if s.start < end and start < s.end]


def match_codings(table: Table, *, codes: list[Code], segments: list[Segment], documents: dict[str, str],
                  default_coder: str | None) -> CodingMatch:
    """Match every row of ``table`` to (segment, code, coder) triples; collect a problem per bad row."""
    code_col = table.require("codes", "code", what="the code(s) applied")
    coder_col = table.optional("coder", "user", "annotator")
    seg_col = table.optional("segment_id", "segment")
    doc_col = table.optional("document", "document_name", "file")
    start_col, end_col = table.optional("start"), table.optional("end")
    text_col = table.optional("text", "quote", "segment_text")
    if not seg_col and not (doc_col and ((start_col and end_col) or text_col)):
        raise InputFileError(
            "cannot tell which segment a row codes", file=table.file,
            fix="add a 'segment_id' column, or 'document' with 'text' (a quote), or 'document' with 'start' and 'end'",
        )
    resolve = code_resolver(codes)
    by_id = {s.id: s for s in segments}
    by_document: dict[str, list[Segment]] = {}
    for s in segments:
        by_document.setdefault(s.document, []).append(s)
    result = CodingMatch(rows_read=len(table.rows))
    first_row: dict[tuple[int, str, str], int] = {}  # (segment, code, coder) -> the row that first gave it
    repeated: dict[int, list[int]] = {}  # first row -> rows repeating it

    def problem(number: int, message: str, column: str | None, fix: str) -> None:
        result.problems.append(InputFileError(message, file=table.file, row=number, field=column, fix=fix))

    default_coder = coder_name(default_coder)
    for number, row in table.rows:
        coder_and_codes = _coder_and_codes(row, number, coder_col, code_col, default_coder, resolve, problem)
        if coder_and_codes is None:
            continue
        coder, code_ids = coder_and_codes
        targets = _targets(row, number, seg_col, doc_col, start_col, end_col, text_col, by_id, by_document,
                           documents, problem)
        new = [(s.id, c, coder) for s in targets for c in code_ids if (s.id, c, coder) not in first_row]
        if targets and not new:
            repeated.setdefault(first_row[(targets[0].id, code_ids[0], coder)], []).append(number)
        for triple in new:
            first_row[triple] = number
            result.rows.append(triple)
    result.warnings = [_repeated(table.file, first, rows) for first, rows in repeated.items()]
    return result


def _repeated(file: str, first: int, rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
    many = len(rows) > 1
    return (f"{file}: row{'s' if many else ''} {shown} repeat{'' if many else 's'} the coding of row {first} "
            "(same segment, code and coder); counted once")


def _coder_and_codes(row, number, coder_col, code_col, default_coder, resolve, problem):
    """(coder, code ids) of a row, or None with the row's problem noted."""
    try:
        coder = coder_name(row.get(coder_col, "") if coder_col else "") or default_coder
    except CodeseedError as error:
        problem(number, error.message, coder_col, error.fix or "")
        return None
    if not coder:
        problem(number, "no coder for this row", coder_col or "coder", "add a 'coder' column or pass --coder NAME")
        return None
    names = split_codes(row[code_col])
    if not names:
        problem(number, "no code given", code_col, "write one or more codes, separated by ';'")
        return None
    code_ids = [resolve(n) for n in names]
    unknown = [n for n, c in zip(names, code_ids) if c is None]
    if unknown:
        problem(number, f"unknown code {', '.join(map(repr, unknown))}", code_col,
                "use a code id or name from the project's codebook (`codeseed status PROJECT --codes`), "
                "or import a codebook that has it")
        return None
    return coder, code_ids


def _targets(row, number, seg_col, doc_col, start_col, end_col, text_col, by_id, by_document, documents, problem):
    if seg_col and row.get(seg_col):
        try:
            segment = by_id.get(int(row[seg_col]))
        except ValueError:
            segment = None
        if segment is None:
            problem(number, f"no segment with id {row[seg_col]!r}", seg_col,
                    "use the segment ids codeseed wrote (e.g. in `codeseed suggest --out`)")
            return []
        return [segment]
    name = row.get(doc_col, "") if doc_col else ""
    if name not in documents:
        problem(number, f"no document named {name!r} in the project", doc_col,
                "use the document name shown by `codeseed status PROJECT --documents`")
        return []
    if start_col and end_col and row.get(start_col) and row.get(end_col):
        try:
            start, end = int(row[start_col]), int(row[end_col])
        except ValueError:
            problem(number, "start and end must be whole numbers", start_col, "write character offsets, e.g. 120")
            return []
        if not 0 <= start < end <= len(documents[name]):
            problem(number, f"offsets {start}-{end} are outside the document (length {len(documents[name])})",
                    start_col, "check the offsets, or give the quoted text instead")
            return []
    else:
        quote = row.get(text_col, "") if text_col else ""
        span = find_quote(documents[name], quote) if quote else None
        if span is None:
            problem(number, f"the quoted text does not occur in document {name!r}", text_col,
                    "copy the text exactly from the transcript (line breaks and curly quotes may differ)")
            return []
        start, end = span
    targets = overlapping(by_document.get(name, []), start, end)
    if not targets:
        problem(number, f"the span {start}-{end} of {name!r} covers no segment", start_col or text_col,
                "check the offsets")
    return targets
