"""Effort simulation: a coder goes through the review queue while the suggester learns from every decision.

Pure logic over a small interface (:class:`Reviewer`): what the app shows on arriving at a segment, and the
three decisions a coder makes there. :mod:`eval.simulate_sources` provides two reviewers: the app's own
:class:`~suggest.review.ReviewSession` on a copy of a project (``codeseed eval PROJECT --simulate``) and the
estimator on a benchmark's arrays (``codeseed bench SPEC DATA --simulate``); both learn through the same
estimator methods as the app (``CodeSuggester.add_example`` / ``add_rejection``), and neither refits during the
pass unless asked, as the app with ``--refit-every 0`` (it fits when it starts and after an import); ``refit_every``
simulates fitting it again every so many segments (restarting the app, or its background refit).

Definitions (docs/benchmarks.md, "Effort simulation", repeats them):

* **Queue**: the segments after the seed (the first N coded segments, in document order, which the suggester is
  fitted on), in the app's queue order: ``document`` or ``uncertain`` (least confident first, fixed when the queue
  is built, as in the app: :func:`suggest.review.order_queue`).
* **Shown**: on arriving at a segment the app lists the suggester's top 5 codes, best score first; a line is
  *confident* when its score passes its code's threshold (teal in the app, grey otherwise).
* **The simulated coder** (``shown="confident"``, the default) acts on the confident lines only, top to bottom:
  it accepts those that are true codes of the segment and rejects those that are not; grey lines are left alone.
  With ``shown="listed"`` it also accepts true codes among the grey lines (it reads the whole list).
  Then it adds every true code it has not accepted with the picker, and moves on.
* **Keys** (docs/app.md): **A** accepts and **X** rejects the focused line; the focus starts on the first line and
  moves to the next pending line after each decision (:func:`suggest.review.next_pending`); reaching another line
  costs one key (a digit **1**-**9** focuses the n-th line). The picker: **C**, then the shortest part of the
  code's label in the picker (``"ID  name"``) that the picker's substring filter puts first, then **Enter**
  (:func:`picker_keys`). **N** moves to the next segment.
* **Coding by hand**: the same coder with the picker only: per segment, a pick for each true code, then **N**.
* **Decisions**: accepts + rejects + added codes (each one row in the decision log); by hand, one per true code.
* **Top 3 / rank 1**: of the true codes of the segments simulated, the share found in the top 3 lines on arrival,
  and the share of segments (with a true code) whose first line is a true code; the same for codebook matching
  (each segment's cosine to the codes' descriptions, which never learns), on the same segments.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from suggest.review import ACCEPTED, PENDING, REJECTED, Item, next_pending

SHOWN = ("confident", "listed")
ORDERS = ("document", "uncertain")
KEY_NEXT = 1  # N


@dataclass(frozen=True)
class Line:
    """One line of the list the app shows on arriving at a segment."""

    code: str
    score: float
    confident: bool


class Reviewer(Protocol):
    """A review queue with a learning suggester behind it (see :mod:`eval.simulate_sources`)."""

    def queue(self) -> list[Hashable]: ...

    def arrive(self, unit: Hashable) -> list[Line]: ...

    def accept(self, unit: Hashable, code: str) -> None: ...

    def reject(self, unit: Hashable, code: str) -> None: ...

    def add(self, unit: Hashable, code: str) -> None: ...

    def refit(self) -> None: ...


@dataclass(frozen=True)
class Plan:
    """What the simulated coder does on one segment, in order, and the keys it takes."""

    actions: tuple[tuple[str, str], ...]  # ("accept" | "reject" | "add", code)
    keys: int

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.actions if k == kind)


@dataclass(frozen=True)
class Record:
    """One simulated segment: effort with the suggester and by hand, and how the lists ranked its true codes."""

    unit: Hashable
    coded: int  # segments coded once this one is done, seed included
    true_codes: int
    keys: int
    hand_keys: int
    accepted: int
    rejected: int
    added: int
    top1: int  # 1 when the first line is a true code
    top3: int  # true codes among the first three lines
    codebook_top1: int
    codebook_top3: int

    @property
    def decisions(self) -> int:
        return self.accepted + self.rejected + self.added


# -- the coder's keys ---------------------------------------------------------------------------------------
def picker_keys(choices: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Keys to add each code with the app's picker: C, the shortest part of its label (``"ID  name"``) that the
    picker's filter (case-insensitive substring, choices in their order) puts first, Enter; when every part of the
    label also matches an earlier choice, the whole label and a ↓ press per earlier match."""
    labels = [(label.lower(), code) for label, code in choices]
    out: dict[str, int] = {}
    for label, code in labels:
        typed = _shortest_first(label, code, labels)
        if typed is not None:
            out[code] = 2 + typed
        else:
            matches = [c for other, c in labels if label in other]
            out[code] = 2 + len(label) + matches.index(code)
    return out


