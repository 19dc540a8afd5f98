"""``codeseed batch``: plan the run (:mod:`batch.plan`), then hand the shards still to do to an engine.

* ``local`` (:mod:`batch.local`): one process, shard after shard;
* ``ray`` (:mod:`batch.ray_engine`): a Ray Data pipeline on the cluster ``RAY_ADDRESS`` names, or a local Ray.

Both write the same files (:mod:`batch.output`), so a run started with one engine can be finished with the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch.plan import BatchOptions, plan
from batch.shards import Shard
from index.errors import CodeseedError

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class BatchReport:
    shards: int  # in the input
    skipped: int  # already done by an earlier run
    written: int
    rows: int  # written by this run
    seconds: float
    output: Path
    engine: str


def run_batch(model_dir: str | Path, source: str | Path, out: str | Path, *, engine: str = "local",
              options: BatchOptions = BatchOptions(), workers: int | None = None, progress: bool = False,
              shards_per_wave: int | None = None, encoder: Any = None,
              on_shard_written: Callable[[Shard], None] | None = None) -> BatchReport:
    """Suggest codes for every row of ``source`` with the saved suggester in ``model_dir``; write ``out``.

    ``workers`` and ``shards_per_wave`` are for the Ray engine (see :mod:`batch.ray_engine`).
    ``on_shard_written`` is called after each output shard is in place (progress reports; tests use it to
    stop a run part-way). ``encoder`` replaces the saved model's own (local engine; tests).
    """
    if engine not in ENGINES:
        raise CodeseedError(f"unknown engine {engine!r}", field="engine", fix="use --engine local or --engine ray")
    began = time.perf_counter()
    job = plan(model_dir, source, out, options)
    if engine == "local":
        from batch.local import run_local

        written = run_local(job, progress=progress, encoder=encoder, on_shard_written=on_shard_written)
    else:
        from batch.ray_engine import run_ray

        written = run_ray(job, workers=workers, progress=progress, shards_per_wave=shards_per_wave,
                          on_shard_written=on_shard_written)
    return BatchReport(len(job.shards), len(job.shards) - len(job.pending), len(written),
                       sum(job.rows[s.name] for s in written), time.perf_counter() - began,
                       job.output.folder, engine)
