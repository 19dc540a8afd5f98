"""Codes a question names or describes: by id, by the words of a code's name or description (weighted by how rare
each word is in the codebook), or by the embedding similarity of the topic to the code (computed by the caller).
They lift the segments coded with them in retrieval; they never filter."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

from index.types import Code
from suggest.ask.understanding import RelatedCode, Understanding
from suggest.ask.words import stem, terms, words

NAME_WEIGHT, DESCRIPTION_WEIGHT = 1.0, 0.5
RELATED_AT = 0.5  # combined score from which a code counts as related
MAX_RELATED = 3
# Cosine (MiniLM) of the topic to "name: description": below LOW nothing, at HIGH and above full weight.
SIMILARITY_LOW, SIMILARITY_HIGH = 0.30, 0.60


def relate_codes(understanding: Understanding, codes: Iterable[Code],
                 similarity: Mapping[str, float] | None = None, *, limit: int = MAX_RELATED) -> Understanding:
    """Add the codes the question names or describes: by id, by words of their name or description
    (weighted by how rare the word is across the codebook), or by embedding ``similarity`` of the
    topic to the code's name and description (computed by the caller)."""
    codes = list(codes)
    if not codes:
        return understanding
    topic = set(understanding.topic_terms)
    texts = {c.id: (set(terms(c.name)), set(terms(c.description))) for c in codes}
    df: dict[str, int] = {}
    for name, description in texts.values():
        for t in name | description:
            df[t] = df.get(t, 0) + 1
    top = math.log(1 + len(codes)) + 1

    def weight(term: str) -> float:
        return (math.log((1 + len(codes)) / (1 + df.get(term, 0))) + 1) / top

    scored: list[RelatedCode] = []
    for code in codes:
        name, description = texts[code.id]
        if code.id in understanding.mentioned_codes:
            scored.append(RelatedCode(code.id, code.name, 1.0, "named by id"))
            continue
        best, why = 0.0, ""
        if name and topic:
            coverage = len(topic & name) / len(name)
            if coverage > best and coverage >= 0.5:
                best, why = coverage, "the question uses its name"
        if topic:
            # The share of the topic (weighted by how rare each word is in the codebook) the code's
            # name, or less strongly its description, speaks of.
            hits = {t: NAME_WEIGHT if t in name else DESCRIPTION_WEIGHT if t in description else 0.0 for t in topic}
            share = sum(weight(t) * h for t, h in hits.items()) / sum(weight(t) for t in topic)
            if share > best:
                found = sorted((t for t in hits if hits[t]), key=lambda t: (-hits[t], t))
                where = "name" if hits[found[0]] == NAME_WEIGHT else "description"
                best, why = share, f"its {where} mentions " + ", ".join(
                    f"'{_surface(t, code, 'name' if hits[t] == NAME_WEIGHT else 'description')}'" for t in found)
        if similarity and code.id in similarity:
            s = float(similarity[code.id])
            scaled = min(1.0, max(0.0, (s - SIMILARITY_LOW) / (SIMILARITY_HIGH - SIMILARITY_LOW)))
            if scaled > best:
                best, why = scaled, f"similar in meaning to the question ({s:.2f})"
        if best >= RELATED_AT:
            scored.append(RelatedCode(code.id, code.name, best, why))
    scored.sort(key=lambda c: (-c.score, c.id))
    named = [c for c in scored if c.why == "named by id"]
    rest = [c for c in scored if c.why != "named by id"][:max(0, limit - len(named))]
    return replace(understanding, codes=tuple(named + rest))


def _surface(term: str, code: Code, where: str) -> str:
    text = code.name if where == "name" else code.description
    return next((w for w in words(text) if stem(w) == term), term)
