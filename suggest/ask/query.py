"""Understanding an Ask question without an LLM: metadata filters, related codes, and the topic left over.

"show quotes about stigma in generic services" becomes ``setting = generic``, topic ``stigma`` and the
related code 2.3. Pure functions over the question and a :class:`Vocabulary` of the attribute values
that exist in the project, so every rule is testable with a hand-built vocabulary and no model.

Why rules and not an LLM: the answer must be explainable ("setting = generic · topic: stigma"), the
same every time, instant, and work offline. A filter only ever names values that exist in the data.

How a question is read (the words that start a clause decide how its words are read):

* ``about``, ``on``, ``regarding`` ... start a *topic* clause: its words are the topic, never filters.
* ``from``, ``by``, ``among``, ``did``/``do`` (what did nurses say) start a *person* clause: words naming
  attribute values become filters ("from women", "from third sector staff"); a person noun such as
  "nurses" or "social workers" matches free-text values that contain it (role contains "nurse"); a
  person noun that matches nothing is reported ("no participant has role 'surgeon'") and, because the
  filter is hard, the answer is empty rather than quietly about everyone. Generic words (people, staff,
  participants) are dropped.
* ``in``, ``at``, ``within``, ``across`` start a *place* clause: a value counts only when a scope noun
  follows ("in generic services", "in third sector teams"), so "stigma in general" stays a topic.
* Anywhere outside a topic clause: gender words ("women", "men"), a participant id ("P12"), a value
  followed by a scope noun ("specialist services") and a possessive person noun ("nurses' views").
* Explicitly: ``setting=generic``, ``role: "social worker"``, ``gender is female``.
* A code id after "code"/"coded" or written with a digit ("2.3") names a code.
* Everything else, minus ask words ("show quotes about") and stopwords, is the topic.

Values match by stems (nurses ~ nurse, services ~ service), case-insensitively. A short value (up to
three words) matches whole; when other values of the same attribute contain it ("social worker" in
"social worker in support housing service") the filter keeps all of them (role contains ...).
Several values of one attribute are alternatives (from men and women); different attributes must all
hold.

Synonyms (only ever mapped onto values that exist in the project; see :data:`QUESTION_SYNONYMS`):
women/woman/girls/female → female; men/man/boys/male → male; non-binary/nonbinary → non-binary;
mainstream/non-specialist/general → generic; voluntary/charity/third-sector → third sector.
Values written F/M in the data count as female/male. The lists live in :mod:`suggest.ask.words`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from suggest.ask.words import (
    _CODE_WORDS,
    _GENDER_KEYS,
    _SAID,
    _TOKEN,
    ASK_WORDS,
    GENDER_CANONICAL,
    GENERIC_PEOPLE,
    PERSON_CUES,
    PLACE_CUES,
    QUESTION_SYNONYMS,
    SCOPE_NOUNS,
    STOPWORDS,
    TOPIC_CUES,
    VALUE_SYNONYMS,
    _is_person_word,
    singular,
    stem,
    terms,
    words,
)
from index.ingest.attributes import normalise_id
from index.types import Code


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


# -- parsing ----------------------------------------------------------------------------------------
@dataclass
class _Token:
    text: str  # as written
    word: str  # lower-cased, possessive removed
    stem: str
    start: int
    end: int
    possessive: bool
    clause: str = "none"  # "topic", "person", "place" or "none": the kind of the last cue before it
    used: bool = False  # consumed by a filter, a cue, a code id or an ask word


def _tokenise(question: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN.finditer(question):
        raw = m.group(0).replace("’", "'")
        lower = raw.lower()
        possessive = lower.endswith("'s") or (lower.endswith("'") and lower[:-1].endswith("s"))
        word = lower.removesuffix("'s").rstrip("'") if possessive else lower
        tokens.append(_Token(m.group(0), word, stem(word), m.start(), m.end(), possessive))
    kind = "none"
    for i, t in enumerate(tokens):
        if t.word in TOPIC_CUES:
            kind = "topic"
        elif t.word == "by" and i > 0 and tokens[i - 1].word not in ASK_WORDS | _SAID:
            pass  # "judged by the nurses" is about being judged; "quotes by nurses", "said by nurses" are not
        elif t.word in PERSON_CUES:
            kind = "person"
        elif t.word in PLACE_CUES:
            kind = "place"
        t.clause = kind
    return tokens


def _value_stems(value: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(value))


def _canonical_value(value: str) -> str:
    text = " ".join(words(value))
    return VALUE_SYNONYMS.get(text, text)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def _is_id_like(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


class _Parser:
    def __init__(self, question: str, vocabulary: Vocabulary, codes: Iterable[Code]) -> None:
        self.question = question
        self.vocab = vocabulary
        self.codes = list(codes)
        self.tokens = _tokenise(question)
        self.filters: dict[str, list[tuple[frozenset[str], str, str]]] = {}  # key -> [(values, label, phrase)]
        self.unmatched: list[Unmatched] = []
        self.mentioned: list[str] = []
        # Short values (up to three words) that can be named whole, by their stems.
        self.short: list[tuple[tuple[str, ...], str, str]] = []  # (stems, key, value)
        self.stems: dict[str, dict[str, tuple[str, ...]]] = {}
        for key, values in vocabulary.values.items():
            self.stems[key] = {v: _value_stems(v) for v in values}
            for v, s in self.stems[key].items():
                if 0 < len(s) <= 3 and s[0] not in STOPWORDS and s[-1] not in STOPWORDS \
                        and not all(w.isdigit() for w in s) and len(v.strip()) > 1:
                    self.short.append((s, key, v))
        self.short.sort(key=lambda item: -len(item[0]))

    # ---- helpers
    def _add(self, key: str, values: Iterable[str], label: str, tokens: list[_Token]) -> None:
        for t in tokens:
            t.used = True
        phrase = self.question[tokens[0].start:tokens[-1].end] if tokens else ""
        self.filters.setdefault(key, []).append((frozenset(values), label, phrase))

    def _report(self, phrase: str, key: str | None, shown: str, tokens: list[_Token]) -> None:
        for t in tokens:
            t.used = True
        if key is None and shown in GENDER_CANONICAL:
            message = f"no participant has gender '{shown}'"
            fix = "the project records no gender; import attributes with a gender column (codeseed import --attributes)"
        elif key is None:
            message = f"no attribute value in this project matches '{shown}'"
            keys = ", ".join(sorted(self.vocab.values)) or "none"
            fix = f"attributes in this project: {keys}"
        else:
            message = f"no {self.vocab.scope(key)} has {key} '{shown}'"
            fix = f"{key} values in this project: {_some_values(self.vocab.values.get(key, {}))}"
        if not any(u.message == message for u in self.unmatched):
            self.unmatched.append(Unmatched(phrase=phrase, key=key, message=message, fix=fix))

    def _scope_follows(self, index: int) -> int | None:
        """Index of a scope noun within two words after ``index`` ("generic [mental health] services")."""
        for j in range(index + 1, min(index + 4, len(self.tokens))):
            t = self.tokens[j]
            if t.stem in {stem(s) for s in SCOPE_NOUNS} or singular(t.word) in SCOPE_NOUNS:
                return j
            if t.word in STOPWORDS or t.used or t.word in ASK_WORDS:
                return None
        return None

    def _short_value_at(self, i: int) -> tuple[int, str, list[str], str] | None:
        """The longest value of a short attribute value (or synonym) starting at token ``i``:
        (number of tokens, key, data values, label)."""
        for n in (3, 2, 1):
            span = self.tokens[i:i + n]
            if len(span) < n or any(t.used for t in span):
                continue
            stems = tuple(t.stem for t in span)
            for value_stems, key, value in self.short:
                if value_stems == stems:
                    others = [v for v, s in self.stems[key].items() if _contains(s, stems)]
                    if len(others) > 1 and any(s != stems for v, s in self.stems[key].items() if v in others):
                        shown = " ".join([t.word for t in span[:-1]] + [singular(span[-1].word)])
                        return n, key, others, f"{key} contains '{shown}'"
                    same = [v for v in self.vocab.values[key] if _canonical_value(v) == _canonical_value(value)]
                    return n, key, same, f"{key} = {value}"
            phrase = " ".join(t.word for t in span)
            canonical = QUESTION_SYNONYMS.get(phrase)
            if canonical:
                for key, values in self.vocab.values.items():
                    same = [v for v in values if _canonical_value(v) == canonical]
                    if same:
                        return n, key, same, f"{key} = {' or '.join(sorted(same))}"
        return None

    def _gender_key(self) -> str | None:
        return next((k for k in self.vocab.values if k.lower() in _GENDER_KEYS), None)

    # ---- passes
    def explicit(self) -> None:
        """``key=value``, ``key: value``, ``key is value`` for attributes of the project."""
        keys = sorted(self.vocab.values, key=len, reverse=True)
        names = "|".join(re.escape(k) for k in keys) or r"(?!x)x"
        pattern = re.compile(
            rf"(?i)(?<![\w])(?:(?P<key>{names})\s*(?:=|:|\bis\b|\bwas\b)|(?P<any>[A-Za-z_][\w-]*)\s*=)\s*"
            r"(?P<value>\"[^\"]+\"|'[^']+'|[^\s,;]+)"
        )
        for m in pattern.finditer(self.question):
            key_text = (m.group("key") or m.group("any")).strip()
            key = next((k for k in self.vocab.values if k.lower() == key_text.lower()), None)
            value = m.group("value").strip("\"'")
            if value.lower() in STOPWORDS:
                continue
            span = [t for t in self.tokens if t.start >= m.start() and t.end <= m.end()]
            if key is None:
                for t in span:
                    t.used = True
                keys = ", ".join(sorted(self.vocab.values)) or "none"
                self.unmatched.append(Unmatched(phrase=m.group(0), key=key_text,
                                                message=f"no attribute '{key_text}' in this project",
                                                fix=f"attributes in this project: {keys}"))
                continue
            wanted = _canonical_value(value)
            same = [v for v in self.vocab.values[key] if _canonical_value(v) == wanted]
            if not same:
                stems = _value_stems(value)
                same = [v for v, s in self.stems[key].items() if _contains(s, stems)]
                label = f"{key} contains '{value}'"
            else:
                label = f"{key} = {' or '.join(sorted(same))}"
            if same:
                self._add(key, same, label, span)
            else:
                self._report(m.group(0), key, value, span)

    def code_ids(self) -> None:
        ids = {c.id: c for c in self.codes}
        for i, t in enumerate(self.tokens):
            if t.used or t.text not in ids:
                continue
            after_code_word = i > 0 and self.tokens[i - 1].word in _CODE_WORDS
            if after_code_word or any(ch.isdigit() for ch in t.text):
                t.used = True
                if after_code_word:
                    self.tokens[i - 1].used = True
                if t.text not in self.mentioned:
                    self.mentioned.append(t.text)

    def participants(self) -> None:
        by_norm = {normalise_id(p): p for p in self.vocab.participants if len(normalise_id(p)) >= 2}
        for t in self.tokens:
            if t.used or t.clause == "topic" or t.word in STOPWORDS:
                continue
            found = by_norm.get(normalise_id(t.text))
            if found is not None and (_is_id_like(found) or t.clause == "person"):
                self._add("participant", [found], f"participant = {found}", [t])

    def values(self) -> None:
        """Short values and synonyms, where the clause allows them (see the module docstring)."""
        i = 0
        while i < len(self.tokens):
            t = self.tokens[i]
            if t.used or t.clause == "topic" or t.word in STOPWORDS:
                i += 1
                continue
            found = self._short_value_at(i)
            if found is None:
                i += 1
                continue
            n, key, values, label = found
            span = self.tokens[i:i + n]
            scope = self._scope_follows(i + n - 1)
            is_gender = key.lower() in _GENDER_KEYS or all(_canonical_value(v) in GENDER_CANONICAL for v in values)
            allowed = t.clause == "person" or scope is not None or (is_gender and t.clause == "none")
            if not allowed:
                i += 1
                continue
            if scope is not None:
                span = self.tokens[i:scope + 1]
            span = self._with_cue(i) + span
            self._add(key, values, label, span)
            i += len(span)

    def _with_cue(self, i: int) -> list[_Token]:
        """The cue word (and articles) just before token ``i``, consumed with the filter phrase."""
        lead: list[_Token] = []
        j = i - 1
        while j >= 0 and self.tokens[j].word in ("the", "a", "an", "our", "their", "all", "any"):
            lead.insert(0, self.tokens[j])
            j -= 1
        if j >= 0 and self.tokens[j].word in PERSON_CUES | PLACE_CUES and not self.tokens[j].used:
            lead.insert(0, self.tokens[j])
        return lead

    def people(self) -> None:
        """Person nouns in person clauses or with a possessive: free-text contains matches, or a report."""
        for j, t in enumerate(self.tokens):
            if t.used or t.word in STOPWORDS or not _is_person_word(t.word):
                continue
            if not (t.clause == "person" or (t.possessive and t.clause != "topic")):
                continue
            if singular(t.word) in GENERIC_PEOPLE:
                t.used = True
                continue
            canonical = QUESTION_SYNONYMS.get(t.word)
            if canonical in GENDER_CANONICAL:  # not matched by values(): the project has no such gender
                key = self._gender_key()
                if key is not None or t.clause == "person":
                    self._report(t.text, key, canonical, self._with_cue(j) + [t])
                continue
            matched = False
            for i in range(max(0, j - 2), j + 1):  # longest run first: "social workers", then "workers"
                span = self.tokens[i:j + 1]
                if any(s.used or s.word in STOPWORDS for s in span):
                    continue
                stems = tuple(s.stem for s in span)
                best: tuple[int, str, list[str]] | None = None
                for key, by_value in self.stems.items():
                    hits = [v for v, s in by_value.items() if _contains(s, stems)]
                    if hits and (best is None or len(hits) > best[0]):
                        best = (len(hits), key, hits)
                if best is not None:
                    shown = " ".join(s.word for s in span[:-1]) + (" " if len(span) > 1 else "") + singular(t.word)
                    _, key, hits = best
                    self._add(key, hits, f"{key} contains '{shown}'", self._with_cue(i) + span)
                    matched = True
                    break
            if not matched:
                self._report(t.text, _person_key(self.vocab), singular(t.word), self._with_cue(j) + [t])

    def result(self) -> Understanding:
        # Cues left between topic words stay in the topic text ("waiting in the car park").
        topic_tokens = [t for t in self.tokens if not t.used and t.word not in ASK_WORDS]
        # Trim stopwords and cues at both ends: "about stigma in" -> "stigma".
        while topic_tokens and (topic_tokens[0].word in STOPWORDS or topic_tokens[0].word in _CODE_WORDS):
            topic_tokens.pop(0)
        while topic_tokens and (topic_tokens[-1].word in STOPWORDS or topic_tokens[-1].word in _CODE_WORDS):
            topic_tokens.pop()
        topic = _join(self.question, topic_tokens)
        topic_terms = tuple(t.stem for t in topic_tokens if t.word not in STOPWORDS)
        filters = []
        for key, entries in self.filters.items():
            values = frozenset().union(*(v for v, _, _ in entries))
            labels = list(dict.fromkeys(label for _, label, _ in entries))
            label = labels[0] if len(labels) == 1 else _merge_labels(key, labels)
            filters.append(Filter(key=key, values=values, label=label,
                                  phrase=" / ".join(dict.fromkeys(p for _, _, p in entries))))
        return Understanding(question=self.question, filters=tuple(filters), unmatched=tuple(self.unmatched),
                             topic=topic, topic_terms=topic_terms, mentioned_codes=tuple(self.mentioned))


def _merge_labels(key: str, labels: list[str]) -> str:
    equals = [lab.split(" = ", 1)[1] for lab in labels if lab.startswith(f"{key} = ")]
    contains = [lab.split(" contains ", 1)[1] for lab in labels if lab.startswith(f"{key} contains ")]
    parts = []
    if equals:
        parts.append(f"{key} = {' or '.join(equals)}")
    if contains:
        parts.append(f"{key} contains {' or '.join(contains)}")
    return " or ".join(parts)


def _join(question: str, tokens: list[_Token]) -> str:
    """The topic as written: consecutive tokens keep the text between them, gaps become one space."""
    out, previous = "", None
    for t in tokens:
        if previous is None:
            out = t.text
        elif question[previous.end:t.start].strip(" ") in ("", "-", "/", "&", ",") and \
                "\n" not in question[previous.end:t.start]:
            out += question[previous.end:t.start] + t.text
        else:
            out += " " + t.text
        previous = t
    return " ".join(out.split())


def _some_values(values: Mapping[str, int], limit: int = 8) -> str:
    ranked = sorted(values, key=lambda v: (-values[v], v.lower()))
    shown = ", ".join(ranked[:limit])
    return (shown + f", ... ({len(ranked)} in all)") if len(ranked) > limit else (shown or "none")


_ROLE_KEYS = ("role", "job", "job title", "title", "profession", "occupation", "position", "discipline",
              "staff group", "staff_group", "job_title")


def _person_key(vocabulary: Vocabulary) -> str | None:
    """The attribute a person noun ("surgeons") would be found in: one named like a role, else the
    participant attribute with the most distinct values if it has free-text variety (at least 5);
    None when no attribute describes what people do (the message then says no value matches)."""
    named = [k for k in vocabulary.values if k.lower() in _ROLE_KEYS]
    if named:
        return named[0]
    keys = [k for k in vocabulary.values if k.lower() not in _GENDER_KEYS and len(vocabulary.values[k]) >= 5]
    if not keys:
        return None
    return max(keys, key=lambda k: (vocabulary.scope(k) == "participant", len(vocabulary.values[k])))


def parse_question(question: str, vocabulary: Vocabulary, codes: Iterable[Code] = ()) -> Understanding:
    """Filters, unmatched filter terms, code ids and the topic of ``question`` (codes related by
    meaning are added afterwards by :func:`relate_codes`, which needs the topic's embedding)."""
    parser = _Parser(question, vocabulary, codes)
    parser.explicit()
    parser.code_ids()
    parser.participants()
    parser.values()
    parser.people()
    return parser.result()


# -- related codes ----------------------------------------------------------------------------------
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
