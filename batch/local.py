"""The local engine: one process, shard after shard, with a progress bar in rows.

Each shard is read, embedded and suggested in chunks (:data:`batch.scoring.ENCODE_CHUNK` texts at a time, so
memory stays bounded however large the shard), then written whole and atomically. The unit of resumption is
the input shard: split a very large file into shards to lose less work to a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batch.output import results_table
from batch.plan import BatchPlan
from batch.scoring import Scorer
from batch.shards import Shard, read_shard


def run_local(job: BatchPlan, *, progress: bool = False, encoder: Any = None,
              on_shard_written: Callable[[Shard], None] | None = None) -> list[Shard]:
    if not job.pending:
        return []
    from tqdm.auto import tqdm

    scorer = Scorer(job.saved, top=job.options.top, encoder=encoder)
    written = []
    with tqdm(total=sum(job.rows.values()), unit="row", desc="Suggesting", disable=not progress) as bar:
        for shard in job.pending:
            data = read_shard(shard, job.options.text_column, job.options.id_column)
            columns = scorer.columns(data.texts)
            job.output.write(shard, results_table(shard, data.ids, columns))
            written.append(shard)
            bar.update(len(data.texts))
            if on_shard_written is not None:
                on_shard_written(shard)
    return written