def _shortest_first(label: str, code: str, labels: Sequence[tuple[str, str]]) -> int | None:
    for n in range(1, len(label) + 1):
        for start in range(len(label) - n + 1):
            part = label[start:start + n]
            if next(c for other, c in labels if part in other) == code:
                return n
    return None


def plan(lines: Sequence[Line], truth: set[str], pick: Mapping[str, int], *, shown: str = "confident") -> Plan:
    """The simulated coder on one segment (definitions in the module doc): decisions in order, and their keys."""
    if shown not in SHOWN:
        raise ValueError(f"shown must be one of {SHOWN}")
    items = [Item(line.code, line.score, line.confident, PENDING) for line in lines]
    focus = next_pending(items, 0) if items else None
    actions: list[tuple[str, str]] = []
    keys = 0
    for index, line in enumerate(lines):
        true = line.code in truth
        if true and (line.confident or shown == "listed"):
            kind = "accept"
        elif line.confident and not true:
            kind = "reject"
        else:
            continue
        keys += (focus != index) + 1  # a digit to focus the line, then A or X
        items[index].status = ACCEPTED if kind == "accept" else REJECTED
        actions.append((kind, line.code))
        following = next_pending(items, index + 1)
        focus = following if following is not None else index
    accepted = {code for kind, code in actions if kind == "accept"}
    for code in sorted(truth - accepted, key=_code_order(pick)):
        actions.append(("add", code))
        keys += picker_cost(pick, code)
    return Plan(tuple(actions), keys + KEY_NEXT)


def hand_keys(truth: Iterable[str], pick: Mapping[str, int]) -> int:
    """Keys to code a segment by hand: a pick per true code, then N."""
    return sum(picker_cost(pick, code) for code in truth) + KEY_NEXT


def picker_cost(pick: Mapping[str, int], code: str) -> int:
    if code not in pick:
        raise KeyError(f"code {code!r} is not in the picker's list")
    return pick[code]


def _code_order(pick: Mapping[str, int]):
    order = {code: i for i, code in enumerate(pick)}
    return lambda code: order.get(code, len(order))


# -- the pass through the queue -----------------------------------------------------------------------------
def simulate(reviewer: Reviewer, truth: Mapping[Hashable, set[str]], pick: Mapping[str, int], *, seed: int,
             codebook: Mapping[Hashable, Sequence[str]] | None = None, shown: str = "confident",
             refit_every: int | None = None, progress: bool = False) -> list[Record]:
    """Go through ``reviewer``'s queue; segments without an entry in ``truth`` are passed over (not counted).

    ``codebook``: each unit's codes ranked by codebook matching, for the comparison; ``seed``: segments coded
    before the pass (the x axis starts there). ``refit_every``: fit the suggester again after every so many
    segments, as restarting the app would (``reviewer.refit()``); the queue is then rebuilt as the app rebuilds it,
    and the coder goes on with the first segment of the new queue not yet coded. None: never, as in one session.
    """
    if refit_every is not None and refit_every < 1:
        raise ValueError("refit_every must be a positive number of segments")
    total = sum(1 for u in reviewer.queue() if u in truth)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="simulating", unit="segment")
    records: list[Record] = []
    done: set[Hashable] = set()
    while len(done) < total:
        left = [u for u in reviewer.queue() if u in truth and u not in done]
        if not left:
            raise RuntimeError("segments left the queue during the pass")
        for unit in left:
            records.append(_review(reviewer, unit, set(truth[unit]), pick, seed + len(records) + 1, codebook, shown))
            done.add(unit)
            if bar is not None:
                bar.update(1)
            if refit_every and len(done) % refit_every == 0 and len(done) < total:
                reviewer.refit()
                break
    if bar is not None:
        bar.close()
    return records


