"""Codebooks from .csv/.xlsx (one row per code) or .yaml (a nested tree), checked before anything is stored.

CSV columns: ``code`` (id), ``parent`` (id of the parent code, empty for a top-level theme), ``name``,
``description``, and optionally ``inclusion``, ``exclusion``, ``example``.

YAML: a list of codes, each a mapping with ``code`` (or ``id``), ``name`` and the optional fields above,
and ``children`` (a list of the same shape) for subcodes; or a mapping ``{codes: [...]}``. YAML anchors and
aliases (``&x``/``*x``) are refused, so a small file cannot expand into gigabytes, and so is nesting deeper
than ``MAX_YAML_DEPTH`` levels.

Any codebook's tree may be at most ``MAX_CODE_DEPTH`` levels deep (real ones have fewer than ten); trees are
walked without recursion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.errors import InputFileError
from index.ingest.tables import read_table
from index.types import Code

OPTIONAL_FIELDS = ("description", "inclusion", "exclusion", "example")
MAX_CODE_DEPTH = 100
MAX_YAML_DEPTH = 2 * MAX_CODE_DEPTH + 10  # a code level is a list and a mapping in YAML


def read_codebook(path: Path | str) -> list[Code]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        codes = _from_yaml(path)
    elif suffix in (".csv", ".xlsx"):
        codes = _from_table(path)
    else:
        raise InputFileError(f"unsupported codebook format '{suffix}'", file=str(path),
                             fix="use a .csv, .xlsx or .yaml codebook (or a REFI-QDA .qdc file)")
    check_codebook(codes, str(path))
    return codes


def _from_table(path: Path) -> list[Code]:
    table = read_table(path)
    id_col = table.require("code", "id", "code_id", what="the code id")
    name_col = table.optional("name", "label", "title")
    parent_col = table.optional("parent", "parent_code", "theme")
    optional = {f: table.optional(f) for f in OPTIONAL_FIELDS}
    codes = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        code_id = row[id_col]
        if not code_id:
            raise InputFileError("the code id is empty", file=table.file, row=number, field=id_col,
                                 fix="give every code an id (e.g. 1.2 or stigma)")
        if code_id in seen:
            raise InputFileError(f"code id {code_id!r} already appears in row {seen[code_id]}", file=table.file,
                                 row=number, field=id_col, fix="give every code a distinct id")
        seen[code_id] = number
        name = (row[name_col] if name_col else "") or code_id
        codes.append(Code(
            id=code_id, name=name, parent=(row[parent_col] or None) if parent_col else None,
            **{f: row[c] if c else "" for f, c in optional.items()},
        ))
    return codes


def _from_yaml(path: Path) -> list[Code]:
    import yaml

    from index.ingest.readers.text import decode_bytes

    text, _ = decode_bytes(path.read_bytes(), str(path))
    try:
        _check_yaml_events(yaml.parse(text, Loader=yaml.SafeLoader), str(path))
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InputFileError(f"not valid YAML ({error})", file=str(path),
                             fix="check the indentation near that line") from None
    if isinstance(data, dict) and "codes" in data:
        data = data["codes"]
    if not isinstance(data, list):
        raise InputFileError("expected a list of codes (or a mapping with a 'codes' list)", file=str(path),
                             fix="start the file with 'codes:' followed by '- code: ...' items")
    return _walk_yaml(data, str(path))


def _check_yaml_events(events, file: str) -> None:
    """Refuse anchors, aliases and deep nesting while parsing, before anything is built (or expanded)."""
    import yaml

    depth = 0
    for event in events:
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputFileError(
                f"line {line}: YAML anchors and aliases ('&name', '*name') are not accepted in a codebook",
                file=file,
                fix="write each code out in full instead of referring to another with '*'; aliases can make a "
                    "small file expand to gigabytes, so codeseed refuses them")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise InputFileError(
                    f"line {line}: the YAML is nested more than {MAX_YAML_DEPTH} levels deep", file=file,
                    field="children", fix=f"codeseed takes code trees up to {MAX_CODE_DEPTH} levels; move deep "
                                          "codes up the tree")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _walk_yaml(items: list[Any], file: str) -> list[Code]:
    """The tree as a flat list, parents first, walked with a stack (no recursion)."""
    out: list[Code] = []
    stack: list[tuple[Any, str | None, str]] = [(item, None, f"codes[{i}]") for i, item in enumerate(items)][::-1]
    while stack:
        item, parent, place = stack.pop()
        if not isinstance(item, dict):
            raise InputFileError(f"{place} is not a mapping", file=file, fix="write each code as 'code: ..., name: ...'")
        code_id = str(item.get("code", item.get("id", "")) or "").strip()
        if not code_id:
            raise InputFileError(f"{place} has no 'code'", file=file, field="code", fix="give every code an id")
        out.append(Code(
            id=code_id, name=str(item.get("name") or code_id).strip(), parent=parent,
            **{f: str(item.get(f) or "").strip() for f in OPTIONAL_FIELDS},
        ))
        children = item.get("children") or []
        if not isinstance(children, list):
            raise InputFileError(f"{place}.children is not a list", file=file, field="children",
                                 fix="write the subcodes as a list: 'children:' then '- code: ...' lines")
        stack.extend((child, code_id, f"{place}.children[{i}]") for i, child in reversed(list(enumerate(children))))
    return out


def check_codebook(codes: list[Code], file: str, existing: set[str] = frozenset()) -> None:
    """Distinct ids, known parents (in this file or already in the project), no cycles, at most MAX_CODE_DEPTH deep.

    Linear in the number of codes: each code's depth is worked out once.
    """
    ids = [c.id for c in codes]
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise InputFileError(f"code ids appear twice: {', '.join(duplicates)}", file=file, field="code",
                             fix="give every code a distinct id")
    known = set(ids) | set(existing)
    for code in codes:
        if code.parent is not None and code.parent not in known:
            raise InputFileError(f"code {code.id!r} names parent {code.parent!r}, which is not a code",
                                 file=file, field="parent",
                                 fix="add the parent code as a row of its own, or leave 'parent' empty")
    parent_of = {c.id: c.parent for c in codes}
    depth: dict[str, int] = {}
    for code in codes:
        path, on_path, current = [], set(), code.id
        while current is not None and current not in depth:
            if current in on_path:
                raise InputFileError(f"code {code.id!r} is its own ancestor (parents form a cycle)", file=file,
                                     field="parent", fix="make the parent links a tree")
            path.append(current)
            on_path.add(current)
            current = parent_of.get(current)
        level = depth.get(current, 0) if current is not None else 0
        for cid in reversed(path):
            level += 1
            depth[cid] = level
        if depth[code.id] > MAX_CODE_DEPTH:
            raise InputFileError(f"code {code.id!r} is {depth[code.id]} levels deep in the code tree", file=file,
                                 field="parent", fix=f"codeseed takes code trees up to {MAX_CODE_DEPTH} levels; "
                                                     "give deep codes a parent higher up")
