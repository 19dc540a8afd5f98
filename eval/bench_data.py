"""Reading a benchmark spec's data: the CSV (and codebook) under DATA_DIR become texts, labels, groups and
codings, checked against the spec with errors that name the field and the fix.

Several coders on one unit: the unit's truth is the coders' majority (single-label coding: the most
frequent label, every tied label when there is a tie; multi-label: each code applied by more than half).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.types import Code
from suggest.project_suggester import prototype_text

from .bench_spec import BenchSpec, Condition

__all__ = ["BenchData", "load_bench", "TRUE_VALUES", "FALSE_VALUES"]

TRUE_VALUES = {"1", "1.0", "true", "yes", "y", "x"}
FALSE_VALUES = {"", "0", "0.0", "false", "no", "n", "nan"}


@dataclass
class BenchData:
    """A spec's data, read and checked, before embedding."""

    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    codes: list[str]
    names: list[str]
    prototype_texts: list[str]
    unit_ids: list[Any]
    split_values: list[str] | None
    codings: dict[str, dict[Any, set[str]]] | None
    notes: list[str]


def _columns_fix(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:15])
    more = f", ... ({len(columns)} in all)" if len(columns) > 15 else ""
    return f"the file's columns are: {shown}{more}"


def load_bench(spec: BenchSpec, data_dir: Path | str) -> BenchData:
    """Read the spec's CSV (and codebook) from ``data_dir`` and build texts, labels, groups and codings."""
    data_dir = Path(data_dir)
    rows, code_columns = _read_rows(spec, data_dir)
    notes: list[str] = []
    keep = _kept_rows(spec, rows, notes)
    row_codes = _row_codes(spec, keep, code_columns)
    book = _read_codebook(spec, data_dir) if spec.codebook else {}
    codes = _evaluated_codes(spec, row_codes, code_columns, book, notes)
    units = _units(spec, keep, row_codes)
    Y = _truth(units, codes, notes)
    texts = [u["text"] for u in units.values()]
    unit_ids = list(units)
    if spec.group:
        groups = [str(u["row"][spec.group]) for u in units.values()]
    else:
        groups = [f"segment {i}" for i in range(len(units))]
        notes.append("no group column: every segment is its own group")
    split_values = [str(u["row"][spec.split["column"]]) for u in units.values()] \
        if spec.split["mode"] == "train_test" else None
    codings = None
    if spec.coder:
        codings = {}
        for key, unit in units.items():
            for coder, found in unit["coders"].items():
                codings.setdefault(coder, {})[key] = set(found)
        codings = {c: codings[c] for c in sorted(codings, key=_natural)}
    names = [book[c].name if c in book else c for c in codes]
    prototypes = [prototype_text(book[c]) if c in book else prototype_text(Code(id=c, name=c)) for c in codes]
    return BenchData(texts, Y, groups, codes, names, prototypes, unit_ids, split_values, codings, notes)


def _read_rows(spec: BenchSpec, data_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The CSV's rows, every column the spec names checked, and the code columns."""
    import pandas as pd

    csv = data_dir / spec.data
    if not csv.is_file():
        raise spec.error(f"data file {str(csv)!r} not found", "data",
                         fix="DATA_DIR is the folder the spec's 'data' path is relative to (the folder that holds the dataset's own folder, e.g. the one containing nhs-pxtextmining/)")
    try:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding=spec.encoding)
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise spec.error(f"cannot read {csv.name} as CSV ({error})", "data") from None
    columns = [str(c) for c in frame.columns]

    def column(name: str, field_name: str) -> str:
        if name not in columns:
            raise spec.error(f"column {name!r} is not in {csv.name}", field_name, fix=_columns_fix(columns))
        return name

    column(spec.text, "text")
    for key in ("group", "coder"):
        if getattr(spec, key):
            column(getattr(spec, key), key)
    for u in spec.unit or []:
        column(u, "unit")
    if spec.split["mode"] == "train_test":
        column(spec.split["column"], "split.column")
    for name, conditions in (("keep", spec.keep), ("drop", spec.drop)):
        for k, condition in enumerate(conditions):
            column(condition.column, f"{name}[{k}].column")
    kind = spec.codes["kind"]
    if kind == "after":
        anchor = column(spec.codes["after"], "codes.after")
        code_columns = columns[columns.index(anchor) + 1:]
        if not code_columns:
            raise spec.error(f"no column after {anchor!r} in {csv.name}", "codes.after")
    elif kind == "columns":
        code_columns = [column(c, "codes.columns") for c in spec.codes["columns"]]
    else:
        code_columns = [column(spec.codes["column"], "codes.column")]
    return frame.to_dict("records"), code_columns


def _kept_rows(spec: BenchSpec, rows: list[dict[str, Any]], notes: list[str]) -> list[dict[str, Any]]:
    """The rows left after keep, drop and drop_empty_text; each step that removes rows adds a note."""
    keep = [r for r in rows if all(c.matches(str(r[c.column])) for c in spec.keep)]
    if len(keep) < len(rows):
        notes.append(f"kept {len(keep)} of {len(rows)} rows ({'; '.join(_describe(c) for c in spec.keep)})")
    for condition in spec.drop:
        before = len(keep)
        keep = [r for r in keep if not condition.matches(str(r[condition.column]))]
        if before - len(keep):
            notes.append(f"dropped {before - len(keep)} rows where {_describe(condition)}")
    if spec.drop_empty_text:
        before = len(keep)
        keep = [r for r in keep if str(r[spec.text]).strip()]
        if before - len(keep):
            notes.append(f"dropped {before - len(keep)} rows with empty text")
    if not keep:
        raise spec.error("no rows left after keep/drop", "drop")
    return keep


