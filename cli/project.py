"""The project's own commands: create one, import into it, index it, say what it holds, build the sample."""

from __future__ import annotations

import argparse
import json
import sys

from index.errors import CodeseedError

from . import registry
from .registry import command, count, progress


def _init_options(p: argparse.ArgumentParser) -> None:
    from index import DEFAULT_MODEL

    p.add_argument("project", help="folder to create")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"sentence-transformers model name or local path (default: {DEFAULT_MODEL}, bundled)")
    p.add_argument("--max-segment-chars", type=int, default=1200,
                   help="split speaker turns longer than this at sentence boundaries (default: 1200)")


@command("init", _init_options, help="create an empty project folder")
def cmd_init(args: argparse.Namespace) -> int:
    from index.project import Project

    with Project.init(args.project, model=args.model, max_segment_chars=args.max_segment_chars) as project:
        print(f"Created project {project.folder} (model {args.model}, segments up to {args.max_segment_chars} characters).")
        print(f"Next: codeseed import {args.project} TRANSCRIPTS...")
    return 0


def _import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("files", nargs="*", help="transcript files, or one REFI-QDA project (.qdpx)")
    p.add_argument("--attributes", metavar="CSV", help="participant or document attributes (participant_id or document column)")
    p.add_argument("--codebook", metavar="FILE", help="codebook: code, parent, name, description[, inclusion, exclusion, example]; or .qdc")
    p.add_argument("--codings", metavar="FILE", help="codings: segment_id or document + text/start,end; code(s); coder")
    p.add_argument("--coder", help="coder name for codings without a coder column")
    p.add_argument("--skip-bad-rows", action="store_true", help="import the good coding rows and list the bad ones")
    p.add_argument("--text-column", default="text", help="table transcripts: column with the segment text (default: text)")
    p.add_argument("--document-column", help="table transcripts: column naming the document of each row")
    p.add_argument("--speaker-column", help="table transcripts: column naming the speaker of each row")


@command("import", _import_options, help="import transcripts, attributes, a codebook or codings",
         description="Import transcripts (.txt .docx .vtt .srt .csv .xlsx), participant attributes, "
                     "a codebook (.csv .xlsx .yaml .qdc) or codings (.csv .xlsx), or a whole "
                     "REFI-QDA project from NVivo/ATLAS.ti/MAXQDA (.qdpx). All or nothing: a "
                     "failed import leaves the project as it was.")
def cmd_import(args: argparse.Namespace) -> int:
    from index.importing import import_codebook, import_files
    from index.ingest.readers.table import TableOptions
    from index.types import coder_name

    from .exchange import print_refi_import

    if not (args.files or args.codebook or args.codings or args.attributes):
        raise CodeseedError("nothing to import", fix="name transcript files, or --codebook, --codings or --attributes")
    with registry.open_project(args.project) as project:
        if args.codebook:
            report = import_codebook(project, args.codebook)
            print(f"Codebook: {report.codes} codes from {args.codebook}.")
            print_refi_import(report)
            print_warnings(report)
        if args.files:
            options = TableOptions(text_column=args.text_column, document_column=args.document_column,
                                   speaker_column=args.speaker_column)
            report = import_files(project, args.files, attributes=args.attributes, table_options=options)
            for d in report.documents:
                encoding = f", {d['encoding']}" if d["encoding"] else ""
                print(f"  {d['name']}: {count(d['segments'], 'segment')} ({d['source']}{encoding})")
            print(f"Imported {len(report.documents)} documents, "
                  f"{sum(d['segments'] for d in report.documents)} segments.")
            print_refi_import(report)
            if args.attributes:
                print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
            print_warnings(report)
        elif args.attributes:
            report = project.import_attributes(args.attributes)
            print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
            print_warnings(report)
        if args.codings:
            report = project.import_codings(args.codings, coder=args.coder, skip_bad_rows=args.skip_bad_rows)
            print(f"Codings: {report.codings} added from {args.codings} (coders: {', '.join(report.coders) or 'none'}).")
            if args.coder and any(c != coder_name(args.coder) for c in report.coders):
                print(f"  note: rows with a coder column value keep it; --coder {args.coder} applied only to rows "
                      "without one.", file=sys.stderr)
            for problem in report.codings_skipped:
                print(f"  skipped: {problem}", file=sys.stderr)
            print_warnings(report)
    return 0


