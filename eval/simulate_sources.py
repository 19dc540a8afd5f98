"""Where the effort simulation's queue and suggester come from: a project (the app's own review session on a
throw-away copy) or a benchmark's coded data (the estimator on arrays). See :mod:`eval.simulate` for the loop.

* :class:`ProjectReviewer` drives :class:`suggest.review.ReviewSession` (the code behind the app's keys) over a
  :class:`~suggest.project_suggester.ProjectSuggester` fitted on a **copy** of the project that holds only the
  seed's codings: every decision goes through ``ProjectSuggester.decide`` into the copy, never into the project.
* :class:`ArrayReviewer` does what ``ProjectSuggester.decide`` does to the estimator, on a benchmark's arrays:
  ``CodeSuggester.add_example`` for an accepted or added code, ``add_rejection`` for a rejected one. It is fitted
  like the benchmark's suggester (:class:`eval.methods.SuggesterMethod`) on the seed, and builds its queue with
  the app's :func:`suggest.review.order_queue`.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import CodeseedError, ProjectError
from index.project import Project
from index.store.store import DB_NAME
from suggest.project_suggester import ProjectSuggester
from suggest.review import ReviewSession, order_queue

from .methods import CodedData, SuggesterMethod, ZeroShotMethod
from .simulate import ORDERS, SHOWN, Line, picker_keys, simulate, summarise

SIMULATED_CODER = "simulated coder"
HUMAN_ORIGINS = ("human", "import")  # as eval.project_eval: codings made by people are the truth
VECTORS_NAME = "vectors.db"  # Project.vector_cache's file
TOP = inspect.signature(ReviewSession).parameters["top"].default  # lines the app lists on a segment


def codebook_ranking(vectors: np.ndarray, prototypes: np.ndarray, codes: Sequence[str]) -> list[list[str]]:
    """Each row's codes ranked by codebook matching (the benchmarks' zero-shot baseline), best first."""
    data = CodedData(name="codebook", texts=[""] * len(vectors), vectors=vectors,
                     Y=np.zeros((len(vectors), len(codes))), groups=[0] * len(vectors), codes=list(codes),
                     names=list(codes), prototypes=prototypes)
    scores = ZeroShotMethod().predict(data, np.array([], dtype=int), np.arange(len(vectors))).scores
    return [[codes[j] for j in np.argsort(-row, kind="stable")] for row in scores]


# -- a benchmark's arrays -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Unit:
    """What order_queue needs of a segment."""

    id: int
    document_id: int
    position: int


class ArrayReviewer:
    """The queue and the learning suggester on a benchmark's coded data; units are row numbers."""

    def __init__(self, data: CodedData, seed: Sequence[int], queue: Sequence[int], *, order: str = "document",
                 params: Mapping[str, Any] | None = None, coder: str = SIMULATED_CODER) -> None:
        self.data, self.coder, self.order = data, coder, order
        self.method = SuggesterMethod(**dict(params or {}))
        self.model = self.method.fit(data, np.asarray(seed, dtype=int))
        self._units = [_Unit(int(i), 0, int(i)) for i in queue]
        self._order_queue()

    def _order_queue(self) -> None:
        best = {}
        if self.order != "document" and self._units:
            ids = [u.id for u in self._units]
            ranked = self.model.suggest(self.data.vectors[ids], [self.data.texts[i] for i in ids], segment_ids=ids,
                                        top=1)
            best = {i: (r[0] if r else None) for i, r in zip(ids, ranked)}
        self._queue = order_queue(self._units, best, self.order, {})

    def refit(self) -> None:
        """Fit again on every coded segment and keep the rejections, as ``ProjectSuggester.fit`` does; reorder."""
        old = self.model
        coded = [e.segment_id for e, row in zip(old.examples_, old.Y_) if row.any()]
        # the simulated coder's codings of a segment are its true codes, so the data's labels are the examples
        self.model = self.method.fit(self.data, np.asarray(coded, dtype=int))
        for code, items in old.rejections_.items():
            for segment_id, vector in items:
                self.model.add_rejection(segment_id, vector, code)
        self._order_queue()

    def queue(self) -> list[Hashable]:
        return list(self._queue)

    def arrive(self, unit: Hashable) -> list[Line]:
        i = int(unit)
        ranked = self.model.suggest(self.data.vectors[i:i + 1], [self.data.texts[i]], segment_ids=[i], top=TOP)[0]
        return [Line(s.code, s.score, s.confident) for s in ranked]

    def accept(self, unit: Hashable, code: str) -> None:
        i = int(unit)
        self.model.add_example(i, self.data.vectors[i], code, self.coder, self.data.texts[i])

    add = accept  # a code from the picker is an example like an accepted one (ProjectSuggester.decide)

    def reject(self, unit: Hashable, code: str) -> None:
        i = int(unit)
        self.model.add_rejection(i, self.data.vectors[i], code)


