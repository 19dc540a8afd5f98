"""The coding app (Gradio) in the browser."""

from __future__ import annotations

import argparse

from index.errors import CodeseedError

from .registry import command

DEFAULT_EVERY = 50  # app.refresh.DEFAULT_EVERY (not imported here: the app loads Gradio, --help should not)


def _app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--coder", help="your coder name (default: typed in the app; each browser tab may use its own)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this machine only; another needs --auth)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed for any host but this machine)")
    p.add_argument("--refit-every", type=int, default=DEFAULT_EVERY, metavar="N",
                   help=f"fit the suggester again in the background after every N decisions, so its thresholds "
                        f"and linear channel learn from the codings made in the app too (default: {DEFAULT_EVERY}; "
                        "0: only when the app starts and after an import)")


@command("app", _app_options, help="review suggestions in the browser: accept, reject, add codes by keyboard",
         description="Serve the coding app (Gradio) for the project: one segment at a time with its "
                     "context and ranked suggestions, each with the coded segments behind it; accept, "
                     "reject, add codes and undo by keyboard; every decision is stored at once, and the "
                     "suggester is fitted again in the background every --refit-every decisions. Also "
                     "tabs for the codebook, agreement, ask and import/export. Serves this machine "
                     "only (127.0.0.1) unless --host says otherwise, and then only with --auth.")
def cmd_app(args: argparse.Namespace) -> int:
    from app.serving import check_serving, start

    check_serving(args.host, args.auth)  # before loading anything: a refused host fails fast
    if args.refit_every < 0:
        raise CodeseedError(f"--refit-every {args.refit_every}: a number of decisions, or 0 to never refit",
                            field="refit_every", fix="pass --refit-every 50 (the default), or 0")
    print(f"codeseed app: loading {args.project} (fitting the suggester) ...", flush=True)
    start(args.project, coder=args.coder, host=args.host, port=args.port, auth=args.auth, block=True,
          refit_every=args.refit_every)
    return 0
