"""The Ray engine: the saved suggester over a corpus on a Ray cluster (the only module that imports ``ray``).

What runs where:

* **driver** (where ``codeseed batch`` runs): checks the input and the saved model (hashes, encoder weights),
  cuts the shards still to do into *waves*, and after each wave writes one output file per input shard;
* **Ray Data pipeline**, one per wave: ``read_csv``/``read_parquet`` (the text column and the file path) →
  ``map_batches`` with a fixed pool of actors (:class:`SuggestActor`: each loads the saved model and the encoder
  once, then embeds and suggests batch after batch, one CPU thread each) → ``write_parquet`` into a staging
  folder;
* **driver** again: the staged results are matched back to each shard's rows (by a hash of the text, so the
  order Ray returns rows in does not matter) and each shard's file is written atomically.

The unit of resumption is the wave (``shards_per_wave`` input shards, default 4 per worker): a crash loses the
wave in flight, never a written shard, and a rerun skips every shard whose output exists. Paths (the input,
the output and the saved model folder) must be readable at the same path on every node: a shared filesystem.

Connects to the cluster ``RAY_ADDRESS`` names; when none is set, starts a local Ray (no dashboard, no usage
statistics) and stops it at the end.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from batch.output import STAGING, results_table
from batch.plan import BatchPlan
from batch.scoring import Scorer
from batch.shards import Shard, read_shard
from index.errors import CodeseedError

INSTALL = 'pip install "codeseed[ray]"'
BATCH_ROWS = 256  # rows per map_batches call
ACTOR_CPUS = 1.0  # per actor: one torch thread each
IO_CPUS = 0.1  # per read or write task: light next to embedding
RESULT_COLUMNS = ("codes", "scores", "confident", "confident_codes", "evidence_ids")


def import_ray():
    """Ray, or a clear error saying how to install it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise CodeseedError("the Ray engine needs Ray, which is not installed", field="engine",
                            fix=f"{INSTALL} (or run with --engine local)") from exc
    return ray


def text_key(text: str) -> int:
    """A 64-bit hash of a text: how staged results find their rows again."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


class SuggestActor:
    """The callable class of ``map_batches``: built once per actor, called once per batch (a pandas frame)."""

    def __init__(self, model_dir: str, top: int, text_column: str) -> None:
        self.scorer = Scorer(model_dir, top=top)
        self.text_column = text_column

    def __call__(self, batch):
        import pyarrow as pa

        from batch.output import schema

        texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v)
                 for v in batch[self.text_column].tolist()]
        columns = self.scorer.columns(texts)
        fields = [schema().field(c) for c in RESULT_COLUMNS]
        out = pa.schema([("path", pa.string()), ("key", pa.int64()), *fields])
        return pa.table({"path": [str(p) for p in batch["path"]], "key": [text_key(t) for t in texts],
                         **columns}, schema=out)


def settle_fsspec_http() -> None:
    """Ray 2.60 lists Parquet files from several threads, each trying ``fsspec.implementations.http``; without
    aiohttp that import fails, and a thread racing another gets ImportError instead of the ModuleNotFoundError
    Ray expects, failing the read at random. Try it once; if it fails, mark it absent for every thread.
    Run in the driver and, as Ray's worker set-up hook, in every worker."""
    try:
        import fsspec.implementations.http  # noqa: F401
    except ImportError:
        sys.modules["fsspec.implementations.http"] = None  # every later import: ModuleNotFoundError


def _runtime_env() -> dict:
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    forwarded = {k: os.environ[k] for k in ("CODESEED_HOME", "CODESEED_ENCODER_BACKEND") if k in os.environ}
    return {"env_vars": {"PYTHONPATH": path, "RAY_USAGE_STATS_ENABLED": "0", **forwarded},
            "worker_process_setup_hook": "batch.ray_engine.settle_fsspec_http"}


def start_local_ray(workers: int):
    """A Ray on this machine only (no dashboard, no usage statistics) with room for ``workers`` actors, and one
    logical CPU more for Ray Data's file listing, reading and writing tasks (with none to spare, Parquet input
    waits forever for a CPU); its workers import this codeseed."""
    ray = import_ray()
    ray.init(num_cpus=workers + 1, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
             runtime_env=_runtime_env())
    return ray


