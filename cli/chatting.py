"""`codeseed chat`: Ask as a conversation in the terminal (readline when interactive, one question per line when
piped), kept per coder in the project; `--export` writes a coder's conversations as Markdown."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from index.errors import CodeseedError

from . import registry
from .registry import command

EXIT_WORDS = ("quit", "exit", "bye", ":q")


def _chat_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--coder", default=os.environ.get("CODESEED_CODER"),
                   help="whose conversation: kept per coder in the project (default: $CODESEED_CODER, else anonymous)")
    p.add_argument("--k", type=int, default=10, help="how many quotes at most per answer (default: 10)")
    p.add_argument("--llm", metavar="MODEL",
                   help="a model on this machine for \"summarise ...\": ollama:MODEL or openai-compatible:URL:MODEL "
                        "(needs the llm extra: pip install 'codeseed[llm]'); off by default, nothing is sent anywhere")
    p.add_argument("--new", action="store_true", help="start a new conversation instead of going on with the last one")
    p.add_argument("--json", action="store_true", help="one JSON object per answer (for scripts)")
    p.add_argument("--export", metavar="FILE.md",
                   help="write the coder's conversations, with the quotes, as Markdown and stop ('-' for the screen)")


@command("chat", _chat_options, help="Ask as a conversation: follow-up questions, counts by group, cited summaries",
         description="Ask questions one after another; each follow-up refines the last (\"only women\", \"and in "
                     "specialist services?\", \"not the interviewer\", \"more like the second one\", \"what codes do "
                     "these have?\", \"how many participants mention funding, by setting?\", \"summarise what they "
                     "say\", \"start over\"), and each answer says what changed. Questions come from the keyboard "
                     "(with history) or, piped, one per line. The conversation is kept in the project per coder and "
                     "goes on where it stopped. Needs the index (codeseed index PROJECT).")
def cmd_chat(args: argparse.Namespace) -> int:
    from suggest.ask.chat import Conversation
    from suggest.ask.chat_text import export_markdown, format_reply

    if args.llm:
        _where(args.llm)  # a spec that cannot be read, or a server off this machine, is refused before anything runs
    with registry.open_project(args.project) as project:
        chat = Conversation(project, coder=args.coder or "anonymous", k=args.k, llm=args.llm)
        if args.export:
            text = export_markdown(project, chat.coder)
            if args.export == "-":
                print(text)
            else:
                Path(args.export).write_text(text + "\n", encoding="utf-8")
                print(f"Wrote {args.export}.")
            return 0
        if args.new and chat.history():
            chat.start_over()
        interactive = sys.stdin.isatty()
        if interactive:
            _readline()
            where = f"; summaries by {_where(args.llm)}" if args.llm else "; no model configured, nothing is sent"
            print(f"Asking {project.folder.name} as {chat.coder} (conversation {chat.number}: "
                  f"{chat.state.describe()}){where}. Type 'quit' to stop.")
        for question in _questions(interactive):
            if question.lower() in EXIT_WORDS:
                break
            if not interactive and not args.json:
                print(f"> {question}")
            try:
                reply = chat.say(question)
            except CodeseedError as error:
                print(f"codeseed chat: error: {error}", file=sys.stderr)
                if not interactive:
                    return 2
                continue
            if args.json:
                print(json.dumps({"question": question, **reply.to_dict(), "state": reply.state.to_dict(),
                                  "result": reply.result.to_dict() if reply.result else None}, ensure_ascii=False))
            else:
                print(format_reply(reply) + "\n", flush=True)
    return 0


def _where(spec: str) -> str:
    from suggest.ask.langchain_adapter import model_location

    return model_location(spec)


def _questions(interactive: bool):
    """Questions from the keyboard (a prompt, EOF or Ctrl+C ends) or from a pipe (each non-empty line)."""
    while True:
        try:
            line = input("ask> ") if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not interactive and line == "":
            return
        if line.strip():
            yield line.strip()


def _readline() -> None:
    """Arrow keys and a history of questions kept between sessions (in codeseed's home folder)."""
    try:
        import atexit
        import readline
    except ImportError:  # not on every platform
        return
    from index.model import codeseed_home

    history = codeseed_home() / "chat_history"
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.read_history_file(history)
    except OSError:
        pass
    readline.set_history_length(1000)
    atexit.register(_save_history, readline, history)


def _save_history(readline, history: Path) -> None:
    try:
        readline.write_history_file(history)
    except OSError:
        pass
