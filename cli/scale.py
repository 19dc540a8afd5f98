"""Past one project: ``codeseed batch``, a saved suggester over CSV/Parquet files (the engines live in ``batch/``)."""

from __future__ import annotations

import argparse

from .registry import command, count, progress


def _batch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="folder written by: codeseed suggest PROJECT --save-model DIR")
    p.add_argument("input", help="a .csv or .parquet file, a folder of them, or a quoted glob ('data/*.csv')")
    p.add_argument("--out", required=True, metavar="FOLDER", help="output folder (created; give it again to resume)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: one process (default); ray: a Ray Data pipeline on the cluster RAY_ADDRESS names, "
                        'or a local Ray (needs: pip install "codeseed[ray]")')
    p.add_argument("--text-column", default="text", help="column with the comment text (default: text)")
    p.add_argument("--id-column", help="column with each row's id (default: SHARD:ROW)")
    p.add_argument("--top", type=int, default=5, help="codes kept per row, best first (default: 5)")
    p.add_argument("--workers", type=int, help="ray: actors, one CPU each (default: the cluster's CPUs minus one)")
    p.add_argument("--shards-per-wave", type=int,
                   help="ray: input shards per pipeline run, the unit of resumption (default: 4 per worker)")


@command("batch", _batch_options, help="suggest codes for every row of CSV/Parquet files with a saved suggester",
         description="Run a suggester saved with `codeseed suggest PROJECT --save-model DIR` over a corpus of any "
                     "size: a CSV or Parquet file, a folder of them, or a quoted glob. Writes one Parquet file per "
                     "input shard, one row per input row (id, shard, row, codes, scores, confident, "
                     "confident_codes, evidence_ids). Every shard is checked before any work starts; a rerun into "
                     "the same --out skips the shards already written. Details: docs/scale.md.")
def cmd_batch(args: argparse.Namespace) -> int:
    from batch.runner import BatchOptions, run_batch

    options = BatchOptions(text_column=args.text_column, id_column=args.id_column, top=args.top)
    report = run_batch(args.model, args.input, args.out, engine=args.engine, options=options, workers=args.workers,
                       shards_per_wave=args.shards_per_wave, progress=progress())
    done = f"{report.skipped} already done, " if report.skipped else ""
    print(f"{count(report.shards, 'shard')}: {done}{report.written} written ({count(report.rows, 'row')}) "
          f"to {report.output} in {report.seconds:.1f} s with the {report.engine} engine.")
    return 0
