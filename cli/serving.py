"""The coding app (Gradio) in the browser."""

from __future__ import annotations

import argparse

from .registry import command


def _app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--coder", help="your coder name (default: typed in the app; each browser tab may use its own)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this machine only; another needs --auth)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed for any host but this machine)")


@command("app", _app_options, help="review suggestions in the browser: accept, reject, add codes by keyboard",
         description="Serve the coding app (Gradio) for the project: one segment at a time with its "
                     "context and ranked suggestions, each with the coded segments behind it; accept, "
                     "reject, add codes and undo by keyboard; every decision is stored at once. Also "
                     "tabs for the codebook, agreement, ask and import/export. Serves this machine "
                     "only (127.0.0.1) unless --host says otherwise, and then only with --auth.")
def cmd_app(args: argparse.Namespace) -> int:
    from app.serving import check_serving, start

    check_serving(args.host, args.auth)  # before loading anything: a refused host fails fast
    print(f"codeseed app: loading {args.project} (fitting the suggester) ...", flush=True)
    start(args.project, coder=args.coder, host=args.host, port=args.port, auth=args.auth, block=True)
    return 0
