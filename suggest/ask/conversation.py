"""A conversation with Ask: each question is read against what was understood before (pure logic, no project).

"show quotes about stigma in generic services" → "only from nurses" → "and in specialist services?" → "how many
participants say this, by setting?" → "summarise what they say". :func:`read_turn` takes a question and the
:class:`State` the conversation is in, and returns a :class:`Step`: what the question asks for (its *intent*), the
state to answer it with, and, in words, what changed. The rules, in the order they are tried (docs/ask.md):

1. **Start over** ("start over", "reset", "clear", "new conversation"): everything is forgotten; words after it
   ("start over: quotes about parking") are read as a first question.
2. **Codes of the quotes shown** ("what codes do these have?", "which codes are on them"): a table of the codes
   the quotes shown last carry. Nothing else changes.
3. **More like one of them** ("more like the second one", "similar to S12", "more like #3"): search by that
   quote's text (the quote replaces the topic); the filters stay.
4. **Counting** ("how many participants mention funding, by setting?"): counts, grouped by an attribute, of the
   segments and participants that speak of the topic. The words between "how many ..." and "by ..." are read as
   a follow-up (rule 7), so "how many say this" counts the current topic.
5. **Summary** ("summarise what they say"): a summary of the quotes the current state finds, by a local model.
6. **Interviewer turns**: "not the interviewer" leaves them out, "include the interviewer" brings them in.
   **Not**: "not nurses", "except specialist services" keep every *other* value of that attribute.
7. **A refinement or a new question.** A question that opens with a follow-up word (and, but, also, only, just,
   now, what about, how about, instead) or names no topic and no code ("from women", "in specialist services")
   is a *follow-up*: a filter on an attribute already filtered replaces it ("and in specialist services?" after
   "in generic services"), or joins it when the question says "also"/"too"/"as well"; a filter on a new
   attribute is added; a topic replaces the topic, no topic keeps it. Any other question is a *new question*:
   the earlier filters and topic are dropped, and the answer says so.

Filter words that match nothing are reported for that turn only and never enter the state. A question in which
nothing at all is understood changes nothing and says how to ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from index.types import Code
from suggest.ask.query import parse_question
from suggest.ask.understanding import Filter, Understanding, Unmatched, Vocabulary
from suggest.ask.words import singular

SEARCH, RESET, CODES, SIMILAR, COUNT, SUMMARY, NOTHING = (
    "search", "reset", "codes", "similar", "count", "summary", "nothing")


@dataclass(frozen=True)
class State:
    """What the conversation has understood so far: the question Ask answers on the next turn."""

    filters: tuple[Filter, ...] = ()
    topic: str = ""
    topic_terms: tuple[str, ...] = ()
    mentioned_codes: tuple[str, ...] = ()
    include_interviewer: bool = False
    like: int | None = None  # a segment id: "more like the second one" searches by that quote
    shown: tuple[int, ...] = ()  # segment ids of the quotes shown last, in order: what "these" and "the second" mean

    def understanding(self, question: str, unmatched: Iterable[Unmatched] = ()) -> Understanding:
        return Understanding(question=question, filters=self.filters, unmatched=tuple(unmatched), topic=self.topic,
                             topic_terms=self.topic_terms, mentioned_codes=self.mentioned_codes)

    def describe(self) -> str:
        """One line: the filters, the topic and whether interviewer turns count."""
        parts = [f.label for f in self.filters]
        if self.like is not None:
            parts.append(f"like S{self.like}")
        elif self.topic:
            parts.append(f"topic: {self.topic}")
        parts += [f"code {c}" for c in self.mentioned_codes]
        if self.include_interviewer:
            parts.append("interviewer turns included")
        return " · ".join(parts) or "nothing yet"

    def to_dict(self) -> dict[str, Any]:
        return {"filters": [{"key": f.key, "values": sorted(f.values), "label": f.label, "phrase": f.phrase}
                            for f in self.filters],
                "topic": self.topic, "topic_terms": list(self.topic_terms),
                "mentioned_codes": list(self.mentioned_codes), "include_interviewer": self.include_interviewer,
                "like": self.like, "shown": list(self.shown)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "State":
        filters = tuple(Filter(key=f["key"], values=frozenset(f["values"]), label=f["label"], phrase=f["phrase"])
                        for f in data.get("filters", ()))
        return cls(filters=filters, topic=data.get("topic", ""), topic_terms=tuple(data.get("topic_terms", ())),
                   mentioned_codes=tuple(data.get("mentioned_codes", ())),
                   include_interviewer=bool(data.get("include_interviewer", False)), like=data.get("like"),
                   shown=tuple(data.get("shown", ())))


@dataclass(frozen=True)
class Step:
    """What one question asks, read against the state before it."""

    intent: str  # SEARCH, RESET, CODES, SIMILAR, COUNT, SUMMARY or NOTHING
    state: State  # the state to answer with (and to keep for the next turn)
    changes: tuple[str, ...] = ()  # what changed, in words, for the answer
    unmatched: tuple[Unmatched, ...] = ()  # filter words of this question that match nothing
    group_by: str | None = None  # COUNT: the attribute to group by (None: one group)
    problem: str | None = None  # why the question cannot be answered as asked (no quotes shown yet, ...)

    def understanding(self, question: str) -> Understanding:
        return self.state.understanding(question, self.unmatched)


# -- the words of follow-ups -----------------------------------------------------------------------------------
_RESET = re.compile(r"^\s*(?:let'?s\s+)?(?:start\s+(?:over|again|afresh)|reset|clear(?:\s+(?:all|everything))?|"
                    r"new\s+(?:conversation|chat|topic)|forget\s+(?:it|that|everything))\b[\s,.:;!-]*", re.I)
_CODES = re.compile(r"^\s*(?:and\s+)?(?:what|which)\s+codes?\b.*\b(?:these|those|them|they|the\s+quotes|above)\b|"
                    r"^\s*codes?\s+(?:of|on|for)\s+(?:these|those|them|the\s+quotes)\b", re.I)
_SIMILAR = re.compile(r"\b(?:more|others?|quotes?|ones?|anything|something)\s+like\b|\bsimilar\s+to\b", re.I)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3}
_REFERENCE = re.compile(r"\b(?:s(?P<cite>\d+)|(?P<ordinal>first|second|third|fourth|fifth|sixth|seventh|eighth|"
                        r"ninth|tenth|last|\d+(?:st|nd|rd|th))|(?:#|number\s+|no\.?\s*|quote\s+)(?P<number>\d+)|"
                        r"(?P<bare>\d+))\b", re.I)
_COUNT = re.compile(r"^\s*(?:and\s+)?how\s+many\b(?:\s+(?P<unit>participants?|people|persons?|interviewees?|"
                    r"respondents?|segments?|quotes?|turns?|times?|of\s+them))?", re.I)
_GROUP = re.compile(r"[\s,;]*\b(?:by|per|for\s+each|across|in\s+each|split\s+by|grouped\s+by)\s+"
                    r"(?P<key>[\w][\w -]*?)\s*[?.!]*\s*$", re.I)
_SAYING = re.compile(r"^\s*(?:(?:do|did|does|have|has)\s+)?(?:mention(?:s|ed)?|say|says|said|talk(?:s|ed)?\s+about|"
                     r"speak(?:s)?\s+(?:about|of)|spoke\s+(?:about|of)|discuss(?:es|ed)?|raise(?:s|d)?|"
                     r"describe(?:s|d)?)\b", re.I)
_SUMMARY = re.compile(r"^\s*(?:please\s+)?(?:summari[sz]e|sum\s+up|give\s+(?:me\s+)?a\s+summary|summary)\b", re.I)
_INTERVIEWER_OUT = re.compile(r"\b(?:not|no|without|excluding|exclude|except|leave\s+out|drop)\s+(?:the\s+)?"
                              r"interviewers?(?:'s)?(?:\s+turns?)?\b", re.I)
_INTERVIEWER_IN = re.compile(r"\b(?:include|including|with|and|also|plus)\s+(?:the\s+)?interviewers?(?:'s)?"
                             r"(?:\s+turns?)?\b", re.I)
_NOT = re.compile(r"^\s*(?:but\s+)?(?:not|except|excluding|without|apart\s+from|other\s+than)\s+(?P<rest>.+)$", re.I)
_CUE = re.compile(r"^\s*(?:and|but|also|only|just|now|then|so|ok(?:ay)?|instead|what\s+about|how\s+about|"
                  r"what\s+of|and\s+what\s+about)\b[\s,]*", re.I)
_JOIN = re.compile(r"\b(?:also|too|as\s+well|in\s+addition)\b", re.I)
_HOW_TO = ('ask about something ("quotes about waiting"), narrow it ("only women", "in specialist services"), '
           'or say "start over"')


def read_turn(question: str, state: State, vocabulary: Vocabulary, codes: Iterable[Code] = ()) -> Step:
    """Read ``question`` against ``state`` by the rules of the module docstring."""
    codes = list(codes)
    reset = _RESET.match(question)
    if reset:
        rest = question[reset.end():].strip()
        if not rest:
            return Step(RESET, State(shown=()), ("started over: no filters, no topic",))
        step = read_turn(rest, State(), vocabulary, codes)
        return replace(step, changes=("started over",) + step.changes)
    if _CODES.search(question):
        problem = None if state.shown else "no quotes are shown yet: ask for some first"
        return Step(CODES, state, ("codes of the quotes shown",), problem=problem)
    if _SIMILAR.search(question):
        return _similar(question, state)
    counting = _COUNT.match(question)
    if counting:
        return _count(question[counting.end():], state, vocabulary, codes)
    if _SUMMARY.match(question):
        problem = None if (state.topic_terms or state.filters or state.like or state.mentioned_codes) else \
            "there is nothing to summarise yet: ask for quotes first"
        return Step(SUMMARY, state, ("a summary of the quotes for: " + state.describe(),), problem=problem)
    return refine(question, state, vocabulary, codes)


def refine(question: str, state: State, vocabulary: Vocabulary, codes: Iterable[Code] = ()) -> Step:
    """Rules 6 and 7: interviewer turns, "not ...", and a refinement or a new question."""
    codes = list(codes)
    changes: list[str] = []
    text = question
    for pattern, include in ((_INTERVIEWER_OUT, False), (_INTERVIEWER_IN, True)):
        found = pattern.search(text)
        if found:
            text = (text[:found.start()] + " " + text[found.end():]).strip()
            if state.include_interviewer != include:
                state = replace(state, include_interviewer=include)
                changes.append("interviewer turns included" if include else "interviewer turns left out")
            else:
                changes.append("interviewer turns were already " + ("included" if include else "left out"))
    cue = False
    while (found := _CUE.match(text)) and found.end() > 0:
        cue = True
        text = text[found.end():]
    negated = _NOT.match(text)
    if negated:
        return _negate(question, negated.group("rest"), state, vocabulary, codes, changes)
    if not text.strip(" ?.!,"):
        intent = SEARCH if changes else NOTHING
        return Step(intent, state, tuple(changes) or ("nothing understood: " + _HOW_TO,))
    parsed = parse_question(text, vocabulary, codes)
    follow_up = cue or not (parsed.topic_terms or parsed.mentioned_codes)
    if not follow_up:
        fresh = State(filters=parsed.filters, topic=parsed.topic, topic_terms=parsed.topic_terms,
                      mentioned_codes=parsed.mentioned_codes, include_interviewer=state.include_interviewer)
        dropped = state.describe() if state != State(include_interviewer=state.include_interviewer,
                                                       shown=state.shown) else ""
        said = ["new question" + (f" (dropped: {dropped})" if dropped else "")] + changes
        return Step(SEARCH, fresh, tuple(said), parsed.unmatched)
    if not (parsed.filters or parsed.topic_terms or parsed.mentioned_codes or parsed.unmatched or changes):
        return Step(NOTHING, state, ("nothing understood: " + _HOW_TO,))
    merged, said = merge(state, parsed, join=bool(_JOIN.search(question)))
    return Step(SEARCH, merged, tuple(changes + said), parsed.unmatched)


def merge(state: State, parsed: Understanding, *, join: bool = False) -> tuple[State, list[str]]:
    """A follow-up's filters and topic merged into ``state``; and what changed, in words."""
    filters = {f.key: f for f in state.filters}
    changes = []
    for f in parsed.filters:
        old = filters.get(f.key)
        if old is None:
            filters[f.key] = f
            changes.append(f"added {f.label}")
        elif join:
            filters[f.key] = Filter(f.key, old.values | f.values, f"{old.label} or {f.label}",
                                    f"{old.phrase} / {f.phrase}")
            changes.append(f"widened {old.label} to {filters[f.key].label}")
        elif old.values != f.values:
            filters[f.key] = f
            changes.append(f"replaced {old.label} by {f.label}")
    merged = replace(state, filters=tuple(filters.values()))
    if parsed.topic_terms:
        if state.topic and state.like is None:
            changes.append(f"topic: {state.topic} → {parsed.topic}")
        else:
            changes.append(f"topic: {parsed.topic}")
        merged = replace(merged, topic=parsed.topic, topic_terms=parsed.topic_terms, like=None)
    if parsed.mentioned_codes:
        changes.append("codes: " + ", ".join(parsed.mentioned_codes))
        merged = replace(merged, mentioned_codes=parsed.mentioned_codes)
    kept = [f.label for f in state.filters if filters.get(f.key) == f]
    if not parsed.topic_terms and (state.topic or state.like is not None):
        kept.append(f"like S{state.like}" if state.like is not None else f"topic: {state.topic}")
    if kept:
        changes.append("kept " + " · ".join(kept))
    return merged, changes


