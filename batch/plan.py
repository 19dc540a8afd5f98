"""What a batch run will do: the saved model, the input's shards, those still to do (checked), the output folder.

Before any work, every shard still to do is read and checked (:func:`batch.shards.read_shard`), so a bad
shard is reported at once, naming the file, rather than after hours of embedding; and only then is the output
folder created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from batch.output import OutputFolder
from batch.shards import Shard, find_shards, read_shard
from index.errors import CodeseedError
from suggest.saved_model import SavedSuggester, load_suggester


@dataclass(frozen=True)
class BatchOptions:
    text_column: str = "text"
    id_column: str | None = None
    top: int = 5


@dataclass
class BatchPlan:
    saved: SavedSuggester
    shards: list[Shard]
    pending: list[Shard]
    rows: dict[str, int]  # rows per pending shard (its name)
    output: OutputFolder
    options: BatchOptions


def plan(model_dir: str | Path, source: str | Path, out: str | Path, options: BatchOptions) -> BatchPlan:
    saved = load_suggester(model_dir)
    if options.top < 1:
        raise CodeseedError("--top must be at least 1", field="top")
    shards = find_shards(source)
    out_path = Path(out).resolve()
    if Path(source).is_dir() and out_path.is_relative_to(Path(source).resolve()):
        raise CodeseedError("the output folder is inside the input folder", file=str(out),
                            fix="write the results next to the input, not into it")
    settings = {"model_id": saved.model_id, "suggester": saved.manifest["suggester"],
                "encoder": saved.encoder_identifier, "text_column": options.text_column,
                "id_column": options.id_column, "top": options.top}
    output = OutputFolder(out, settings).check()
    pending = [s for s in shards if not output.done(s)]
    rows = {s.name: len(read_shard(s, options.text_column, options.id_column).texts) for s in pending}
    output.create()
    return BatchPlan(saved, shards, pending, rows, output, options)
