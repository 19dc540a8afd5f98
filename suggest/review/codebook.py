"""The codebook tab: the code tree with counts and example quotes, and editing a code's description (the
suggester's prototype for the code uses the new words at once, without a refit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.types import Code
from suggest.project_suggester import ProjectSuggester, prototype_text


@dataclass(frozen=True)
class CodebookRow:
    code: str
    name: str
    parent: str | None
    depth: int
    human: int  # codings by people (imported, or picked in the app), of this code and its subcodes
    accepted: int  # accepted suggestions, of this code and its subcodes
    description: str
    examples: tuple[str, ...] = field(default=())


def codebook_rows(codes: Sequence[Code], codings: Iterable[Mapping[str, Any]], texts: Mapping[int, str], *,
                  examples: int = 2, clip: int = 160) -> list[CodebookRow]:
    """The code tree in codebook order (children under their parent) with counts and example quotes.

    A theme's counts include its subcodes'. Example quotes: the codebook's own example, then coded segments
    (human codings first).
    """
    children: dict[str | None, list[Code]] = {}
    known = {c.id for c in codes}
    for code in codes:
        children.setdefault(code.parent if code.parent in known else None, []).append(code)
    own_human: dict[str, int] = {}
    own_accepted: dict[str, int] = {}
    quotes: dict[str, list[tuple[int, int]]] = {}
    for c in codings:
        is_suggestion = c["origin"] == "accepted suggestion"
        target = own_accepted if is_suggestion else own_human
        target[c["code_id"]] = target.get(c["code_id"], 0) + 1
        quotes.setdefault(c["code_id"], []).append((1 if is_suggestion else 0, c["segment_id"]))
    rows: list[CodebookRow] = []

    def walk(code: Code, depth: int, seen: frozenset[str]) -> tuple[int, int]:
        index = len(rows)
        rows.append(None)  # type: ignore[arg-type]  # placeholder, filled once the subtree is counted
        human, accepted = own_human.get(code.id, 0), own_accepted.get(code.id, 0)
        for child in children.get(code.id, []):
            if child.id not in seen:
                h, a = walk(child, depth + 1, seen | {child.id})
                human, accepted = human + h, accepted + a
        found = [code.example.strip()] if code.example and code.example.strip() else []
        for _, segment_id in sorted(set(quotes.get(code.id, []))):
            if len(found) >= examples:
                break
            if segment_id in texts:
                found.append(clip_text(texts[segment_id], clip))
        rows[index] = CodebookRow(code.id, code.name, code.parent, depth, human, accepted,
                                  code.description, tuple(found[:examples]))
        return human, accepted

    for root in children.get(None, []):
        walk(root, 0, frozenset({root.id}))
    return rows


def picker_choices(codes: Mapping[str, Code]) -> list[tuple[str, str]]:
    """(label, code id) for the code picker: every code of the codebook (id → code), themes included."""
    out = []
    for code in codes.values():
        parent = codes.get(code.parent) if code.parent else None
        theme = f"  ({parent.id})" if parent else ""
        out.append((f"{code.id}  {code.name}{theme}", code.id))
    return out


def clip_text(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def refresh_prototypes(project: Any, suggester: ProjectSuggester) -> None:
    """Re-embed the codebook's words for the suggester's prototypes (after a description changed); no refit."""
    codes = {c.id: c for c in project.store.codes()}
    current = [codes.get(c.id, c) for c in suggester.codes]
    vectors, _ = project.embed([prototype_text(c) for c in current])
    suggester.codes = current
    suggester.model.prototypes_ = np.asarray(vectors, dtype=np.float32)


def save_code_description(project: Any, suggester: ProjectSuggester, code_id: str, description: str) -> None:
    """Store a code's new description and let the suggester's prototype for it use the new words at once."""
    store = project.store
    with store.transaction():
        store.update_code_description(code_id, str(description).strip())
    refresh_prototypes(project, suggester)

