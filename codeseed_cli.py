"""The `codeseed` command line: parse arguments, call the project API, print results, turn errors into messages.

No logic lives here beyond presentation; every command is a thin call into ``suggest`` (or ``eval``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index import IndexLayerError  # noqa: E402
from suggest.errors import CodeseedError  # noqa: E402

EPILOG = "Documentation: README.md. Every command takes --help."


def _project(folder: str):
    from suggest.project import Project

    return Project.open(folder)


def _progress() -> bool:
    return sys.stderr.isatty() or os.environ.get("CODESEED_PROGRESS") == "1"


# -- commands ---------------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from suggest.project import Project

    with Project.init(args.project, model=args.model, max_segment_chars=args.max_segment_chars) as project:
        print(f"Created project {project.folder} (model {args.model}, segments up to {args.max_segment_chars} characters).")
        print(f"Next: codeseed import {args.project} TRANSCRIPTS...")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from suggest.readers.table import TableOptions

    if not (args.files or args.codebook or args.codings or args.attributes):
        raise CodeseedError("nothing to import", fix="name transcript files, or --codebook, --codings or --attributes")
    with _project(args.project) as project:
        if args.codebook:
            report = project.import_codebook(args.codebook)
            print(f"Codebook: {report.codes} codes from {args.codebook}.")
        if args.files:
            options = TableOptions(text_column=args.text_column, document_column=args.document_column,
                                   speaker_column=args.speaker_column)
            report = project.import_documents(args.files, attributes=args.attributes, table_options=options)
            for d in report.documents:
                encoding = f", {d['encoding']}" if d["encoding"] else ""
                print(f"  {d['name']}: {d['segments']} segments ({d['source']}{encoding})")
            print(f"Imported {len(report.documents)} documents, "
                  f"{sum(d['segments'] for d in report.documents)} segments.")
            if args.attributes:
                print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
        elif args.attributes:
            report = project.import_attributes(args.attributes)
            print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
        if args.codings:
            report = project.import_codings(args.codings, coder=args.coder, skip_bad_rows=args.skip_bad_rows)
            print(f"Codings: {report.codings} added from {args.codings}.")
            for problem in report.codings_skipped:
                print(f"  skipped: {problem}", file=sys.stderr)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    with _project(args.project) as project:
        report = project.build_index(rebuild=args.rebuild, progress=_progress())
        if report.rebuilt:
            print(f"Indexed {report.segments} segments ({report.encoded} newly encoded, the rest from the cache) "
                  f"with {report.model} in {report.seconds:.1f} s.")
        else:
            print(f"Index is up to date: {report.segments} segments, {report.model}.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _project(args.project) as project:
        status = project.status()
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
        print(f"  index         {status['index']['state']} ({status['index']['model']})")
        if args.documents:
            print("\nDocuments:")
            for d in project.store.documents():
                attrs = ", ".join(f"{k}={v}" for k, v in d["attributes"].items())
                print(f"  {d['name']}: {d['segments']} segments  {attrs}")
        if args.codes:
            print("\nCodes:")
            for code in project.codes():
                indent = "    " if code.parent else "  "
                print(f"{indent}{code.id}  {code.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from suggest.demo import build_demo

    with build_demo(args.project, index=not args.no_index, progress=_progress()) as project:
        status = project.status()
        print(f"Built the sample project {project.folder}: {status['documents']} documents, "
              f"{status['segments']} segments, {status['codes']} codes, "
              f"{status['coded_segments']} segments coded by the study's team; index {status['index']['state']}.")
        print(f"Next: codeseed suggest {args.project}")
    return 0


# -- parser -----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from index import DEFAULT_MODEL

    parser = argparse.ArgumentParser(
        prog="codeseed", epilog=EPILOG,
        description="Local-first, AI-assisted qualitative coding. Nothing leaves your machine.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create an empty project folder", epilog=EPILOG)
    p.add_argument("project", help="folder to create")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"sentence-transformers model name or local path (default: {DEFAULT_MODEL}, bundled)")
    p.add_argument("--max-segment-chars", type=int, default=1200,
                   help="split speaker turns longer than this at sentence boundaries (default: 1200)")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("import", help="import transcripts, attributes, a codebook or codings", epilog=EPILOG,
                       description="Import transcripts (.txt .docx .vtt .srt .csv .xlsx), participant attributes, "
                                   "a codebook (.csv .xlsx .yaml) or codings (.csv .xlsx). All or nothing: a "
                                   "failed import leaves the project as it was.")
    p.add_argument("project")
    p.add_argument("files", nargs="*", help="transcript files")
    p.add_argument("--attributes", metavar="CSV", help="participant or document attributes (participant_id or document column)")
    p.add_argument("--codebook", metavar="FILE", help="codebook: code, parent, name, description[, inclusion, exclusion, example]")
    p.add_argument("--codings", metavar="FILE", help="codings: segment_id or document + text/start,end; code(s); coder")
    p.add_argument("--coder", help="coder name for codings without a coder column")
    p.add_argument("--skip-bad-rows", action="store_true", help="import the good coding rows and list the bad ones")
    p.add_argument("--text-column", default="text", help="table transcripts: column with the segment text (default: text)")
    p.add_argument("--document-column", help="table transcripts: column naming the document of each row")
    p.add_argument("--speaker-column", help="table transcripts: column naming the speaker of each row")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("index", help="embed segments and build the search index (cached)", epilog=EPILOG)
    p.add_argument("project")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index even if it is up to date")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("status", help="what the project holds", epilog=EPILOG)
    p.add_argument("project")
    p.add_argument("--documents", action="store_true", help="list documents with their attributes")
    p.add_argument("--codes", action="store_true", help="list the codebook")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("demo", help="build the bundled sample project (Foye et al. 2022)", epilog=EPILOG)
    p.add_argument("project", help="folder to create")
    p.add_argument("--no-index", action="store_true", help="skip building the index")
    p.set_defaults(run=cmd_demo)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CodeseedError, IndexLayerError) as error:
        print(f"codeseed {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Interrupted; the project is as it was before this command's last unfinished step.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