def _review(reviewer: Reviewer, unit: Hashable, true: set[str], pick: Mapping[str, int], coded: int,
            codebook: Mapping[Hashable, Sequence[str]] | None, shown: str) -> Record:
    """The coder on one segment: look at the list, decide, and what it took."""
    lines = reviewer.arrive(unit)
    step = plan(lines, true, pick, shown=shown)
    for kind, code in step.actions:
        getattr(reviewer, kind)(unit, code)
    ranked = [line.code for line in lines]
    by_codebook = list(codebook[unit]) if codebook is not None else []
    return Record(
        unit=unit, coded=coded, true_codes=len(true), keys=step.keys, hand_keys=hand_keys(true, pick),
        accepted=step.count("accept"), rejected=step.count("reject"), added=step.count("add"),
        top1=int(bool(ranked) and ranked[0] in true), top3=len(true & set(ranked[:3])),
        codebook_top1=int(bool(by_codebook) and by_codebook[0] in true),
        codebook_top3=len(true & set(by_codebook[:3])))


# -- summaries ----------------------------------------------------------------------------------------------
def window_size(n: int) -> int:
    """Segments in the trailing window of the curves: a tenth of the pass, between 5 and 100."""
    return int(min(100, max(5, n // 10)))


def curves(records: Sequence[Record], window: int) -> dict[str, list[float | None]]:
    """Per segment: segments coded, cumulative keys (suggester, by hand), and trailing-window top 3 / rank 1
    shares for the suggester and codebook matching (None until the window holds a segment with a true code)."""
    coded = [r.coded for r in records]
    out: dict[str, list] = {"coded": coded,
                            "keys": np.cumsum([r.keys for r in records]).tolist(),
                            "hand_keys": np.cumsum([r.hand_keys for r in records]).tolist()}
    for name, found, per in (("top3", "top3", "true_codes"), ("top1", "top1", None),
                             ("codebook_top3", "codebook_top3", "true_codes"), ("codebook_top1", "codebook_top1", None)):
        values: list[float | None] = []
        for end in range(1, len(records) + 1):
            part = [r for r in records[max(0, end - window):end] if r.true_codes]
            total = sum(getattr(r, per) if per else 1 for r in part)
            values.append(sum(getattr(r, found) for r in part) / total if total else None)
        out[name] = values
    return out


def first_beats(records: Sequence[Record], window: int, which: str) -> int | None:
    """Segments coded when the suggester's trailing-window share (``top3`` or ``top1``) first exceeds codebook
    matching's on the same window (a full window, so the first figures are not one or two segments)."""
    c = curves(records, window)
    for i, (ours, theirs) in enumerate(zip(c[which], c[f"codebook_{which}"])):
        if i + 1 >= min(window, len(records)) and ours is not None and theirs is not None and ours > theirs:
            return int(c["coded"][i])
    return None


def summarise(records: Sequence[Record]) -> dict:
    """The pass in figures: per-segment keys and decisions, with the suggester and by hand, and the lists' hits."""
    n = len(records)
    if not n:
        return {"segments": 0}
    with_truth = [r for r in records if r.true_codes]
    true_codes = sum(r.true_codes for r in records)
    window = window_size(n)
    keys, hand = sum(r.keys for r in records), sum(r.hand_keys for r in records)
    return {
        "segments": n,
        "true_codes": true_codes,
        "keys_per_segment": keys / n,
        "hand_keys_per_segment": hand / n,
        "keys_saved": 1 - keys / hand if hand else None,
        "decisions_per_segment": sum(r.decisions for r in records) / n,
        "hand_decisions_per_segment": true_codes / n,
        "accepted_per_segment": sum(r.accepted for r in records) / n,
        "rejected_per_segment": sum(r.rejected for r in records) / n,
        "added_per_segment": sum(r.added for r in records) / n,
        "true_codes_accepted": sum(r.accepted for r in records) / true_codes if true_codes else None,
        "top3": sum(r.top3 for r in records) / true_codes if true_codes else None,
        "top1": sum(r.top1 for r in with_truth) / len(with_truth) if with_truth else None,
        "codebook_top3": sum(r.codebook_top3 for r in records) / true_codes if true_codes else None,
        "codebook_top1": sum(r.codebook_top1 for r in with_truth) / len(with_truth) if with_truth else None,
        "window": window,
        "beats_codebook_top3_at": first_beats(records, window, "top3"),
        "beats_codebook_top1_at": first_beats(records, window, "top1"),
    }


def records_as_dicts(records: Sequence[Record]) -> list[dict]:
    return [{**asdict(r), "unit": r.unit if isinstance(r.unit, (int, str)) else str(r.unit)} for r in records]
