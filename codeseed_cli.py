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
from index.errors import CodeseedError  # noqa: E402

EPILOG = "Documentation: README.md. Every command takes --help."


def _project(folder: str):
    from index.project import Project

    return Project.open(folder)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _progress() -> bool:
    return sys.stderr.isatty() or os.environ.get("CODESEED_PROGRESS") == "1"


# -- commands ---------------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from index.project import Project

    with Project.init(args.project, model=args.model, max_segment_chars=args.max_segment_chars) as project:
        print(f"Created project {project.folder} (model {args.model}, segments up to {args.max_segment_chars} characters).")
        print(f"Next: codeseed import {args.project} TRANSCRIPTS...")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from index.ingest.readers.table import TableOptions

    if not (args.files or args.codebook or args.codings or args.attributes):
        raise CodeseedError("nothing to import", fix="name transcript files, or --codebook, --codings or --attributes")
    with _project(args.project) as project:
        if args.codebook:
            report = project.import_codebook(args.codebook)
            print(f"Codebook: {report.codes} codes from {args.codebook}.")
            _print_refi_import(report)
        if args.files:
            options = TableOptions(text_column=args.text_column, document_column=args.document_column,
                                   speaker_column=args.speaker_column)
            report = project.import_documents(args.files, attributes=args.attributes, table_options=options)
            for d in report.documents:
                encoding = f", {d['encoding']}" if d["encoding"] else ""
                print(f"  {d['name']}: {_count(d['segments'], 'segment')} ({d['source']}{encoding})")
            print(f"Imported {len(report.documents)} documents, "
                  f"{sum(d['segments'] for d in report.documents)} segments.")
            _print_refi_import(report)
            if args.attributes:
                print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
        elif args.attributes:
            report = project.import_attributes(args.attributes)
            print(f"Attributes: {report.participants} participants; {report.linked_segments} segments linked.")
        if args.codings:
            report = project.import_codings(args.codings, coder=args.coder, skip_bad_rows=args.skip_bad_rows)
            print(f"Codings: {report.codings} added from {args.codings} (coders: {', '.join(report.coders) or 'none'}).")
            if args.coder and any(c != args.coder for c in report.coders):
                print(f"  note: rows with a coder column value keep it; --coder {args.coder} applied only to rows "
                      "without one.", file=sys.stderr)
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
                print(f"  {d['name']}: {_count(d['segments'], 'segment')}  {attrs}")
        if args.codes:
            print("\nCodes:")
            for code in project.codes():
                indent = "    " if code.parent else "  "
                print(f"{indent}{code.id}  {code.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from index.demo import build_demo

    with build_demo(args.project, index=not args.no_index, progress=_progress()) as project:
        status = project.status()
        print(f"Built the sample project {project.folder}: {status['documents']} documents, "
              f"{status['segments']} segments, {status['codes']} codes, "
              f"{status['coded_segments']} segments coded by the study's team; index {status['index']['state']}.")
        print(f"Next: codeseed suggest {args.project}")
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    from suggest.project_suggester import ProjectSuggester

    with _project(args.project) as project:
        params = {"k": args.k} if args.k else {}
        suggester = ProjectSuggester(project, **params).fit(progress=_progress())
        if args.explain is not None:
            print(suggester.explain(args.explain, top=args.top))
            return 0
        candidates = suggester.candidates(documents=args.documents, include_coded=args.include_coded,
                                          include_interviewer=args.include_interviewer)
        results = suggester.suggest([s.id for s in candidates], codes=args.codes, top=args.top, progress=_progress())
        confident = {i: [s for s in ranked if s.confident] for i, ranked in results.items()}
        abstained = sum(1 for ranked in confident.values() if not ranked)
        if args.out:
            from suggest.suggestions_csv import write_suggestions_csv

            rows = write_suggestions_csv(args.out, project, candidates, results, include_all=args.all)
            print(f"Wrote {rows} rows to {args.out}.")
        print(f"{len(results)} segments: {len(results) - abstained} with a confident suggestion, "
              f"{abstained} without (scores under the codes' thresholds). Suggester: {suggester.version}.")
        if not args.out:
            names = {c.id: c.name for c in project.codes()}
            for segment in candidates[: args.show]:
                best = confident.get(segment.id) or []
                shown = "; ".join(f"{s.code} {names.get(s.code, '')} ({s.score:.2f})" for s in best) or "no confident suggestion"
                print(f"  [{segment.id}] {segment.document}: {' '.join(segment.text.split())[:70]}…\n      → {shown}")
            if len(candidates) > args.show:
                print(f"  ... {len(candidates) - args.show} more; write them all with --out suggestions.csv")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from suggest.ask.answer import ask, format_result

    with _project(args.project) as project:
        result = ask(project, args.question, args.k, include_interviewer=args.include_interviewer)
        synthesis = None
        if args.llm and result.quotes:
            from suggest.ask.langchain_adapter import chat_model_from_spec, quote_to_document, synthesise

            synthesis = synthesise(args.question, [quote_to_document(q) for q in result.quotes],
                                   chat_model_from_spec(args.llm))
        if args.json:
            out = result.to_dict()
            if synthesis is not None:
                out["summary"] = {"answer": synthesis.answer, "cited": synthesis.check.cited,
                                  "unknown_citations": synthesis.check.unknown,
                                  "unsupported_sentences": synthesis.check.unsupported}
            print(json.dumps(out, indent=2, ensure_ascii=False))
            return 0
        print(format_result(result))
        if synthesis is not None:
            print(f"\nSummary by {args.llm} (check it against the quotes):\n{synthesis.answer}")
            for cite in synthesis.check.unknown:
                print(f"  warning: [{cite}] is not one of the quotes above", file=sys.stderr)
            for sentence in synthesis.check.unsupported:
                print(f"  warning: cites no quote: {sentence}", file=sys.stderr)
    return 0


# -- REFI-QDA exchange (NVivo, ATLAS.ti, MAXQDA) -----------------------------------------------------
EXPORT_FORMATS = ("qdpx", "qdc", "csv")


def _print_refi_import(report) -> None:
    """What a .qdpx/.qdc brought in and what it left out (nothing for other imports)."""
    from index.exchange.refi_project import RefiImportReport

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


def cmd_export(args: argparse.Namespace) -> int:
    from index.exchange.refi_project import export_csv, export_refi

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
    with _project(args.project) as project:
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


# -- evaluation: cross-validation on a project's codings, and benchmarks on coded CSVs -------------------
def _print_eval(result: dict, out: str) -> None:
    from eval.report import summary_table

    print(summary_table(result))
    for note in result.get("notes") or []:
        print(f"  note: {note}")
    lc = result.get("learning_curve")
    if lc:
        print("Learning curve (suggester): " + "; ".join(
            f"{p['examples_per_code']}/code: micro-F1 {p['micro_f1']:.3f}, hit@1 {p['hit@1']:.3f}" for p in lc["points"]))
    for row in result.get("suggester_vs_coders") or []:
        nominal = (f"; label κ humans {row['nominal_kappa_humans']:.3f} vs suggester {row['nominal_kappa_suggester']:.3f}"
                   f"; matches the others' majority: coder {row['majority_of_others_human']:.3f}, "
                   f"suggester {row['majority_of_others_suggester']:.3f}"
                   if "nominal_kappa_suggester" in row else "")
        print(f"  coder {row['coder']} ({row['units']} segments): κ with other coders {row['kappa_humans']:.3f}, "
              f"with the suggester {row['kappa_suggester']:.3f}{nominal}")
    print(f"Report: {Path(out) / 'report.md'} (with results.json and plots); {result['seconds']:.0f} s.")


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.project_eval import run_project_eval

    with _project(args.project) as project:
        out = args.out or str(Path(args.project) / "eval")
        result = run_project_eval(project, folds=args.folds, group_by=args.group_by, out=out,
                                  progress=_progress(), n_boot=args.bootstrap,
                                  learning_curve=not args.no_learning_curve)
    _print_eval(result, out)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench

    out = args.out or str(Path("bench-out") / Path(args.spec).stem)
    result = run_bench(args.spec, args.data_dir, out=out, folds=args.folds, split=args.split,
                       progress=_progress(), n_boot=args.bootstrap, learning_curve=not args.no_learning_curve)
    _print_eval(result, out)
    timing = result["timing"]
    print(f"Embedding {timing['embedding_seconds']:.1f} s ({timing['segments_encoded']} segments newly encoded, "
          f"the rest from the cache); total {timing['total_seconds']:.0f} s.")
    return 0


# -- the coding app (Gradio) --------------------------------------------------------------------------
def cmd_app(args: argparse.Namespace) -> int:
    from app_gradio import check_serving, start

    check_serving(args.host, args.auth)  # before loading anything: a refused host fails fast
    print(f"codeseed app: loading {args.project} (fitting the suggester) ...", flush=True)
    start(args.project, coder=args.coder, host=args.host, port=args.port, auth=args.auth, block=True)
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
                                   "a codebook (.csv .xlsx .yaml .qdc) or codings (.csv .xlsx), or a whole "
                                   "REFI-QDA project from NVivo/ATLAS.ti/MAXQDA (.qdpx). All or nothing: a "
                                   "failed import leaves the project as it was.")
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

    p = sub.add_parser("suggest", help="suggest codes for uncoded segments, with the evidence behind each",
                       epilog=EPILOG,
                       description="Fit the suggester on the project's codings and decisions, suggest codes for "
                                   "segments not yet coded (interviewer turns left out), store the suggestions in "
                                   "the project and optionally write them as CSV. Running it again gives the same "
                                   "result until codings or decisions change.")
    p.add_argument("project")
    p.add_argument("--documents", nargs="+", metavar="NAME", help="only segments of these documents")
    p.add_argument("--codes", nargs="+", metavar="CODE", help="only suggest these codes")
    p.add_argument("--k", type=int, help="number of coded neighbours that vote (default: 15)")
    p.add_argument("--top", type=int, default=5, help="suggestions kept per segment (default: 5)")
    p.add_argument("--out", metavar="CSV", help="write one row per suggested code (confident ones; --all for every ranked one)")
    p.add_argument("--all", action="store_true", help="with --out, also write suggestions under their threshold")
    p.add_argument("--include-coded", action="store_true", help="also suggest for segments that already have codes")
    p.add_argument("--include-interviewer", action="store_true", help="also suggest for interviewer turns")
    p.add_argument("--explain", type=int, metavar="SEGMENT_ID", help="print the evidence behind one segment's suggestions")
    p.add_argument("--show", type=int, default=10, help="segments to print when not writing --out (default: 10)")
    p.set_defaults(run=cmd_suggest)

    p = sub.add_parser("ask", help="find quotes: \"show quotes about stigma in generic services\"", epilog=EPILOG,
                       description="Find verbatim quotes for a question. Words naming attribute values become "
                                   "filters (\"in generic services\", \"from nurses\", \"women\"), words naming "
                                   "codes pull in segments coded with them, the rest is searched by meaning and by "
                                   "word. Prints what it understood, then the quotes with speaker, document, "
                                   "offsets and codes. Needs the index (codeseed index PROJECT).")
    p.add_argument("project")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--k", type=int, default=10, help="how many quotes at most (default: 10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--include-interviewer", action="store_true", help="also search interviewer turns")
    p.add_argument("--llm", metavar="MODEL",
                   help="also summarise the quotes, citing them, with a local chat model: ollama:MODEL or "
                        "openai-compatible:URL:MODEL (needs langchain-ollama or langchain-openai; off by default)")
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("export", help="write the project for NVivo/ATLAS.ti/MAXQDA (REFI-QDA) or as CSV",
                       epilog=EPILOG,
                       description="Export the project as a REFI-QDA project (.qdpx: documents, codebook, codings "
                                   "with their coders) or codebook (.qdc), or the codings as CSV (one row per coded "
                                   "passage). The same project always gives the same file.")
    p.add_argument("project")
    p.add_argument("--out", required=True, metavar="FILE", help="file to write (.qdpx, .qdc or .csv)")
    p.add_argument("--format", choices=EXPORT_FORMATS, help="default: from the extension of --out")
    p.add_argument("--include-suggestions", action="store_true",
                   help="also write pending suggestions, as the coder 'codeseed suggestions (pending review)'")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("eval", help="cross-validate the suggester on the project's human codings", epilog=EPILOG,
                       description="Cross-validate the suggester on the project's own human codings (grouped folds: "
                                   "a document or participant is never both taught and tested), beside baselines "
                                   "on the same folds; human-human agreement where segments have several coders; "
                                   "acceptance rates from the decision log. Writes report.md, results.json and plots.")
    p.add_argument("project")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    p.add_argument("--group-by", choices=("document", "participant"), default="document",
                   help="what a fold keeps whole (default: document)")
    p.add_argument("--out", metavar="DIR", help="report folder (default: PROJECT/eval)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap replicates for the 95%% intervals (default: 1000; 0 for none)")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("bench", help="benchmark the suggester on coded data described by a YAML spec", epilog=EPILOG,
                       description="Run the evaluation on a coded CSV outside a project, as a YAML spec describes "
                                   "it (see benchmarks/*.yaml and eval/bench.py). Vectors are cached in "
                                   "$CODESEED_HOME/bench-cache.db, so a second run only evaluates.")
    p.add_argument("spec", help="benchmark spec (.yaml)")
    p.add_argument("data_dir", help="folder the spec's data paths are relative to")
    p.add_argument("--out", metavar="DIR", help="report folder (default: bench-out/SPEC_NAME)")
    p.add_argument("--folds", type=int, help="number of folds for a k-fold spec (default: the spec's)")
    p.add_argument("--split", choices=("kfold", "loo", "logo", "train_test"),
                   help="override the spec's split (logo: leave one group out)")
    p.add_argument("--bootstrap", type=int, metavar="N",
                   help="bootstrap replicates for the 95%% intervals (default: the spec's, else 1000)")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("app", help="review suggestions in the browser: accept, reject, add codes by keyboard",
                       epilog=EPILOG,
                       description="Serve the coding app (Gradio) for the project: one segment at a time with its "
                                   "context and ranked suggestions, each with the coded segments behind it; accept, "
                                   "reject, add codes and undo by keyboard; every decision is stored at once. Also "
                                   "tabs for the codebook, agreement, ask and import/export. Serves this machine "
                                   "only (127.0.0.1) unless --host says otherwise, and then only with --auth.")
    p.add_argument("project")
    p.add_argument("--coder", help="your coder name (default: typed in the app; each browser tab may use its own)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this machine only; another needs --auth)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed for any host but this machine)")
    p.set_defaults(run=cmd_app)

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
