"""REFI-QDA exchange (NVivo, ATLAS.ti, MAXQDA) and CSV: export, and what an import of a .qdpx/.qdc brought."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.errors import CodeseedError

from . import registry
from .registry import command

EXPORT_FORMATS = ("qdpx", "qdc", "csv")


def print_refi_import(report) -> None:
    """What a .qdpx/.qdc brought in and what it left out (nothing for other imports)."""
    from index.exchange.refi_import import RefiImportReport

    if not isinstance(report, RefiImportReport):
        return
    program = f" (written by {report.program})" if report.program else ""
    print(f"REFI-QDA {report.file}{program}:")
    print(f"  codes      {report.codes} ({report.codes_new} new, {report.codes_updated} already in the project)")
    if report.coders:
        print(f"  coders     {', '.join(report.coders)}")
    if report.sources or report.selections:
        print(f"  sources    {report.sources} text sources ({len(report.documents)} new documents)")
        for line in report.existing_documents + report.renamed_documents:
            print(f"             {line}")
        print(f"  codings    {report.refi_codings} codings on {report.selections} selections -> {report.codings} "
              f"codings of segments, {report.coded_passages} exact passages kept")
    if report.not_imported:
        print("  not imported:")
        for line in report.not_imported:
            print(f"    - {line}")


def _export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--out", required=True, metavar="FILE", help="file to write (.qdpx, .qdc or .csv)")
    p.add_argument("--format", choices=EXPORT_FORMATS, help="default: from the extension of --out")
    p.add_argument("--include-suggestions", action="store_true",
                   help="also write pending suggestions, as the coder 'codeseed suggestions (pending review)'")


@command("export", _export_options, help="write the project for NVivo/ATLAS.ti/MAXQDA (REFI-QDA) or as CSV",
         description="Export the project as a REFI-QDA project (.qdpx: documents, codebook, codings "
                     "with their coders) or codebook (.qdc), or the codings as CSV (one row per coded "
                     "passage). The same project always gives the same file.")
def cmd_export(args: argparse.Namespace) -> int:
    from index.exchange.refi_export import export_csv, export_refi

    suffix = Path(args.out).suffix.lower().lstrip(".")
    fmt = args.format or suffix
    if fmt not in EXPORT_FORMATS:
        raise CodeseedError(f"cannot tell the export format from {args.out!r}",
                            fix="name the file .qdpx, .qdc or .csv, or pass --format qdpx|qdc|csv")
    if suffix in EXPORT_FORMATS and suffix != fmt:
        raise CodeseedError(f"--format {fmt} but the file name ends in .{suffix}", file=args.out,
                            fix=f"name the file .{fmt} (QDA programs go by the extension)")
    if args.include_suggestions and fmt == "qdc":
        raise CodeseedError("--include-suggestions needs --format qdpx or csv; a .qdc holds only the codebook")
    with registry.open_project(args.project) as project:
        if fmt == "csv":
            report = export_csv(project, args.out, include_suggestions=args.include_suggestions)
        else:
            report = export_refi(project, args.out, format=fmt, include_suggestions=args.include_suggestions)
    if fmt == "qdc":
        print(f"Wrote the codebook ({report.codes} codes) to {report.path}.")
        return 0
    pending = f", {report.suggestions} pending suggestions" if args.include_suggestions else ""
    coders = ", ".join(report.coders) or "none"
    holds = f"{report.documents} documents, {report.codes} codes, " if fmt == "qdpx" else ""
    print(f"Wrote {report.path}: {holds}{report.codings} coded passages (coders: {coders}){pending}.")
    return 0