def print_warnings(report) -> None:
    """What a lenient import skipped or assumed, one line each, so nothing passes without a word."""
    for line in report.warnings:
        print(f"  warning: {line}", file=sys.stderr)


def _index_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index even if it is up to date")


@command("index", _index_options, help="embed segments and build the search index (cached)")
def cmd_index(args: argparse.Namespace) -> int:
    with registry.open_project(args.project) as project:
        report = project.build_index(rebuild=args.rebuild, progress=progress())
        print_warnings(report)  # e.g. a damaged vector cache set aside and rebuilt
        if report.rebuilt:
            print(f"Indexed {report.segments} segments ({report.encoded} newly encoded, the rest from the cache) "
                  f"with {report.model} in {report.seconds:.1f} s.")
        else:
            print(f"Index is up to date: {report.segments} segments, {report.model}.")
    return 0


def _status_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--documents", action="store_true", help="list documents with their attributes")
    p.add_argument("--codes", action="store_true", help="list the codebook")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("status", _status_options, help="what the project holds")
def cmd_status(args: argparse.Namespace) -> int:
    with registry.open_project(args.project) as project:
        status = project.status()
        from .team import round_status

        status["round"] = round_status(project.store)
        if args.json:
            print(json.dumps(status, indent=2, ensure_ascii=False))
            return 0
        print(f"Project {status['project']} (schema {status['schema']})")
        print(f"  documents     {status['documents']}")
        print(f"  segments      {status['segments']} ({status['interviewer_segments']} interviewer turns)")
        print(f"  participants  {status['participants']}")
        print(f"  codes         {status['codes']}")
        print(f"  coded segs    {status['coded_segments']}")
        coders = status["codings_by_coder"]
        print("  codings       " + (", ".join(f"{c}: {n}" for c, n in coders.items()) or "none"))
        print(f"  decisions     {status['decisions']}")
        kind = f", {status['index']['kind']} search" if "kind" in status["index"] else ""
        print(f"  index         {status['index']['state']} ({status['index']['model']}{kind})")
        encoder = status["encoder"]
        print(f"  encoder       {encoder['model']}" + (
            f", tuned on this project's codings ({encoder['tuned']}; `codeseed tune {args.project} --off` "
            "returns to the base)" if encoder["tuned"] else ""))
        from .team import round_lines

        for line in round_lines(project.store):
            print("  " + line)
        if args.documents:
            print("\nDocuments:")
            for d in project.store.documents():
                attrs = ", ".join(f"{k}={v}" for k, v in d["attributes"].items())
                print(f"  {d['name']}: {count(d['segments'], 'segment')}  {attrs}")
        if args.codes:
            print("\nCodes:")
            for code in project.codes():
                indent = "    " if code.parent else "  "
                print(f"{indent}{code.id}  {code.name}")
    return 0


def _demo_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="folder to create")
    p.add_argument("--no-index", action="store_true", help="skip building the index")


@command("demo", _demo_options, help="build the bundled sample project (Foye et al. 2022)")
def cmd_demo(args: argparse.Namespace) -> int:
    from index.demo import build_demo

    with build_demo(args.project, index=not args.no_index, progress=progress()) as project:
        status = project.status()
        print(f"Built the sample project {project.folder}: {status['documents']} documents, "
              f"{status['segments']} segments, {status['codes']} codes, "
              f"{status['coded_segments']} segments coded by the study's team; index {status['index']['state']}.")
        print(f"Next: codeseed suggest {args.project}")
    return 0
