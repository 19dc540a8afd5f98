"""The `codeseed` command line: parse arguments, call the project API, print results, turn errors into messages.

No logic lives here beyond presentation; every command is a thin call into ``index``, ``suggest`` or ``eval``.
``codeseed_cli.py`` at the top level is the entry point (``codeseed = "codeseed_cli:main"``). Rooms:

- ``registry.py``: how a command is declared (``@command(name, options, help=...)``) and ``build_parser``.
- ``project.py``: init, import, index, status, demo.
- ``finding.py``: suggest, ask.
- ``chatting.py``: chat (Ask as a conversation, kept per coder; --export as Markdown).
- ``exchange.py``: export (REFI-QDA .qdpx/.qdc, CSV), and the report of a .qdpx import.
- ``evaluation.py``: eval, bench.
- ``tuning.py``: tune (a fine-tuned copy of the encoder, installed only if a held-out check shows a gain).
- ``serving.py``: app (the coding app in the browser).
- ``team.py``: round (blind coding rounds: start, status, close).
- ``scale.py``: batch (a saved suggester over CSV/Parquet files, locally or on Ray; the engines are ``batch/``).

To add a command: write its options function and its ``cmd_`` function side by side in the module of its kind
(or a new module imported below), decorate it with ``@command``, and add a line to README's "Command line at a
glance" table (a test checks every command is there).
"""

from __future__ import annotations

import sys

from index.errors import CodeseedError

# imported for their @command declarations, in the order `codeseed --help` lists the commands
from . import project, finding, chatting, scale, exchange, evaluation, tuning, serving, team  # noqa: F401,E402  isort: skip
from .registry import COMMANDS, build_parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CodeseedError as error:  # every error a user can act on, the index layer's included: its message only
        print(f"codeseed {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Interrupted; the project is as it was before this command's last unfinished step.", file=sys.stderr)
        return 130


__all__ = ["COMMANDS", "build_parser", "main"]