def connect(ray, workers: int | None) -> bool:
    """Join the running Ray, the cluster at RAY_ADDRESS, or start a local one; True when we started it."""
    if ray.is_initialized():
        return False
    if os.environ.get("RAY_ADDRESS"):
        ray.init(address=os.environ["RAY_ADDRESS"], log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"worker_process_setup_hook": "batch.ray_engine.settle_fsspec_http"})
    else:
        start_local_ray(workers or len(os.sched_getaffinity(0)))
    return True


def run_ray(job: BatchPlan, *, workers: int | None = None, progress: bool = False, shards_per_wave: int | None = None,
            on_shard_written: Callable[[Shard], None] | None = None) -> list[Shard]:
    ray = import_ray()
    if not job.pending:
        return []
    job.saved.load_encoder()  # resolve and hash-check the encoder here, before any actor starts
    started = connect(ray, workers)
    settle_fsspec_http()
    try:
        workers = workers or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)  # one CPU for I/O tasks
        ray.data.DataContext.get_current().enable_progress_bars = progress
        logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.WARNING)
        size = shards_per_wave or 4 * workers
        written: list[Shard] = []
        for start in range(0, len(job.pending), size):
            wave = job.pending[start:start + size]
            staging = job.output.folder / STAGING
            shutil.rmtree(staging, ignore_errors=True)
            _run_wave(ray, job, wave, staging, workers)
            for shard in _assemble(job, wave, staging):
                written.append(shard)
                if on_shard_written is not None:
                    on_shard_written(shard)
            shutil.rmtree(staging, ignore_errors=True)
        return written
    finally:
        if started:
            ray.shutdown()


def _read(ray, job: BatchPlan, wave: list[Shard], workers: int):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    paths = [str(s.path.resolve()) for s in wave]
    column = job.options.text_column
    blocks = max(len(paths), 4 * workers)  # a wave of few shards still feeds every actor
    if wave[0].format == "csv":
        return ray.data.read_csv(
            paths, include_paths=True, num_cpus=IO_CPUS, override_num_blocks=blocks,
            convert_options=pacsv.ConvertOptions(column_types={column: pa.string()}, include_columns=[column]),
            parse_options=pacsv.ParseOptions(newlines_in_values=True))
    return ray.data.read_parquet(paths, include_paths=True, num_cpus=IO_CPUS,
                                 override_num_blocks=blocks).select_columns([column, "path"])


def _run_wave(ray, job: BatchPlan, wave: list[Shard], staging: Path, workers: int) -> None:
    dataset = _read(ray, job, wave, workers).map_batches(
        SuggestActor, batch_size=BATCH_ROWS, batch_format="pandas", num_cpus=ACTOR_CPUS,
        compute=ray.data.ActorPoolStrategy(size=workers),
        fn_constructor_kwargs={"model_dir": str(job.saved.folder.resolve()), "top": job.options.top,
                               "text_column": job.options.text_column})
    try:
        dataset.write_parquet(str(staging), ray_remote_args={"num_cpus": IO_CPUS})
    except ray.exceptions.RayError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, CodeseedError):
            raise cause from None
        raise


def _assemble(job: BatchPlan, wave: list[Shard], staging: Path):
    """Match the staged results to each shard's rows and write the shard's output file; yields each shard."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    staged = pq.read_table(staging) if staging.exists() else None
    for shard in wave:
        data = read_shard(shard, job.options.text_column, job.options.id_column)
        part = staged.filter(pc.equal(staged["path"], str(shard.path.resolve()))) if staged is not None else None
        position = {key: i for i, key in enumerate(part["key"].to_pylist())} if part is not None else {}
        keys = [text_key(t) for t in data.texts]
        missing = [row for row, key in enumerate(keys) if key not in position]
        if missing:
            raise CodeseedError(f"the Ray workers returned no result for row {missing[0]} "
                                f"({len(missing)} rows in all); the shard was not written", file=str(shard.path),
                                fix="run again (finished shards are kept); if it persists, use --engine local")
        taken = part.take([position[key] for key in keys])
        columns = {c: taken.column(c) for c in RESULT_COLUMNS}
        job.output.write(shard, results_table(shard, data.ids, columns))
        yield shard