def _negate(question: str, rest: str, state: State, vocabulary: Vocabulary, codes: list[Code],
            changes: list[str]) -> Step:
    """ "not nurses", "except specialist services": every other value of the attribute named."""
    parsed = parse_question(rest, vocabulary, codes)
    if not parsed.filters:
        parsed = parse_question("from " + rest, vocabulary, codes)  # "not nurses": read as people
    if not parsed.filters:
        problem = f"'{rest.strip(' ?.!')}' names no attribute value of this project, so there is nothing to leave out"
        return Step(NOTHING, state, tuple(changes) or (problem,), parsed.unmatched, problem=None if changes else problem)
    filters = {f.key: f for f in state.filters}
    for f in parsed.filters:
        old = filters.get(f.key)
        allowed = set(old.values) if old else set(vocabulary.values.get(f.key, {}))
        kept = frozenset(allowed - set(f.values))
        label = f"{old.label}, not {f.label}" if old else f"not {f.label}"
        filters[f.key] = Filter(f.key, kept, label, f"not {f.phrase}")
        changes.append(f"left out {f.label}" + (f" (from {old.label})" if old else ""))
    return Step(SEARCH, replace(state, filters=tuple(filters.values())), tuple(changes))


def _similar(question: str, state: State) -> Step:
    found = next((m for m in _REFERENCE.finditer(question)), None)
    if found is None:
        return Step(SIMILAR, state, (), problem="which quote? say \"more like the second one\" or \"more like S12\"")
    if found.group("cite"):
        segment = int(found.group("cite"))
        which = f"S{segment}"
    else:
        word = (found.group("ordinal") or found.group("number") or found.group("bare")).lower()
        n = len(state.shown) if word == "last" else _ORDINALS.get(word) or int(re.sub(r"\D", "", word))
        if not state.shown:
            return Step(SIMILAR, state, (), problem="no quotes are shown yet: ask for some first")
        if not 1 <= n <= len(state.shown):
            return Step(SIMILAR, state, (),
                        problem=f"there is no quote {n}: {len(state.shown)} are shown (1 to {len(state.shown)})")
        segment = state.shown[n - 1]
        which = f"S{segment} (quote {n})"
    changes = [f"searching for quotes like {which}"]
    if state.filters:
        changes.append("kept " + " · ".join(f.label for f in state.filters))
    new = replace(state, like=segment, topic="", topic_terms=(), mentioned_codes=())
    return Step(SIMILAR, new, tuple(changes))


