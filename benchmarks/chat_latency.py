"""Latency of each turn of an Ask conversation on a 10,000-segment project, without a language model.

Run:  python benchmarks/chat_latency.py [DATA_DIR] [--n 10000] [--rounds 5] [--keep FOLDER]

The project is benchmarks/ask_latency.py's (100 interviews, participants with gender, role and setting, the
sample's codebook, 10% of the segments coded; NHS comments when DATA_DIR is given, else generated sentences).
One conversation of ten turns — a question, three follow-ups, "more like the second one", the codes of the quotes
shown, a count by setting, a number of it opened, a chip removed, "start over" — is held ``rounds`` times after a
warm-up pass, each turn timed from the question to the reply (the turn is also written to the project's history).
The baseline, from the same run: a one-shot ``ask()`` of the first question.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from suggest.ask.answer import ask  # noqa: E402
from suggest.ask.chat import Conversation  # noqa: E402

_spec = importlib.util.spec_from_file_location("ask_latency", HERE / "ask_latency.py")
ask_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ask_latency)

TURNS = [
    "show quotes about stigma in generic services",
    "only women",
    "and in specialist services?",
    "not the interviewer",
    "more like the second one",
    "what codes do these have?",
    "how many participants mention training, by setting?",
    "open specialist coded",
    "(remove the chip: gender)",
    "start over",
]
ONE_SHOT = TURNS[0]


def hold(chat: Conversation) -> dict[str, float]:
    """One pass of the conversation; seconds per turn."""
    took = {}
    for turn in TURNS:
        began = time.perf_counter()
        reply = chat.remove_filter("gender") if turn.startswith("(remove") else chat.say(turn)
        took[turn] = time.perf_counter() - began
        assert reply.problem is None, (turn, reply.problem)
    return took


def main(argv: list[str] | None = None) -> int:
    args = ask_latency.arguments(argv, __doc__)

    with tempfile.TemporaryDirectory(prefix="codeseed-chat-latency-") as tmp:
        project = ask_latency.build(args.keep or Path(tmp) / "latency", args.n, args.data_dir)
        segments = project.status()["segments"]
        chat = Conversation(project, coder="bench")
        began = time.perf_counter()
        hold(chat)  # warm-up: the model, the BM25 index, the caches, every kind of turn once
        cold = time.perf_counter() - began
        timings: dict[str, list[float]] = {t: [] for t in TURNS}
        baseline: list[float] = []
        for _ in range(args.rounds):
            for turn, seconds in hold(chat).items():
                timings[turn].append(seconds)
            began = time.perf_counter()
            ask(project, ONE_SHOT)
            baseline.append(time.perf_counter() - began)
        project.close()

    every = np.array([t for ts in timings.values() for t in ts]) * 1000
    worst = max(float(np.percentile(ts, 95)) for ts in timings.values()) * 1000
    source = "NHS comments" if args.data_dir else "generated sentences"
    print(f"chat turns on {segments} segments ({source}); {len(every)} timed turns after a warm-up pass of "
          f"{cold:.1f} s; torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}; {os.cpu_count()} CPUs")
    print(f"every turn: p50 {np.percentile(every, 50):.0f} ms   p95 {np.percentile(every, 95):.0f} ms   "
          f"max {every.max():.0f} ms   worst turn's p95 {worst:.0f} ms (target <= 150 ms)")
    print(f"baseline, one-shot ask() of the first question: p50 {1000 * np.median(baseline):.0f} ms")
    for turn, ts in timings.items():
        ms = np.array(ts) * 1000
        print(f"  p50 {np.median(ms):5.0f} ms  p95 {np.percentile(ms, 95):5.0f} ms  {turn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
