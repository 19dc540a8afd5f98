"""How a command is declared: its name, its help, its options and the function that runs it, side by side.

    def _options(p: argparse.ArgumentParser) -> None:
        p.add_argument("project")

    @command("status", _options, help="what the project holds")
    def cmd_status(args: argparse.Namespace) -> int:
        ...

Declaring registers it; :func:`build_parser` makes one sub-parser per command, in the order they were declared
(``cli/__init__.py`` imports the modules in the order ``codeseed --help`` lists them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

EPILOG = "Documentation: README.md. Every command takes --help."
DESCRIPTION = "Local-first, AI-assisted qualitative coding. Nothing leaves your machine."


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[argparse.Namespace], int]
    options: Callable[[argparse.ArgumentParser], None]
    help: str
    description: str | None = None


COMMANDS: dict[str, Command] = {}


def command(name: str, options: Callable[[argparse.ArgumentParser], None], *, help: str,
            description: str | None = None):
    """Register the decorated function as ``codeseed NAME``, with the options ``options`` adds to its parser."""
    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        if name in COMMANDS:
            raise ValueError(f"two commands named {name!r}")
        COMMANDS[name] = Command(name, run, options, help, description)
        return run
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeseed", epilog=EPILOG, description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for spec in COMMANDS.values():
        p = sub.add_parser(spec.name, help=spec.help, description=spec.description, epilog=EPILOG)
        spec.options(p)
        p.set_defaults(run=spec.run)
    return parser


# -- what several commands share -------------------------------------------------------------------------------
def open_project(folder: str):
    """The project every command works on; commands call it as ``registry.open_project`` so that a test can
    replace it (say, to open projects with a fake encoder)."""
    from index.project import Project

    return Project.open(folder)


def count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def progress() -> bool:
    """Progress bars on a terminal (or when CODESEED_PROGRESS=1), not in pipes and logs."""
    return sys.stderr.isatty() or os.environ.get("CODESEED_PROGRESS") == "1"
