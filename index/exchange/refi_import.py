"""A REFI-QDA project or codebook (.qdpx, .qdc) into a codeseed project, all or nothing.

:func:`import_refi` brings a .qdpx (codebook, users, text sources, codings, variables); :func:`import_refi_codebook`
the codebook of a .qdc or .qdpx. What the file holds that codeseed cannot use is listed in the report
(``not_imported``), what the reader assumed in ``warnings``.

Import rules
------------
*Codes.* A REFI-QDA code keeps its name, description and place in the tree. Its codeseed id is readable, made
from the name (``Barriers to care`` → ``barriers_to_care``, at most 40 characters); a name used twice gets its
parent's id in front (``cs_as_programming/programming``), and ``-2``, ``-3`` if still taken. The code's GUID is
remembered (table ``exchange_ids``), so an export writes the same GUID back and NVivo/ATLAS.ti/MAXQDA see their
own codes. A code in the file is the same as a code already in the project when its GUID was remembered, when it
is the GUID codeseed itself exported for that code, or when a code without a remembered GUID has the same name
under the same parent; such codes are updated (name, parent, description), not duplicated.
REFI-QDA has only a description; codeseed writes inclusion, exclusion and example criteria as closing
paragraphs ``Inclusion: ...``, ``Exclusion: ...``, ``Example: ...`` of it and reads them back from there.

*Coders.* Each REFI-QDA user is a coder, named by the user's name (else id); the GUID is remembered. A coding
without a user is given to the user of its selection, its source or the project, or the only user in the file;
failing all of those it is reported, not guessed. Codings by the user "codeseed suggestions (pending review)"
are codeseed's own unreviewed suggestions coming back and are never imported as codings.

*Sources.* A text source becomes a document named after the source (else its file), its text segmented like
any transcript (speaker turns by :func:`index.ingest.readers.text.parse_turns`). A source whose text is identical to
a document already in the project is that document: its codings are added to it. Variables (on the source, or on
a case that holds it) become document attributes; the case's name goes in the attribute ``case``.

*Codings: which segments a selection codes.* A selection (a passage of a text) codes **every segment it covers
at least half of, and in any case the segment it overlaps most** (so a selection inside one segment codes that
segment, a selection spanning several turns codes each turn it mostly covers, and no selection is lost to a
boundary it slightly crosses). The selection's exact span is kept with each coding (``codings.start/end`` and
``coding_spans``), so exporting gives back the same passages. A selection that overlaps no segment (only a
speaker label or blank space) is reported.

Everything an import does happens in one transaction: on any error the project is as it was.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.cache import text_hash
from index.errors import CodeseedError, InputFileError
from index.exchange.refi_model import (CRITERIA, PENDING_CODER, LeftOut, QdaCode, QdaProject, QdaSource, QdaUser,
                                       guid_for, slug, undescribe)
from index.exchange.refi_reader import read_qdc, read_qdpx
from index.ingest.archives import Limits
from index.ingest.codebook import check_codebook
from index.ingest.readers.text import parse_turns
from index.project import ImportReport, Project
from index.types import Code, ParsedDocument, Segment, coder_name


@dataclass
class RefiImportReport(ImportReport):
    """An :class:`ImportReport` (documents, codes, codings added) plus what a REFI-QDA file brought and left out."""

    file: str = ""
    program: str | None = None  # the exporting program, as the file names it
    coders: list[str] = field(default_factory=list)
    codes_new: int = 0
    codes_updated: int = 0
    sources: int = 0  # text sources whose text was imported (new documents or documents already here)
    existing_documents: list[str] = field(default_factory=list)  # "source → document already in the project"
    renamed_documents: list[str] = field(default_factory=list)  # "source → new name" when two sources share a name
    selections: int = 0  # selections placed on segments
    refi_codings: int = 0  # codings read from placed selections
    coded_passages: int = 0  # (passage, code, coder) added; codeseed's codings are per segment, so codings <= this
    not_imported: list[str] = field(default_factory=list)


# -- import ----------------------------------------------------------------------------------------------------
def import_refi(project: Project, path: Path | str, *, limits: Limits | None = None) -> RefiImportReport:
    """Import a .qdpx project (users, codebook, text sources, codings, variables) into ``project``, all or nothing."""
    model = read_qdpx(path, limits=limits)
    return _import(project, model, str(path), codebook_only=False)


def import_refi_codebook(project: Project, path: Path | str, *, limits: Limits | None = None) -> RefiImportReport:
    """Import the codebook of a .qdc (or of a .qdpx project) into ``project``."""
    path = Path(path)
    model = read_qdpx(path, limits=limits) if path.suffix.lower() == ".qdpx" else read_qdc(path, limits=limits)
    return _import(project, model, str(path), codebook_only=True)


def _import(project: Project, model: QdaProject, file: str, *, codebook_only: bool) -> RefiImportReport:
    store = project.store
    report = RefiImportReport(file=file, program=model.origin, not_imported=list(model.left_out),
                              warnings=list(model.warnings))
    codes, code_ids, updated = _plan_codes(project, model.codes, file)
    report.codes, report.codes_updated, report.codes_new = len(codes), updated, len(codes) - updated
    dropped = LeftOut()
    for code in model.codes:
        if not code.codable:
            dropped.add("codes marked 'not codable', imported as codable: codeseed lets any code be applied", code.name)
        if code.color:
            dropped.add("code colours, not kept: codeseed has no colours", code.name)
    report.not_imported += dropped.messages()
    if codebook_only:
        if model.sources or model.users:
            report.not_imported.append("sources, users and codings of the project: --codebook imports the codebook only")
        with store.transaction():
            _store_codes(store, codes, code_ids)
        return report
    coders, pending_guids = _plan_coders(store, model.users, file)
    report.coders = sorted(set(coders.values()))
    plans = _plan_documents(project, model, file, report)
    with store.transaction():
        _store_codes(store, codes, code_ids)
        for guid, name in coders.items():
            store.remember_exchange_id("coder", name, guid)
        new = [plan.parsed for plan in plans if plan.parsed is not None]
        if new:
            project.add_documents(new, report)
        for plan in plans:
            current = store.document_by_name(plan.document)
            plan.document_id = current["id"]
            if plan.parsed is None and plan.attributes:
                store.set_document_attributes(plan.document_id, {**_attributes_of(current), **plan.attributes})
            store.remember_exchange_id("document", plan.document, plan.source.guid)
        rows = _codings(store, plans, code_ids, coders, pending_guids, model, report)
        report.codings, report.coded_passages = store.add_span_codings(rows)
        report.linked_segments = project.link_participants()
    return report


def _attributes_of(row) -> dict[str, Any]:
    return json.loads(row["attributes"]) if row["attributes"] else {}


def _plan_codes(project: Project, codes: list[QdaCode], file: str) -> tuple[list[Code], dict[str, str], int]:
    """The codes to store (ids chosen by the module's rule) and the code id for each GUID of the file."""
    existing = {c.id: c for c in project.store.codes()}
    remembered = {guid: key for key, guid in project.store.exchange_ids("code").items() if key in existing}
    ours = {guid_for("code", cid): cid for cid in existing}
    by_name: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    remembered_ids = set(remembered.values())
    for c in existing.values():
        if c.id not in remembered_ids:
            by_name[(c.name.casefold(), c.parent)].append(c.id)
    taken = set(existing)
    claimed: set[str] = set()
    ids: dict[str, str] = {}
    out: list[Code] = []
    updated = 0
    for code in codes:  # parents come first
        parent = ids.get(code.parent) if code.parent else None
        cid = remembered.get(code.guid) or ours.get(code.guid)
        if cid is None:
            cid = next((c for c in by_name.get((code.name.casefold(), parent), []) if c not in claimed), None)
        if cid in claimed:
            cid = None
        if cid is None:
            cid = slug(code.name)
            if cid in taken and parent:
                cid = f"{parent}/{cid}"
            base, number = cid, 2
            while cid in taken:
                cid, number = f"{base}-{number}", number + 1
        else:
            updated += 1
        taken.add(cid)
        claimed.add(cid)
        ids[code.guid] = cid
        fields = undescribe(code.description)
        before = existing.get(cid)
        out.append(Code(
            id=cid, name=code.name, parent=parent, description=fields["description"],
            **{attr: fields.get(attr, getattr(before, attr) if before else "") for attr in CRITERIA},
        ))
    check_codebook(out, file, existing=set(existing))
    return out, ids, updated


def _store_codes(store, codes: list[Code], ids: dict[str, str]) -> None:
    store.upsert_codes(codes)
    for guid, cid in ids.items():
        store.remember_exchange_id("code", cid, guid)


def _plan_coders(store, users: list[QdaUser], file: str) -> tuple[dict[str, str], set[str]]:
    """GUID -> coder name for the file's users, and the GUIDs that are codeseed's pending suggestions."""
    remembered = {guid: key for key, guid in store.exchange_ids("coder").items()}
    pending = {guid_for("coder", PENDING_CODER)}
    coders: dict[str, str] = {}
    for user in users:
        try:
            name = coder_name(remembered.get(user.guid) or user.name or user.id) or f"user {user.guid[:8]}"
        except CodeseedError as error:
            raise InputFileError(f"user {user.guid}: {error.message}", file=file, field="User name",
                                 fix="give the user a shorter name in your QDA program and export again") from None
        if name == PENDING_CODER:
            pending.add(user.guid)
            continue
        if name in coders.values():  # two users of one name in the file: tell them apart
            name = f"{name} ({user.id or user.guid[:8]})"
        coders[user.guid] = name
    return coders, pending


@dataclass
class _DocumentPlan:
    source: QdaSource
    document: str  # its name in the project
    parsed: ParsedDocument | None = None  # None: the document is already in the project
    document_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def _plan_documents(project: Project, model: QdaProject, file: str, report: RefiImportReport) -> list[_DocumentPlan]:
    store = project.store
    case_attributes = _case_attributes(model, report)
    plans: list[_DocumentPlan] = []
    by_sha: dict[str, _DocumentPlan] = {}
    in_project = {d["name"] for d in store.documents()}
    in_file: set[str] = set()
    for source in model.sources:
        if source.text is None:
            report.not_imported.append(f"text source {source.name!r}, not imported: {source.problem}")
            continue
        attributes = {**source.variables, **case_attributes.get(source.guid, {})}
        sha = text_hash(source.text)
        if sha in by_sha:
            first = by_sha[sha]
            report.existing_documents.append(f"{source.name} → {first.document} (the same text, earlier in the file)")
            plans.append(_DocumentPlan(source, first.document, attributes=attributes))
            continue
        same = store.document_by_sha(sha)
        if same is not None:
            plan = _DocumentPlan(source, same["name"], document_id=same["id"], attributes=attributes)
            report.existing_documents.append(f"{source.name} → {same['name']} (already in the project)")
        else:
            name = source.name
            if name in in_project:
                raise InputFileError(
                    f"the project already has a document named {name!r} with a different text than the file's "
                    f"source of that name", file=file, field="TextSource name",
                    fix="rename the source in your QDA program and export again, or import into a new project "
                        "(codeseed init)")
            number = 2
            while name in in_file or name in in_project:  # two sources of one name (in different folders)
                name, number = f"{source.name} ({number})", number + 1
            if name != source.name:
                report.renamed_documents.append(f"{source.name} → {name} (another source has that name)")
            in_file.add(name)
            plan = _DocumentPlan(source, name, attributes=attributes, parsed=ParsedDocument(
                name=name, source=f"{file}: {source.origin}", text=source.text, turns=parse_turns(source.text),
                encoding=source.encoding, attributes=attributes))
        by_sha[sha] = plan
        plans.append(plan)
    report.sources = len(plans)
    return plans


def _case_attributes(model: QdaProject, report: RefiImportReport) -> dict[str, dict[str, Any]]:
    """Source GUID -> attributes from the cases holding it (the case's variables and its name as ``case``)."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    text_sources = {s.guid for s in model.sources if s.text is not None}
    for case in model.cases:
        held = [g for g in case.sources if g in text_sources]
        if not held:
            report.not_imported.append(f"case {case.name!r}, not imported: it holds no imported text source")
            continue
        for guid in held:
            values = {**case.variables, "case": case.name}
            for key, value in values.items():
                if key in out[guid] and out[guid][key] != value:
                    if key == "case":
                        out[guid][key] = f"{out[guid][key]}; {value}"
                    else:
                        report.not_imported.append(
                            f"value {value!r} of {key!r} from case {case.name!r}, not imported: another case "
                            f"already gave that source {out[guid][key]!r}")
                    continue
                out[guid][key] = value
    return out


def covered_segments(segments: list[Segment], start: int, end: int) -> list[Segment]:
    """The segments a selection codes: every one it covers at least half of, and the one it overlaps most."""
    starts = [s.start for s in segments]
    first = max(bisect_left(starts, start) - 1, 0)
    overlaps = []
    for segment in segments[first:]:
        if segment.start >= end:
            break
        overlap = min(end, segment.end) - max(start, segment.start)
        if overlap > 0:
            overlaps.append((overlap, segment))
    if not overlaps:
        return []
    best = max(overlaps, key=lambda pair: pair[0])[1]  # first of the largest on a tie
    return [s for overlap, s in overlaps if s is best or 2 * overlap >= s.end - s.start]


def _codings(store, plans: list[_DocumentPlan], code_ids: dict[str, str], coders: dict[str, str],
             pending: set[str], model: QdaProject, report: RefiImportReport) -> list[tuple]:
    """Coding rows (segment, code, coder, origin, start, end, created) for every placeable selection."""
    segments: dict[int, list[Segment]] = defaultdict(list)
    for segment in store.segments(document_ids={p.document_id for p in plans}):
        segments[segment.document_id].append(segment)
    only_user = next(iter(coders)) if len(coders) == 1 else None
    fallback = model.creating_user if model.creating_user in coders else only_user
    left_out = LeftOut()
    rows = []
    for plan in plans:
        for selection in plan.source.selections:
            where = f"{plan.document} {selection.start}-{selection.end}"
            hit = covered_segments(segments[plan.document_id], selection.start, selection.end)
            if not hit:
                left_out.add("selections covering no segment text (only a speaker label or blank space)", where)
                continue
            report.selections += 1
            for coding in selection.codings:
                report.refi_codings += 1
                if coding.user in pending:
                    left_out.add(f"codings by {PENDING_CODER!r}: codeseed's own unreviewed suggestions are not "
                                 "codings; code them under your own name to accept them", where)
                    continue
                if coding.code not in code_ids:
                    left_out.add("codings naming a code that is not in the file's codebook", where)
                    continue
                coder = coders.get(coding.user) if coding.user else None
                coder = coder or (coders.get(fallback) if fallback else None)
                if coder is None:
                    left_out.add("codings without a known user (the file names none, and has several users)", where)
                    continue
                for segment in hit:
                    rows.append((segment.id, code_ids[coding.code], coder, "human", selection.start, selection.end,
                                 _timestamp(coding.created)))
    report.not_imported += left_out.messages()
    return rows


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _timestamp(value: str | None) -> str | None:
    return value if value and _DATETIME.match(value) else None
