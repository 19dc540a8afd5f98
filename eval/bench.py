"""Benchmarks on coded data outside a project: a small YAML spec names a CSV and says how to read it.

A spec (paths are relative to the DATA_DIR given on the command line, so no data lives in the repository)::

    name: NHS patient experience, v6 framework
    data: nhs-pxtextmining/v6framework_230831.csv
    text: FFT answer                       # the column with the text to code
    codes:                                 # one of:
      after: Comment sentiment             #   every column after this one is a one-hot code column
      # columns: [Scholar, Activist]       #   these one-hot columns ("1"/"" or 1/0, true/false, yes/no, x)
      # column: subtheme_code              #   one column holding the code ...
      # separator: ";"                     #   ... or several codes separated by this
      # ignore: ["n/a"]                    #   values of that column that are no code
    keep:                                  # optional: only rows matching every condition
      - {column: interlocutor, equals: therapist}
    drop:                                  # optional: rows matching any condition are left out
      - {column: Labelling not possible, equals: 1}
    drop_empty_text: true                  # default true
    group: Respondent ID                   # optional: segments of a group are never split across train/test
    unit: [transcript_id, utterance_id]    # optional: columns naming a segment when it has several rows
    coder: annotator_id                    # optional: who coded each row (several coders: human–human figures)
    codebook:                              # optional: codebook CSV for the prototypes (code, name, description)
      path: foye2022/codebook.csv
    split:                                 # kfold (grouped) | loo | logo (leave one group out) | train_test
      mode: kfold
      folds: 5
      # column: transcript_id              # train_test: the rows whose column value is listed are tested
      # test: [7, 27, 55]
    reference:                             # optional: published figures to print beside ours
      text: "GPT-4: kappa >= 0.6 on 8 of 9 codes"
      kappa_at_least: [0.6, 0.79]

Several coders on one unit: the unit's truth is the coders' majority (single-label coding: the most
frequent label, every tied label when there is a tie; multi-label: each code applied by more than half).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import CodeseedError
from suggest.project_suggester import prototype_text
from index.types import Code

from . import splits
from .runner import LEARNING_CURVE_SIZES, CodedData, evaluate

__all__ = ["BenchSpecError", "BenchSpec", "load_spec", "load_bench", "BenchData", "run_bench", "bench_cache_path"]

TRUE_VALUES = {"1", "1.0", "true", "yes", "y", "x"}
FALSE_VALUES = {"", "0", "0.0", "false", "no", "n", "nan"}
SPLIT_MODES = ("kfold", "loo", "logo", "train_test")
KNOWN_FIELDS = {"name", "description", "data", "encoding", "text", "codes", "keep", "drop", "drop_empty_text",
                "group", "unit", "coder", "codebook", "split", "reference", "learning_curve", "bootstrap"}


class BenchSpecError(CodeseedError):
    """A benchmark spec that cannot be read as written, or that does not fit its data."""


@dataclass
class Condition:
    column: str
    equals: list[str] = field(default_factory=list)  # any of these values
    empty: bool = False

    def matches(self, value: str) -> bool:
        value = value.strip()
        if self.empty:
            return value == ""
        return any(_same(value, wanted) for wanted in self.equals)


@dataclass
class BenchSpec:
    path: Path
    name: str
    data: str
    text: str
    codes: dict[str, Any]
    description: str = ""
    encoding: str = "utf-8-sig"
    keep: list[Condition] = field(default_factory=list)
    drop: list[Condition] = field(default_factory=list)
    drop_empty_text: bool = True
    group: str | None = None
    unit: list[str] | None = None
    coder: str | None = None
    codebook: dict[str, str] | None = None
    split: dict[str, Any] = field(default_factory=lambda: {"mode": "kfold", "folds": 5})
    reference: dict[str, Any] | None = None
    learning_curve: list[int | None] | None = None
    bootstrap: int = 1000

    def error(self, message: str, field: str, fix: str | None = None) -> BenchSpecError:
        return BenchSpecError(message, file=str(self.path), field=field, fix=fix)


def _same(value: str, wanted: str) -> bool:
    if value == wanted:
        return True
    try:
        return math.isclose(float(value), float(wanted))
    except ValueError:
        return False


# -- reading the spec ---------------------------------------------------------------------------------
def load_spec(path: Path | str) -> BenchSpec:
    """Read and check a spec file (structure only; the columns are checked against the CSV by load_bench)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise BenchSpecError("benchmark spec not found", file=str(path), fix="check the path of the YAML file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise BenchSpecError(f"not valid YAML ({error})", file=str(path)) from None
    if not isinstance(raw, dict):
        raise BenchSpecError("a spec must be a YAML mapping (name:, data:, text:, codes:, ...)", file=str(path))
    where = str(path)

    def need(key: str) -> Any:
        if key not in raw or raw[key] in (None, ""):
            raise BenchSpecError(f"missing required field '{key}'", file=where, field=key,
                                 fix="see the spec format in eval/bench.py or the examples in benchmarks/")
        return raw[key]

    unknown = sorted(set(raw) - KNOWN_FIELDS)
    if unknown:
        raise BenchSpecError(f"unknown field '{unknown[0]}'", file=where, field=unknown[0],
                             fix=f"the fields are: {', '.join(sorted(KNOWN_FIELDS))}")
    spec = BenchSpec(path=path, name=str(need("name")), data=str(need("data")), text=str(need("text")),
                     codes=_codes_field(need("codes"), where), description=str(raw.get("description") or ""))
    spec.encoding = str(raw.get("encoding") or "utf-8-sig")
    spec.keep = _conditions(raw.get("keep"), "keep", where)
    spec.drop = _conditions(raw.get("drop"), "drop", where)
    spec.drop_empty_text = bool(raw.get("drop_empty_text", True))
    for key in ("group", "coder"):
        if raw.get(key) is not None:
            setattr(spec, key, str(raw[key]))
    if raw.get("unit") is not None:
        unit = raw["unit"]
        spec.unit = [str(u) for u in (unit if isinstance(unit, list) else [unit])]
    if raw.get("codebook") is not None:
        book = raw["codebook"]
        if isinstance(book, str):
            book = {"path": book}
        if not isinstance(book, dict) or not book.get("path"):
            raise BenchSpecError("codebook needs a path", file=where, field="codebook.path")
        spec.codebook = {"path": str(book["path"]), "code": str(book.get("code", "code")),
                         "name": str(book.get("name", "name")),
                         "description": str(book.get("description", "description")),
                         "inclusion": str(book.get("inclusion", "inclusion"))}
    spec.split = _split_field(raw.get("split") or {"mode": "kfold", "folds": 5}, where)
    if raw.get("reference") is not None:
        reference = raw["reference"]
        spec.reference = reference if isinstance(reference, dict) else {"text": str(reference)}
    if raw.get("learning_curve") is not None:
        sizes = raw["learning_curve"]
        if not isinstance(sizes, list) or not all(s == "all" or (isinstance(s, int) and s > 0) for s in sizes):
            raise BenchSpecError("learning_curve must be a list of positive integers and 'all'", file=where,
                                 field="learning_curve", fix="e.g. learning_curve: [1, 2, 5, 10, 20, all]")
        spec.learning_curve = [None if s == "all" else int(s) for s in sizes]
    if raw.get("bootstrap") is not None:
        spec.bootstrap = int(raw["bootstrap"])
    return spec


def _codes_field(value: Any, where: str) -> dict[str, Any]:
    fix = "codes: {after: COLUMN} or {columns: [A, B]} or {column: C, separator: ';'}"
    if not isinstance(value, dict):
        raise BenchSpecError("codes must be a mapping", file=where, field="codes", fix=fix)
    kinds = [k for k in ("after", "columns", "column") if k in value]
    if len(kinds) != 1:
        raise BenchSpecError("codes needs exactly one of 'after', 'columns' or 'column'", file=where,
                             field="codes", fix=fix)
    kind = kinds[0]
    out: dict[str, Any] = {"kind": kind}
    if kind == "columns":
        if not isinstance(value["columns"], list) or not value["columns"]:
            raise BenchSpecError("codes.columns must be a non-empty list of column names", file=where,
                                 field="codes.columns")
        out["columns"] = [str(c) for c in value["columns"]]
    else:
        out[kind] = str(value[kind])
    out["separator"] = value.get("separator")
    out["ignore"] = [str(v) for v in value.get("ignore", [])]
    return out


def _conditions(value: Any, name: str, where: str) -> list[Condition]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or "column" not in item or not ({"equals", "in", "empty"} & set(item)):
            raise BenchSpecError(f"{name}[{k}] must be {{column: C, equals: V}}, {{column: C, in: [V, ...]}} or "
                                 "{column: C, empty: true}", file=where, field=f"{name}[{k}]")
        wanted = item.get("in", [item["equals"]] if "equals" in item else [])
        out.append(Condition(str(item["column"]), [str(v) for v in wanted], bool(item.get("empty", False))))
    return out


def _split_field(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"mode": value}
    if not isinstance(value, dict) or value.get("mode") not in SPLIT_MODES:
        raise BenchSpecError(f"split.mode must be one of {', '.join(SPLIT_MODES)}", file=where, field="split.mode")
    out = dict(value)
    if out["mode"] == "kfold":
        out["folds"] = int(out.get("folds", 5))
        if out["folds"] < 2:
            raise BenchSpecError("split.folds must be at least 2", file=where, field="split.folds")
    if out["mode"] == "train_test":
        if not out.get("column") or not out.get("test"):
            raise BenchSpecError("split mode train_test needs 'column' and a 'test' list of values", file=where,
                                 field="split.column" if not out.get("column") else "split.test")
        out["test"] = [str(v) for v in (out["test"] if isinstance(out["test"], list) else [out["test"]])]
    return out


# -- reading the data -----------------------------------------------------------------------------------
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
    import pandas as pd

    data_dir = Path(data_dir)
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

    notes = []
    rows = frame.to_dict("records")
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

    # codes per row
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

    # the codebook: names and descriptions, codes in codebook order
    book: dict[str, Code] = {}
    if spec.codebook:
        book = _read_codebook(spec, data_dir)
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

    # units, coders, truth
    unit_key = (lambda r, n: tuple(str(r[u]) for u in spec.unit)) if spec.unit else (lambda r, n: n)
    units: dict[Any, dict[str, Any]] = {}
    for n, (r, found) in enumerate(zip(keep, row_codes)):
        key = unit_key(r, n)
        unit = units.setdefault(key, {"text": str(r[spec.text]), "row": r, "coders": {}})
        coder = str(r[spec.coder]) if spec.coder else "_"
        unit["coders"].setdefault(coder, set()).update(found)
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


# -- running ----------------------------------------------------------------------------------------------
def bench_cache_path() -> Path:
    """Where bench vectors are cached: ``$CODESEED_HOME/bench-cache.db``."""
    from index import codeseed_home

    return codeseed_home() / "bench-cache.db"


def make_folds(spec: BenchSpec, bench: BenchData, folds: int | None = None) -> tuple[list[splits.Fold], str, bool]:
    """The spec's split as folds, a description of it, and whether groups are kept whole."""
    mode = spec.split["mode"]
    try:
        if mode == "kfold":
            k = folds or spec.split["folds"]
            return splits.grouped_kfold(bench.groups, k), f"grouped {k}-fold cross-validation", True
        if mode == "loo":
            return (splits.leave_one_out(len(bench.texts)),
                    "leave-one-out (one segment per fold; other segments of its group stay in training)", False)
        if mode == "logo":
            return splits.leave_one_group_out(bench.groups), "leave one group out", True
        values = bench.split_values or []
        folds_ = splits.train_test_by_column(values, spec.split["test"], bench.groups)
        return folds_, (f"train/test: test = rows with {spec.split['column']} in "
                        f"{', '.join(spec.split['test'])}"), True
    except ValueError as error:
        raise spec.error(str(error), "split") from None


def run_bench(spec_path: Path | str, data_dir: Path | str, *, out: Path | str | None = None,
              folds: int | None = None, split: str | None = None, encoder: Any = None,
              cache_path: Path | str | None = None, progress: bool = False, n_boot: int | None = None,
              learning_curve: bool = True) -> dict[str, Any]:
    """Load, embed (cached), cross-validate and, with ``out``, write the report. Returns the result dict."""
    from index import Encoder, VectorCache, encode_with_cache

    began = time.perf_counter()
    spec = load_spec(spec_path)
    if split is not None:
        spec.split = _split_field({**spec.split, "mode": split}, str(spec.path))
    bench = load_bench(spec, data_dir)
    encoder = encoder if encoder is not None else Encoder()
    cache = VectorCache(cache_path or bench_cache_path())
    try:
        embed_began = time.perf_counter()
        vectors, encoded = encode_with_cache(encoder, bench.texts, cache, progress=progress)
        prototypes, _ = encode_with_cache(encoder, bench.prototype_texts, cache)
        embed_seconds = time.perf_counter() - embed_began
    finally:
        cache.close()
    data = CodedData(name=spec.name, texts=bench.texts, vectors=vectors, Y=bench.Y, groups=bench.groups,
                     codes=bench.codes, names=bench.names, prototypes=prototypes, unit_ids=bench.unit_ids,
                     codings=bench.codings, notes=bench.notes)
    fold_list, description, grouped = make_folds(spec, bench, folds)
    result = evaluate(data, fold_list, split=description, n_boot=spec.bootstrap if n_boot is None else n_boot,
                      learning_curve_sizes=(spec.learning_curve or LEARNING_CURVE_SIZES) if learning_curve else None,
                      progress=progress, check_groups=grouped)
    result["spec"] = {"file": str(spec.path), "name": spec.name, "description": spec.description,
                      "data": spec.data}
    result["reference"] = spec.reference
    result["timing"] = {"embedding_seconds": round(embed_seconds, 2), "segments_encoded": int(encoded),
                        "evaluation_seconds": result["seconds"],
                        **{f"{k}_seconds": v for k, v in result["seconds_by_step"].items()},
                        "total_seconds": round(time.perf_counter() - began, 2), "encoder": encoder.identifier}
    if out is not None:
        from .report import write_report

        write_report(result, out)
    return result
