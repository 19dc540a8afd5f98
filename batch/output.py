"""The output of a batch run: one Parquet file per input shard, written atomically, and a record of what made them.

``OUTPUT/codeseed-batch.json`` names the saved model (the SHA-256 of its manifest) and the options that shape
the rows (text and id columns, suggestions per row). A rerun into the same folder skips every shard whose
output file exists — a file only appears complete, by rename from a temporary name — so a killed run resumes
where it stopped without duplicating rows. A folder holding another model's (or other options') results is
refused rather than mixed.

One row per input row: ``id``, ``shard``, ``row`` (from 0, in the shard's order), and per suggested code (best
first) ``codes``, ``scores``, ``confident``; ``confident_codes``; ``evidence_ids`` (per code, the coded
examples' segment ids behind it).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from batch.shards import Shard
from index.errors import CodeseedError

RECORD = "codeseed-batch.json"
STAGING = ".staging"  # where the Ray engine's write tasks put a wave's results before they are matched to shards
SUFFIX = ".parquet"


def schema():
    import pyarrow as pa

    return pa.schema([
        ("id", pa.string()), ("shard", pa.string()), ("row", pa.int64()),
        ("codes", pa.list_(pa.string())), ("scores", pa.list_(pa.float64())), ("confident", pa.list_(pa.bool_())),
        ("confident_codes", pa.list_(pa.string())), ("evidence_ids", pa.list_(pa.list_(pa.int64()))),
    ])


class OutputFolder:
    def __init__(self, folder: str | Path, settings: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.settings = settings

    def check(self) -> "OutputFolder":
        """Refuse a folder that holds other results (another model, other options) or other files."""
        record = self.folder / RECORD
        if self.folder.exists() and not self.folder.is_dir():
            raise CodeseedError("the output exists and is not a folder", file=str(self.folder),
                                fix="give --out a folder path")
        if record.is_file():
            earlier = json.loads(record.read_text(encoding="utf-8"))
            if earlier != self.settings:
                what = "another saved model" if earlier.get("model_id") != self.settings["model_id"] else \
                    "other options (" + ", ".join(k for k in self.settings if earlier.get(k) != self.settings[k]) + ")"
                raise CodeseedError(f"the output folder holds results of {what}; results are never mixed",
                                    file=str(self.folder),
                                    fix="give a new --out folder, or delete this one to start again")
        elif self.folder.is_dir() and any(self.folder.iterdir()):
            raise CodeseedError("the output folder is not empty and was not written by codeseed batch",
                                file=str(self.folder), fix="give a new or empty --out folder")
        return self

    def create(self) -> "OutputFolder":
        """Make the folder and its record (once the input is known to be good); clear a killed run's temp files."""
        record = self.folder / RECORD
        self.folder.mkdir(parents=True, exist_ok=True)
        if not record.is_file():
            _atomic_write_bytes(record, (json.dumps(self.settings, indent=1) + "\n").encode("utf-8"))
        for stale in self.folder.glob(".*.tmp-*"):
            stale.unlink()
        shutil.rmtree(self.folder / STAGING, ignore_errors=True)  # a killed Ray wave's partial results
        return self

    def path_for(self, shard: Shard) -> Path:
        return self.folder / (shard.name.replace("/", "__") + SUFFIX)

    def done(self, shard: Shard) -> bool:
        return self.path_for(shard).is_file()

    def write(self, shard: Shard, table) -> Path:
        """Write one shard's results: a temporary file renamed into place, so a crash leaves none or all."""
        import pyarrow.parquet as pq

        final = self.path_for(shard)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=self.folder)
        os.close(fd)
        try:
            pq.write_table(table.cast(schema()), tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are ordinary files
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return final


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def results_table(shard: Shard, ids: list[str], columns: dict[str, list]) -> Any:
    """A shard's output table: ids in the shard's order beside the scored columns (see :mod:`batch.scoring`)."""
    import pyarrow as pa

    data = {"id": ids, "shard": [shard.name] * len(ids), "row": list(range(len(ids))), **columns}
    return pa.table(data, schema=schema())
