"""What Ask knows and what it understood: the :class:`Vocabulary` of attribute values that exist in a project, and
the :class:`Understanding` of a question (hard filters, filter words that match nothing, the topic, related
codes), with the one-line summary a researcher checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


# -- the vocabulary of the project ------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    """The attribute values that exist in a project: key → value → how many segments carry it.

    ``scopes`` says what each key describes ("participant", "document" or "segment"), for messages;
    ``participants`` are the participant ids, which a question may name ("what did P12 say").
    """

    values: Mapping[str, Mapping[str, int]]
    scopes: Mapping[str, str] = field(default_factory=dict)
    participants: tuple[str, ...] = ()

    def scope(self, key: str) -> str:
        return self.scopes.get(key, "segment")


def build_vocabulary(rows: Iterable[Mapping[str, object]], scopes: Mapping[str, str] | None = None,
                     participants: Iterable[str] = ()) -> Vocabulary:
    """Count the attribute values of each segment's effective attributes (``rows``, one per segment)."""
    values: dict[str, dict[str, int]] = {}
    for row in rows:
        for key, value in row.items():
            if key in ("participant", "participant_id", "id") or value in (None, ""):
                continue
            values.setdefault(key, {})
            text = str(value)
            values[key][text] = values[key].get(text, 0) + 1
    return Vocabulary(values=values, scopes=dict(scopes or {}), participants=tuple(sorted(set(participants))))


# -- what was understood ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    """A hard filter: the segment's attribute ``key`` must be one of ``values`` (values as in the data)."""

    key: str
    values: frozenset[str]
    label: str  # as shown: "setting = generic", "role contains 'nurse'"
    phrase: str  # the words of the question it came from

    def matches(self, attributes: Mapping[str, object]) -> bool:
        value = attributes.get(self.key)
        return value is not None and str(value) in self.values


@dataclass(frozen=True)
class Unmatched:
    """A filter term that matches no value in the project: reported, and the answer is empty."""

    phrase: str
    key: str | None
    message: str  # "no participant has role 'surgeon'"
    fix: str  # what does exist


@dataclass(frozen=True)
class RelatedCode:
    id: str
    name: str
    score: float  # 0..1: how strongly the question names or describes the code
    why: str  # "named by id", "its name mentions 'stigma'", "similar to the question (0.52)"


@dataclass(frozen=True)
class Understanding:
    question: str
    filters: tuple[Filter, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    topic: str = ""  # the question minus ask words and filter phrases, as written
    topic_terms: tuple[str, ...] = ()  # stems of the topic's content words
    codes: tuple[RelatedCode, ...] = ()
    mentioned_codes: tuple[str, ...] = ()  # code ids named in the question
    code_words: tuple[str, ...] = ()  # stems of words that can only name codes (kept out of the topic)

    def summary(self) -> str:
        """One line a researcher can check: "setting = generic · topic: stigma · related codes: 2.3 ..."."""
        parts = [f.label for f in self.filters]
        parts += [u.message for u in self.unmatched]
        parts.append(f"topic: {self.topic}" if self.topic else "no topic (quotes in document order)")
        if self.codes:
            parts.append("related codes: " + "; ".join(f"{c.id} {c.name}" for c in self.codes))
        return " · ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "summary": self.summary(),
            "filters": [{"key": f.key, "values": sorted(f.values), "label": f.label, "phrase": f.phrase}
                        for f in self.filters],
            "unmatched": [{"phrase": u.phrase, "key": u.key, "message": u.message, "fix": u.fix}
                          for u in self.unmatched],
            "topic": self.topic,
            "topic_terms": list(self.topic_terms),
            "related_codes": [{"id": c.id, "name": c.name, "score": round(c.score, 3), "why": c.why}
                              for c in self.codes],
        }
