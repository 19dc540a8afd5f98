"""Reading and checking a benchmark spec, the YAML file that says how to read a CSV of coded data (the
format, field by field, is in :mod:`eval.bench`). Only the structure is checked here; the columns are
checked against the CSV by :func:`eval.bench_data.load_bench`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import CodeseedError

__all__ = ["BenchSpecError", "BenchSpec", "Condition", "load_spec", "split_field", "SPLIT_MODES", "KNOWN_FIELDS"]

SPLIT_MODES = ("kfold", "loo", "logo", "train_test")
KNOWN_FIELDS = {"name", "description", "data", "encoding", "text", "codes", "keep", "drop", "drop_empty_text",
                "group", "unit", "coder", "codebook", "split", "reference", "learning_curve", "bootstrap",
                "no_code_decisions"}


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
    no_code_decisions: bool = False  # also run the suggester taking uncoded training rows as "no code applies"

    def error(self, message: str, field: str, fix: str | None = None) -> BenchSpecError:
        return BenchSpecError(message, file=str(self.path), field=field, fix=fix)


def _same(value: str, wanted: str) -> bool:
    if value == wanted:
        return True
    try:
        return math.isclose(float(value), float(wanted))
    except ValueError:
        return False


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
    _read_optional_fields(spec, raw, where)
    return spec


def _read_optional_fields(spec: BenchSpec, raw: dict[str, Any], where: str) -> None:
    """Every field past name, data, text, codes and description, checked, onto ``spec``."""
    spec.encoding = str(raw.get("encoding") or "utf-8-sig")
    spec.keep = _conditions(raw.get("keep"), "keep", where)
    spec.drop = _conditions(raw.get("drop"), "drop", where)
    spec.drop_empty_text = bool(raw.get("drop_empty_text", True))
    spec.no_code_decisions = bool(raw.get("no_code_decisions", False))
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
    spec.split = split_field(raw.get("split") or {"mode": "kfold", "folds": 5}, where)
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


def split_field(value: Any, where: str) -> dict[str, Any]:
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
