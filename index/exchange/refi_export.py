"""A codeseed project out to REFI-QDA (.qdpx, .qdc), and its codings to CSV.

``.qdpx``: every document as a text source (plain text inside the archive), the codebook, one user per coder and
each coding as a selection (its exact passage when known, else its segment) coded by its coder; with
``include_suggestions``, the pending suggestions as codings of the user "codeseed suggestions (pending review)",
so a coder can review them in NVivo. Document attributes become variables of the sources. ``.qdc``: the
codebook. ``.csv``: one row per coded passage. GUIDs are the remembered ones, else derived (uuid5) from what
they name, so exports are reproducible.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import ProjectError
from index.exchange.refi_model import (PENDING_CODER, QdaCode, QdaCoding, QdaProject, QdaSelection, QdaSource, QdaUser,
                                       QdaVariable, describe, guid_for)
from index.exchange.refi_writer import variable_type, write_atomically, write_qdc, write_qdpx
from index.project import Project


@dataclass
class ExportReport:
    path: str
    format: str
    documents: int = 0
    codes: int = 0
    coders: list[str] = field(default_factory=list)
    codings: int = 0  # coded passages written (selections x codes x coders)
    suggestions: int = 0


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("codeseed")
    except metadata.PackageNotFoundError:
        return "dev"


def project_model(project: Project, *, include_suggestions: bool = False) -> QdaProject:
    """The project as a REFI-QDA model: what :func:`export_refi` writes."""
    store = project.store
    remembered_codes = store.exchange_ids("code")
    code_guids = {c.id: remembered_codes.get(c.id) or guid_for("code", c.id) for c in store.codes()}
    remembered_coders = store.exchange_ids("coder")
    remembered_documents = store.exchange_ids("document")
    codes = [QdaCode(guid=code_guids[c.id], name=c.name, parent=code_guids.get(c.parent) if c.parent else None,
                     description=describe(c)) for c in store.codes()]
    passages = store.coded_spans()
    pending = store.pending_suggestions() if include_suggestions else []
    coder_names = sorted({p["coder"] for p in passages} | ({PENDING_CODER} if pending else set()))
    user_guids = {name: remembered_coders.get(name) or guid_for("coder", name) for name in coder_names}
    users = [QdaUser(guid=user_guids[name], name=name) for name in coder_names]

    documents = store.documents_with_text()
    first_with_text = {d["sha256"]: d["id"] for d in reversed(documents)}  # documents may share a text: one GUID each
    document_guids = {d["id"]: remembered_documents.get(d["name"]) or guid_for(
        "document", d["sha256"] if first_with_text[d["sha256"]] == d["id"] else f"{d['sha256']}:{d['name']}")
        for d in documents}
    marks: dict[int, dict[tuple[int, int], list[tuple[str, str, str | None]]]] = defaultdict(lambda: defaultdict(list))
    for p in passages:
        marks[p["document_id"]][(p["start"], p["end"])].append((p["code_id"], p["coder"], p["created_at"]))
    for s in pending:
        marks[s["document_id"]][(s["start"], s["end"])].append((s["code_id"], PENDING_CODER, None))

    values: dict[str, list[Any]] = defaultdict(list)
    for d in documents:
        for key, value in d["attributes"].items():
            if value is not None:
                values[key].append(value)
    variables = [QdaVariable(guid=guid_for("variable", name), name=name, type=variable_type(v))
                 for name, v in sorted(values.items())]
    sources = []
    for d in documents:
        guid = document_guids[d["id"]]
        selections = []
        for (start, end), codings in sorted(marks[d["id"]].items()):
            selection_guid = guid_for("selection", guid, start, end)
            seen: set[tuple[str, str]] = set()
            made = []
            for code_id, coder, created in codings:
                if (code_id, coder) in seen:
                    continue
                seen.add((code_id, coder))
                made.append(QdaCoding(guid=guid_for("coding", selection_guid, code_guids[code_id], user_guids[coder]),
                                      code=code_guids[code_id], user=user_guids[coder], created=created))
            selections.append(QdaSelection(guid=selection_guid, start=start, end=end, codings=made))
        sources.append(QdaSource(guid=guid, name=d["name"], text=d["text"], selections=selections,
                                 variables={k: v for k, v in d["attributes"].items() if v is not None}))
    return QdaProject(name=project.folder.name, origin=f"codeseed {_version()}", users=users, codes=codes,
                      variables=variables, sources=sources)


def export_refi(project: Project, out: Path | str, *, format: str = "qdpx",
                include_suggestions: bool = False) -> ExportReport:
    """Write the project as a .qdpx (``format="qdpx"``) or its codebook as a .qdc (``format="qdc"``)."""
    out = Path(out)
    if format not in ("qdpx", "qdc"):
        raise ProjectError(f"unknown export format {format!r}", field="format", fix="use qdpx, qdc or csv")
    model = project_model(project, include_suggestions=include_suggestions and format == "qdpx")
    if not model.codes and format == "qdc":
        raise ProjectError("the project has no codebook to export", file=str(project.folder),
                           fix="import one first: codeseed import PROJECT --codebook codebook.csv")
    if format == "qdc":
        write_qdc(model.codes, out, origin=model.origin)
        return ExportReport(path=str(out), format=format, codes=len(model.codes))
    write_qdpx(model, out)
    codings = [c for s in model.sources for sel in s.selections for c in sel.codings]
    pending_guid = guid_for("coder", PENDING_CODER)
    suggestions = sum(1 for c in codings if c.user == pending_guid)
    return ExportReport(path=str(out), format=format, documents=len(model.sources), codes=len(model.codes),
                        coders=[u.name for u in model.users if u.name != PENDING_CODER],
                        codings=len(codings) - suggestions, suggestions=suggestions)


CSV_COLUMNS = ("document", "start", "end", "text", "code", "code_name", "coder", "origin", "score")


def export_csv(project: Project, out: Path | str, *, include_suggestions: bool = False) -> ExportReport:
    """One row per coded passage (and per pending suggestion, if asked): UTF-8 with BOM, so Excel reads it right.

    The file can be imported again with ``codeseed import PROJECT --codings FILE`` (document + start/end).
    """
    out = Path(out)
    store = project.store
    names = {c.id: c.name for c in store.codes()}
    texts = {d["id"]: d["text"] for d in store.documents_with_text()}
    documents = {d["id"]: d["name"] for d in store.documents_with_text()}
    rows, seen = [], set()
    for p in store.coded_spans():  # a passage that codes two segments is one row, as in a .qdpx
        key = (p["document_id"], p["start"], p["end"], p["code_id"], p["coder"])
        if key not in seen:
            seen.add(key)
            rows.append((p["document"], p["start"], p["end"], texts[p["document_id"]][p["start"]:p["end"]],
                         p["code_id"], names.get(p["code_id"], ""), p["coder"], p["origin"], ""))
    pending = store.pending_suggestions() if include_suggestions else []
    rows += [(documents[s["document_id"]], s["start"], s["end"], texts[s["document_id"]][s["start"]:s["end"]],
              s["code_id"], names.get(s["code_id"], ""), PENDING_CODER, "suggestion (pending review)",
              f"{s['score']:.4f}") for s in pending]

    def write(handle) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
        text.flush()
        text.detach()

    write_atomically(out, write)
    return ExportReport(path=str(out), format="csv", documents=len({r[0] for r in rows}), codes=len(names),
                        coders=sorted({p["coder"] for p in store.coded_spans()}),
                        codings=len(rows) - len(pending), suggestions=len(pending))
