"""Every import a user starts (the command line's ``codeseed import``, the app's Import tab) enters here, and the
file decides which room reads it: a REFI-QDA project (.qdpx) or codebook (.qdc) goes to :mod:`index.exchange`,
everything else to the :class:`~index.project.Project` (through :mod:`index.ingest`).

This module sits above both so that the dependencies run one way, exchange → project → ingest → store: the
project never imports exchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from index.errors import InputFileError
from index.exchange.refi_import import import_refi, import_refi_codebook
from index.ingest.readers.table import TableOptions
from index.project import ImportReport, Project

REFI_PROJECT = ".qdpx"
REFI_CODEBOOKS = (".qdc", ".qdpx")


def is_refi_project(path: Path | str) -> bool:
    return Path(path).suffix.lower() == REFI_PROJECT


def import_files(project: Project, paths: Iterable[Path | str], *, attributes: Path | str | None = None,
                 table_options: TableOptions | None = None) -> ImportReport:
    """Import transcripts (with an optional attributes table), or one REFI-QDA project, all or nothing."""
    paths = [Path(p) for p in paths]
    if not any(is_refi_project(p) for p in paths):
        return project.import_documents(paths, attributes=attributes, table_options=table_options)
    if len(paths) > 1:
        raise InputFileError("a REFI-QDA project (.qdpx) is imported on its own", file=str(paths[0]),
                             fix="run one `codeseed import` for the .qdpx file and another for the other files")
    with project.store.transaction():
        report = import_refi(project, paths[0])
        if attributes is not None:
            extra = project.import_attributes(attributes)
            report.participants, report.linked_segments = extra.participants, extra.linked_segments
    return report


def import_codebook(project: Project, path: Path | str) -> ImportReport:
    """Import or update the codebook: a REFI-QDA codebook (.qdc, or a .qdpx project's) keeps its GUIDs for export."""
    if Path(path).suffix.lower() in REFI_CODEBOOKS:
        return import_refi_codebook(project, path)
    return project.import_codebook(path)
