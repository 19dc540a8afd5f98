"""Coding as a team: blind coding rounds (start, status, close)."""

from __future__ import annotations

import argparse

from . import registry
from .registry import command


def _round_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("start", "status", "close"),
                   help="start a round, show who has reviewed how much of it, or close it")
    p.add_argument("project")
    p.add_argument("--coders", metavar="A,B", help="start: the coders, separated by commas (two or more)")
    p.add_argument("--documents", nargs="+", metavar="NAME", help="start: only these documents (default: all)")


def round_lines(store) -> list[str]:
    """What `codeseed status` and `codeseed round status` say about the open round (nothing if none)."""
    from index.rounds import current_round, progress

    found = current_round(store)
    if found is None:
        return []
    where = ", ".join(found.documents) if found.documents else "all documents"
    lines = [f"Round {found.id} (blind), started {found.started_at[:16].replace('T', ' ')} UTC: "
             f"{len(found.segment_ids)} segments to code by each of {', '.join(found.coders)} ({where})"]
    for row in progress(store, found):
        lines.append(f"  {row['coder']}: reviewed {row['reviewed']} of {row['total']}")
    return lines


def round_status(store) -> dict | None:
    """The open round as JSON-ready data (for `codeseed status --json`), or None."""
    from index.rounds import current_round, progress

    found = current_round(store)
    if found is None:
        return None
    return {"id": found.id, "coders": list(found.coders), "documents": found.documents and list(found.documents),
            "started_at": found.started_at, "segments": len(found.segment_ids), "progress": progress(store, found)}


@command("round", _round_options, help="blind coding rounds: start, status, close",
         description="A blind coding round: two or more coders code the same segments (the uncoded participant "
                     "turns of the chosen documents) without seeing each other's codings or decisions; their "
                     "suggestions learn only from the codings made before the round and their own decisions. "
                     "Close it to compare (the app's Agreement tab) and reconcile (its Team tab).")
def cmd_round(args: argparse.Namespace) -> int:
    from index.errors import CodeseedError
    from index.rounds import all_rounds, close_round, start_round

    with registry.open_project(args.project) as project:
        store = project.store
        if args.action == "start":
            if not args.coders:
                raise CodeseedError("name the round's coders", field="--coders", fix="--coders ana,ben")
            found = start_round(store, args.coders, args.documents)
            print(f"Started round {found.id}: {', '.join(found.coders)} each code {len(found.segment_ids)} segments, "
                  "blind. In the app each coder types their name; their queue is the round's segments.")
        elif args.action == "close":
            found = close_round(store)
            print(f"Closed round {found.id}. Compare the coders in the app's Agreement tab and reconcile in its "
                  "Team tab.")
        else:
            lines = round_lines(store)
            print("\n".join(lines) if lines else f"No round is open ({len(all_rounds(store))} closed).")
    return 0
