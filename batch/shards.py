"""The input of a batch run: which shards (files), and each shard's texts and ids, checked before any work.

An input is a CSV or Parquet file, a folder of them (searched recursively; hidden files left out), or a glob
(``comments/*.parquet``). Every shard of one input has the same format. A shard is read whole with pandas
(CSV as strict UTF-8; a BOM is allowed) and checked: the text column exists, there is at least one row.
Both engines call :func:`read_shard`, so a bad shard gets the same error whichever engine runs.
"""

from __future__ import annotations

import glob
import io
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputFileError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class Shard:
    path: Path
    name: str  # the path relative to the input (a folder) or the file name: names its output shard
    format: str  # "csv" or "parquet"


@dataclass(frozen=True)
class ShardData:
    texts: list[str]
    ids: list[str]


def find_shards(source: str | Path) -> list[Shard]:
    """The input's shards in a stable order; a clear error when there are none or formats are mixed."""
    text = str(source)
    path = Path(text).expanduser()
    if path.is_file():
        files, base = [path], path.parent
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS
                       and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
        base = path
    elif any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        base = Path(_glob_root(text))
    else:
        raise InputFileError("no such file, folder or glob", file=text,
                             fix="give a CSV or Parquet file, a folder of them, or a quoted glob like 'data/*.csv'")
    if not files:
        raise InputFileError("no CSV or Parquet files found", file=text,
                             fix="check the path; shards must end in .csv or .parquet")
    unknown = [p for p in files if p.suffix.lower() not in FORMATS]
    if unknown:
        raise InputFileError("not a CSV or Parquet file", file=str(unknown[0]),
                             fix="give only .csv or .parquet files (convert Excel sheets to CSV first)")
    formats = {FORMATS[p.suffix.lower()] for p in files}
    if len(formats) > 1:
        raise InputFileError("the input mixes CSV and Parquet shards", file=text,
                             fix="run the CSV and the Parquet shards as two inputs (each with its own --out)")
    return [Shard(p, p.relative_to(base).as_posix() if p.is_relative_to(base) else p.name,
                  FORMATS[p.suffix.lower()]) for p in files]


def _glob_root(pattern: str) -> str:
    parts = Path(pattern).parts
    fixed = [p for p in parts[: next(i for i, p in enumerate(parts) if any(c in p for c in "*?["))]]
    return str(Path(*fixed)) if fixed else "."


def read_shard(shard: Shard, text_column: str, id_column: str | None = None) -> ShardData:
    """The shard's texts (missing values as empty text) and ids (the id column as text, else
    ``NAME:ROW`` with ROW counted from 0), or an error naming the shard and how to fix it."""
    frame = _read_csv(shard, text_column, id_column) if shard.format == "csv" else \
        _read_parquet(shard, text_column, id_column)
    if len(frame) == 0:
        raise InputFileError("the shard is empty (a header and no rows)", file=str(shard.path),
                             fix="remove the empty file from the input, or fill it")
    texts = ["" if _missing(v) else str(v) for v in frame[text_column].tolist()]
    if id_column is None:
        ids = [f"{shard.name}:{row}" for row in range(len(frame))]
    else:
        ids = ["" if _missing(v) else str(v) for v in frame[id_column].tolist()]
    return ShardData(texts, ids)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _columns(shard: Shard, found: list[str], text_column: str, id_column: str | None) -> None:
    for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
        if column is not None and column not in found:
            shown = ", ".join(found[:12]) or "none"
            raise InputFileError(f"no column {column!r} (columns: {shown})", file=str(shard.path), field=column,
                                 fix=f"name the right column with {option}, or add it to every shard")


def _read_csv(shard: Shard, text_column: str, id_column: str | None):
    import pandas as pd

    data = shard.path.read_bytes()
    if not data.strip():
        raise InputFileError("the shard is empty (no header, no rows)", file=str(shard.path),
                             fix="remove the empty file from the input, or fill it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
                             file=str(shard.path),
                             fix="save the file as UTF-8 (Excel: CSV UTF-8; or iconv -f cp1252 -t utf-8)") from exc
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"not a readable CSV: {exc}", file=str(shard.path),
                             fix="check the quoting and the number of fields per line") from exc
    _columns(shard, [str(c) for c in frame.columns], text_column, id_column)
    return frame


def _read_parquet(shard: Shard, text_column: str, id_column: str | None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        found = pq.read_schema(shard.path).names
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(f"not a readable Parquet file: {exc}", file=str(shard.path),
                             fix="check that the file is complete (re-copy it) and really Parquet") from exc
    _columns(shard, found, text_column, id_column)
    columns = [text_column] + ([id_column] if id_column and id_column != text_column else [])
    return pq.read_table(shard.path, columns=columns).to_pandas()
