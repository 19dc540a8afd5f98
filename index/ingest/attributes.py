"""Participant and document attributes (gender, role, setting, ...) from a table, and how they join on.

The table's key column says what a row describes:

- ``participant_id`` (or ``participant``): a person. Their attributes join onto every segment they speak
  (their speaker label equals the id, e.g. ``P12:``) and onto a document named after them
  (``P12.docx``, ``interview_P12.txt``), whose non-interviewer turns are then theirs too.
- ``document``: a document, by its name in the project.

Ids are compared without case, spaces or punctuation, so ``ID 27``, ``id27`` and ``ID-27`` are one person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from index.errors import InputFileError
from index.ingest.tables import Table
from index.types import Segment


def normalise_id(value: str | None) -> str:
    return re.sub(r"[^0-9a-z]", "", (value or "").casefold())


@dataclass(frozen=True)
class AttributeTable:
    key: str  # "participant" or "document"
    rows: dict[str, dict[str, str]]  # id -> attributes (empty cells left out)


def parse_attributes(table: Table) -> AttributeTable:
    participant_col = table.optional("participant_id", "participant", "speaker")
    document_col = table.optional("document", "document_name")
    key_col = participant_col or document_col
    if key_col is None:
        raise InputFileError(
            "no key column: the attributes table needs 'participant_id' or 'document'", file=table.file,
            field="participant_id", fix="name the column with the participant ids 'participant_id'",
        )
    rows: dict[str, dict[str, str]] = {}
    for number, row in table.rows:
        key = row[key_col]
        if not key:
            raise InputFileError("the key cell is empty", file=table.file, row=number, field=key_col,
                                 fix="fill in the id, or delete the row")
        if key in rows:
            raise InputFileError(f"{key!r} appears twice", file=table.file, row=number, field=key_col,
                                 fix="keep one row per participant or document")
        rows[key] = {c: v for c, v in row.items() if c != key_col and v}
    return AttributeTable(key="participant" if participant_col else "document", rows=rows)


def participant_for_document(name: str, attributes: dict, participant_ids: list[str]) -> str | None:
    """The participant a document belongs to: its ``participant_id`` attribute, or an id its name contains."""
    by_norm = {normalise_id(p): p for p in participant_ids}
    explicit = normalise_id(str(attributes.get("participant_id", "")))
    if explicit in by_norm:
        return by_norm[explicit]
    tokens = [normalise_id(t) for t in re.split(r"[^0-9A-Za-z]+", name) if t]
    tokens += [normalise_id(name.rsplit(".", 1)[0])]
    hits = {by_norm[t] for t in tokens if t in by_norm}
    if len(hits) == 1:
        return hits.pop()
    joined = "".join(tokens[:-1])  # "ID 27" written as two tokens
    return by_norm.get(joined)


def unmatched_participants(participant_ids: list[str], speakers: set[str | None],
                           documents: list[tuple[str, dict]], file: str) -> list[str]:
    """A warning naming the participants of an attributes table that no speaker label and no document matches."""
    speaking = {normalise_id(s) for s in speakers if s}
    owned = {participant_for_document(name, attributes, participant_ids) for name, attributes in documents}
    unknown = [p for p in participant_ids if normalise_id(p) not in speaking and p not in owned]
    if not unknown:
        return []
    shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
    return [f"{file}: {len(unknown)} of {len(participant_ids)} participants match no speaker label and no document "
            f"name in the project, so their attributes join nothing yet: {shown} (stored; they join transcripts "
            "imported later whose speakers or names match; ids are compared without case, spaces or punctuation)"]


def link_segments(segments: list[Segment], document_participant: dict[int, str | None],
                  participant_ids: list[str]) -> dict[int, str | None]:
    """Segment id → participant id, for every segment whose participant is known (and those that lost one)."""
    by_norm = {normalise_id(p): p for p in participant_ids}
    links: dict[int, str | None] = {}
    for segment in segments:
        participant = by_norm.get(normalise_id(segment.speaker))
        if participant is None and not segment.is_interviewer:
            participant = document_participant.get(segment.document_id)
        if participant != segment.participant:
            links[segment.id] = participant
    return links


def effective_attributes(segment: Segment, participants: Mapping[str, Mapping[str, Any]],
                         document_attributes: Mapping[str, Any]) -> dict[str, str]:
    """What a segment is known by: its participant's attributes, overridden by its document's, then its own."""
    merged: dict[str, str] = {}
    if segment.participant and segment.participant in participants:
        merged.update({k: str(v) for k, v in participants[segment.participant].items()})
    merged.update({k: str(v) for k, v in document_attributes.items()})
    merged.update({k: str(v) for k, v in segment.attributes.items()})
    merged.pop("participant_id", None)
    if segment.participant:
        merged["participant"] = segment.participant
    return merged