def _count(rest: str, state: State, vocabulary: Vocabulary, codes: list[Code]) -> Step:
    group_by, problem = None, None
    grouping = _GROUP.search(rest)
    if grouping:
        wanted = grouping.group("key").strip().lower()
        keys = {k.lower(): k for k in vocabulary.values}
        group_by = keys.get(wanted) or keys.get(singular(wanted)) or keys.get(wanted.replace(" ", "_"))
        if group_by is None:
            problem = (f"there is no attribute '{grouping.group('key').strip()}' to count by; attributes in this "
                       f"project: {', '.join(sorted(vocabulary.values)) or 'none'}")
        rest = rest[:grouping.start()]
    rest = _SAYING.sub("", rest).strip(" ?.!,")
    changes: list[str] = []
    unmatched: tuple[Unmatched, ...] = ()
    if rest:
        step = refine("and " + rest, state, vocabulary, codes)  # "say this": nothing new, the state as it is
        if step.intent != NOTHING:
            state, changes, unmatched = step.state, list(step.changes), step.unmatched
    if not (state.topic_terms or state.mentioned_codes or state.like is not None):
        problem = problem or "count what? name a topic (\"how many participants mention funding, by setting?\")"
    said = tuple(changes) + ((f"counted by {group_by}",) if group_by else ("counted over everyone",))
    return Step(COUNT, state, said, unmatched, group_by=group_by, problem=problem)


def remove_filter(state: State, key: str) -> tuple[State, str]:
    """The state without the filter on ``key`` (a chip's ×), and what changed."""
    gone = next((f for f in state.filters if f.key == key), None)
    if gone is None:
        return state, f"no filter on {key} to remove"
    return replace(state, filters=tuple(f for f in state.filters if f.key != key)), f"removed {gone.label}"


@dataclass(frozen=True)
class Chip:
    key: str
    label: str


def chips(state: State) -> list[Chip]:
    """The active filters as removable chips (one per attribute)."""
    return [Chip(f.key, f.label) for f in state.filters]


__all__ = ["CODES", "COUNT", "NOTHING", "RESET", "SEARCH", "SIMILAR", "SUMMARY", "Chip", "State", "Step", "chips",
           "merge", "read_turn", "refine", "remove_filter"]