# -- a project, through the app's review session on a copy -------------------------------------------------------
def copy_project(project: Project, folder: Path) -> Project:
    """A copy of ``project`` at ``folder`` (its database and vector cache, by SQLite's online backup: the project is
    only read), using the same encoder."""
    folder.mkdir(parents=True, exist_ok=True)
    project.store.backup(folder / DB_NAME)
    if (project.folder / VECTORS_NAME).exists():  # opening a missing cache would create it in the project
        cache = project.vector_cache()
        try:
            cache.backup(folder / VECTORS_NAME)
        finally:
            cache.close()
    copy = Project.open(folder)
    copy.use_encoder(project.encoder)
    return copy


def human_truth(project: Project) -> dict[int, set[str]]:
    """Segment id -> the codes people applied to it (origin human or import), as ``codeseed eval`` counts truth."""
    truth: dict[int, set[str]] = {}
    for c in project.store.codings():
        if c["origin"] in HUMAN_ORIGINS:
            truth.setdefault(c["segment_id"], set()).add(c["code_id"])
    return truth


def seed_segments(project: Project, truth: Mapping[int, set[str]], n: int) -> list[int]:
    """The first ``n`` coded segments in document order."""
    coded = [s for s in project.store.segments(segment_ids=list(truth)) if s.id in truth]
    coded.sort(key=lambda s: (s.document_id, s.position))
    return [s.id for s in coded[:n]]


def keep_only_seed(copy: Project, seed: set[int]) -> None:
    """In the copy: every coding but the seed's human codings removed, every standing decision undone."""
    store = copy.store
    with store.transaction():
        for c in store.codings():
            if c["segment_id"] not in seed or c["origin"] not in HUMAN_ORIGINS:
                store.remove_coding(c["segment_id"], c["code_id"], c["coder"])
        for d in store.standing_decisions():
            store.add_decision(segment_id=d["segment_id"], code_id=d["code_id"], coder=d["coder"], decision="undo",
                               score=None, suggester="effort simulation: start from the seed", undoes=d["id"])


class ProjectReviewer:
    """The app's review session for a simulated coder, on a copy of the project holding only the seed's codings."""

    def __init__(self, copy: Project, *, order: str = "document", params: Mapping[str, Any] | None = None,
                 coder: str = SIMULATED_CODER) -> None:
        self.project = copy
        self.suggester = ProjectSuggester(copy, **dict(params or {})).fit()
        self.session = ReviewSession(copy, self.suggester, coder=coder, order=order)  # as the app makes it

    def queue(self) -> list[Hashable]:
        return list(self.session.queue)

    def arrive(self, unit: Hashable) -> list[Line]:
        self.session.goto(self.session.queue.index(unit) + 1)
        return [Line(it.code, float(it.score), it.confident) for it in self.session.items]

    def accept(self, unit: Hashable, code: str) -> None:
        self.session.accept(code, segment_id=unit)

    def reject(self, unit: Hashable, code: str) -> None:
        self.session.reject(code, segment_id=unit)

    def add(self, unit: Hashable, code: str) -> None:
        self.session.add_code(code, segment_id=unit)

    def refit(self) -> None:
        """What the app does after an import: fit the suggester on the (copy's) codings and decisions, rebuild."""
        self.suggester.fit()
        self.session.set_queue()

    def picker_choices(self) -> list[tuple[str, str]]:
        return self.session.code_choices()

    def codebook(self, units: Sequence[int]) -> dict[int, list[str]]:
        """Codebook matching's ranking of the suggester's codes for these segments."""
        texts = {s.id: s.text for s in self.project.store.segments(segment_ids=list(units))}
        vectors, _ = self.project.embed([texts[u] for u in units])
        ranked = codebook_ranking(vectors, self.suggester.model.prototypes_, self.suggester.model.codes_)
        return dict(zip(units, ranked))


def temporary_copy(project: Project, seed: Sequence[int]) -> tuple[tempfile.TemporaryDirectory, Project]:
    """A throw-away copy of the project with only the seed's codings (the caller closes both)."""
    if not project.store.codes():
        raise ProjectError("the project has no codebook", file=str(project.folder),
                           fix=f"import one: codeseed import {project.folder} --codebook codebook.csv")
    holder = tempfile.TemporaryDirectory(prefix="codeseed-simulation-")
    try:
        copy = copy_project(project, Path(holder.name) / "copy")
        keep_only_seed(copy, set(seed))
    except BaseException:
        holder.cleanup()
        raise
    return holder, copy