def _row_codes(spec: BenchSpec, keep: list[dict[str, Any]], code_columns: list[str]) -> list[list[str]]:
    """The codes of each kept row: one-hot columns, or one column of code names (split on the separator)."""
    kind = spec.codes["kind"]
    row_codes: list[list[str]] = []
    if kind in ("after", "columns"):
        for n, r in enumerate(keep):
            found = []
            for c in code_columns:
                value = str(r[c]).strip().lower()
                if value in TRUE_VALUES:
                    found.append(c)
                elif value not in FALSE_VALUES:
                    raise spec.error(f"column {c!r} of a code holds {r[c]!r}, which is neither yes (1) nor no "
                                     f"(empty or 0) (first case: kept row {n + 1})", f"codes.{kind}",
                                     fix="list only one-hot code columns, or use codes.column for a column of names")
            row_codes.append(found)
    else:
        separator, ignore = spec.codes["separator"], {v.strip() for v in spec.codes["ignore"]}
        for r in keep:
            value = str(r[code_columns[0]]).strip()
            parts = value.split(separator) if separator else [value]
            row_codes.append([p.strip() for p in parts if p.strip() and p.strip() not in ignore])
    return row_codes


def _evaluated_codes(spec: BenchSpec, row_codes: list[list[str]], code_columns: list[str],
                     book: dict[str, Code], notes: list[str]) -> list[str]:
    """The codes used in the kept rows, in codebook (or column) order; unused ones are noted."""
    kind = spec.codes["kind"]
    used = list(dict.fromkeys(c for codes in row_codes for c in codes))
    if book:
        unknown = [c for c in used if c not in book]
        if unknown:
            raise spec.error(f"code {unknown[0]!r} of the data is not in the codebook {spec.codebook['path']}",
                             "codebook", fix="the codebook's code column must hold the data's code values")
        codes = [c for c in book if c in set(used)]
    elif kind in ("after", "columns"):
        codes = [c for c in code_columns if c in set(used)]
    else:
        codes = used
    never = [c for c in (code_columns if kind in ("after", "columns") else book) if c not in set(used)]
    if never:
        where = "codebook codes (themes included)" if kind == "column" else "code columns"
        notes.append(f"{len(never)} {where} never used in the kept rows are not evaluated: {', '.join(never)}")
    if not codes:
        raise spec.error("no code is used in the kept rows", "codes")
    return codes


def _units(spec: BenchSpec, keep: list[dict[str, Any]], row_codes: list[list[str]]) -> dict[Any, dict[str, Any]]:
    """Rows grouped into units (by the spec's unit columns, else one unit per row), each coder's codes."""
    unit_key = (lambda r, n: tuple(str(r[u]) for u in spec.unit)) if spec.unit else (lambda r, n: n)
    units: dict[Any, dict[str, Any]] = {}
    for n, (r, found) in enumerate(zip(keep, row_codes)):
        key = unit_key(r, n)
        unit = units.setdefault(key, {"text": str(r[spec.text]), "row": r, "coders": {}})
        coder = str(r[spec.coder]) if spec.coder else "_"
        unit["coders"].setdefault(coder, set()).update(found)
    return units


def _truth(units: dict[Any, dict[str, Any]], codes: list[str], notes: list[str]) -> np.ndarray:
    """The label matrix: each unit's codes, the coders' majority where several coded it."""
    multi = sum(1 for u in units.values() if len(u["coders"]) > 1)
    single_label = all(len(s) == 1 for u in units.values() for s in u["coders"].values())
    if multi:
        rule = "the most frequent label (all tied labels on a tie)" if single_label else \
            "each code applied by more than half of the coders"
        notes.append(f"{multi} segments were coded by several coders; their truth is the majority: {rule}")
    column_of = {c: j for j, c in enumerate(codes)}
    Y = np.zeros((len(units), len(codes)), dtype=np.int8)
    for i, unit in enumerate(units.values()):
        for c in _majority(list(unit["coders"].values()), single_label):
            if c in column_of:
                Y[i, column_of[c]] = 1
    return Y


def _natural(name: str) -> tuple:
    """Sort key putting '2' before '10'."""
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def _describe(condition: Condition) -> str:
    if condition.empty:
        return f"{condition.column!r} is empty"
    return f"{condition.column!r} = " + " or ".join(repr(v) for v in condition.equals)


def _majority(per_coder: list[set[str]], single_label: bool) -> set[str]:
    if len(per_coder) == 1:
        return set(per_coder[0])
    counts: dict[str, int] = {}
    for found in per_coder:
        for c in found:
            counts[c] = counts.get(c, 0) + 1
    if not counts:
        return set()
    if single_label:
        best = max(counts.values())
        return {c for c, n in counts.items() if n == best}
    return {c for c, n in counts.items() if n > len(per_coder) / 2}


def _read_codebook(spec: BenchSpec, data_dir: Path) -> dict[str, Code]:
    import pandas as pd

    book = spec.codebook or {}
    path = data_dir / book["path"]
    if not path.is_file():
        raise spec.error(f"codebook {str(path)!r} not found", "codebook.path")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    columns = [str(c) for c in frame.columns]
    for key in ("code", "name"):
        if book[key] not in columns:
            raise spec.error(f"column {book[key]!r} is not in {path.name}", f"codebook.{key}",
                             fix=_columns_fix(columns))
    out: dict[str, Code] = {}
    for r in frame.to_dict("records"):
        code = str(r[book["code"]]).strip()
        if code:
            out[code] = Code(id=code, name=str(r[book["name"]]).strip(),
                             description=str(r.get(book["description"], "") or "").strip(),
                             inclusion=str(r.get(book["inclusion"], "") or "").strip())
    return out
