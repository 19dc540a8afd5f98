"""Learning and finding: suggest codes for segments, and find quotes for a question."""

from __future__ import annotations

import argparse
import json
import sys

from . import registry
from .registry import command, progress


def _suggest_options(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--save-model", metavar="DIR",
                   help="save the fitted suggester as a folder for `codeseed batch` (no suggestions are made)")


@command("suggest", _suggest_options, help="suggest codes for uncoded segments, with the evidence behind each",
         description="Fit the suggester on the project's codings and decisions, suggest codes for "
                     "segments not yet coded (interviewer turns left out), store the suggestions in "
                     "the project and optionally write them as CSV. Running it again gives the same "
                     "result until codings or decisions change.")
def cmd_suggest(args: argparse.Namespace) -> int:
    from suggest.project_suggester import ProjectSuggester

    with registry.open_project(args.project) as project:
        params = {"k": args.k} if args.k else {}
        suggester = ProjectSuggester(project, **params).fit(progress=progress())
        if args.save_model:
            from suggest.saved_model import save_project_suggester

            folder = save_project_suggester(suggester, args.save_model)
            print(f"Saved the suggester ({suggester.version}) to {folder}.\n"
                  f"Next: codeseed batch {folder} COMMENTS.csv --out RESULTS_FOLDER")
            return 0
        if args.explain is not None:
            print(suggester.explain(args.explain, top=args.top))
            return 0
        candidates = suggester.candidates(documents=args.documents, include_coded=args.include_coded,
                                          include_interviewer=args.include_interviewer)
        results = suggester.suggest([s.id for s in candidates], codes=args.codes, top=args.top, progress=progress())
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


def _ask_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--k", type=int, default=10, help="how many quotes at most (default: 10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--include-interviewer", action="store_true", help="also search interviewer turns")
    p.add_argument("--llm", metavar="MODEL",
                   help="also summarise the quotes, citing them, with a local chat model: ollama:MODEL or "
                        "openai-compatible:URL:MODEL (needs langchain-ollama or langchain-openai; off by default)")


@command("ask", _ask_options, help="find quotes: \"show quotes about stigma in generic services\"",
         description="Find verbatim quotes for a question. Words naming attribute values become "
                     "filters (\"in generic services\", \"from nurses\", \"women\"), words naming "
                     "codes pull in segments coded with them, the rest is searched by meaning and by "
                     "word. Prints what it understood, then the quotes with speaker, document, "
                     "offsets and codes. Needs the index (codeseed index PROJECT).")
def cmd_ask(args: argparse.Namespace) -> int:
    from suggest.ask.answer import ask, format_result

    with registry.open_project(args.project) as project:
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