# -- the two runs ---------------------------------------------------------------------------------------------
def simulate_project(project: Project, *, seed_coded: int = 10, orders: Sequence[str] = ORDERS,
                     shown: str = "confident", include_uncoded: bool = False, params: Mapping[str, Any] | None = None,
                     refit_every: int | None = None, progress: bool = False) -> dict[str, Any]:
    """``codeseed eval PROJECT --simulate``: each queue order on its own throw-away copy; the project is only read."""
    truth = human_truth(project)
    if not truth:
        raise ProjectError("the project has no human codings to simulate a coder with", file=str(project.folder),
                           fix=f"import some: codeseed import {project.folder} --codings codings.csv --coder NAME")
    _check(seed_coded, shown, orders, refit_every)
    seed = seed_segments(project, truth, seed_coded)
    runs = {}
    for order in orders:
        holder, copy = temporary_copy(project, seed)
        try:
            reviewer = ProjectReviewer(copy, order=order, params=params)
            wanted = {u: truth.get(u, set()) for u in reviewer.queue() if include_uncoded or u in truth}
            if not wanted:
                raise ProjectError(f"no coded segment is left after the first {len(seed)}", file=str(project.folder),
                                   fix="lower --seed-coded, or code more segments")
            pick = picker_keys(reviewer.picker_choices())
            records = simulate(reviewer, wanted, pick, seed=len(seed), codebook=reviewer.codebook(list(wanted)),
                               shown=shown, refit_every=refit_every, progress=progress)
        finally:
            copy.close()
            holder.cleanup()
        runs[order] = {"summary": summarise(records), "records": records}
    notes = [f"truth: the codes people applied (origin human or import); seed: the first {len(seed)} coded "
             "segments in document order; the queue: the app's (participant turns)"
             + ("; segments without a human coding count as 'no code applies'" if include_uncoded
                else "; segments without a human coding are passed over")]
    return {"name": project.folder.name, "seed": len(seed), "shown": shown, "refit_every": refit_every, "runs": runs,
            "notes": notes}


def simulate_bench(spec_path: Path | str, data_dir: Path | str, *, seed_coded: int = 10, limit: int | None = None,
                   orders: Sequence[str] = ORDERS, shown: str = "confident", params: Mapping[str, Any] | None = None,
                   refit_every: int | None = None, encoder: Any = None, cache_path: Path | str | None = None,
                   progress: bool = False) -> dict[str, Any]:
    """``codeseed bench SPEC DATA --simulate``: the first ``limit`` segments of the data (all by default), in the
    data's order; the first ``seed_coded`` of them are the seed."""
    from index import Encoder, VectorCache, encode_with_cache

    from .bench import bench_cache_path
    from .bench_data import load_bench
    from .bench_spec import load_spec

    _check(seed_coded, shown, orders, refit_every)
    spec = load_spec(spec_path)
    bench = load_bench(spec, data_dir)
    n = len(bench.texts) if limit is None else min(int(limit), len(bench.texts))
    if n <= seed_coded:
        raise spec.error(f"the data has {n} segments{' in the slice' if limit else ''}: none left after a seed of "
                         f"{seed_coded}", "data", fix="lower --seed-coded (or raise --limit)")
    encoder = encoder if encoder is not None else Encoder()
    cache = VectorCache(cache_path or bench_cache_path())
    try:
        vectors, _ = encode_with_cache(encoder, bench.texts[:n], cache, progress=progress)
        prototypes, _ = encode_with_cache(encoder, bench.prototype_texts, cache)
    finally:
        cache.close()
    data = CodedData(name=spec.name, texts=bench.texts[:n], vectors=vectors, Y=bench.Y[:n], groups=bench.groups[:n],
                     codes=bench.codes, names=bench.names, prototypes=prototypes)
    truth = {i: {data.codes[j] for j in np.flatnonzero(data.Y[i])} for i in range(seed_coded, n)}
    pick = picker_keys([(f"{c}  {name}", c) for c, name in zip(data.codes, data.names)])
    ranked = codebook_ranking(vectors[seed_coded:], prototypes, data.codes)
    codebook = dict(zip(range(seed_coded, n), ranked))
    runs = {}
    for order in orders:
        reviewer = ArrayReviewer(data, range(seed_coded), range(seed_coded, n), order=order, params=params)
        records = simulate(reviewer, truth, pick, seed=seed_coded, codebook=codebook, shown=shown,
                           refit_every=refit_every, progress=progress)
        runs[order] = {"summary": summarise(records), "records": records}
    notes = list(bench.notes) + [f"the first {n} segments of the data in its order"
                                 + (f" (of {len(bench.texts)})" if n < len(bench.texts) else "")
                                 + f"; seed: the first {seed_coded}"]
    return {"name": spec.name, "seed": seed_coded, "shown": shown, "refit_every": refit_every, "runs": runs,
            "notes": notes,
            "spec": str(spec.path), "encoder": encoder.identifier}


def _check(seed_coded: int, shown: str, orders: Sequence[str], refit_every: int | None = None) -> None:
    if refit_every is not None and refit_every < 1:
        raise CodeseedError("--refit-every must be a positive number of segments", field="refit_every")
    if seed_coded < 0:
        raise CodeseedError("--seed-coded must be 0 or more", field="seed_coded")
    if shown not in SHOWN:
        raise CodeseedError(f"shown must be one of {', '.join(SHOWN)}", field="shown")
    unknown = [o for o in orders if o not in ORDERS]
    if unknown or not orders:
        raise CodeseedError(f"unknown queue order {unknown[0] if unknown else '(none)'!r}", field="orders",
                           fix=f"use {' and/or '.join(ORDERS)}")
