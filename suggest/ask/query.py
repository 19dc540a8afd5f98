"""Understanding an Ask question without an LLM: where a question becomes metadata filters, code ids and the topic.

"show quotes about stigma in generic services" becomes ``setting = generic`` and topic ``stigma`` (the
related code 2.3 is added by :mod:`suggest.ask.related_codes`). Pure functions over the question and a
:class:`~suggest.ask.understanding.Vocabulary` of the attribute values that exist in the project, so every rule is
testable with a hand-built vocabulary and no model.

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

import re
from collections.abc import Iterable, Mapping

from index.ingest.attributes import normalise_id
from index.types import Code
from suggest.ask.clauses import Token, join_tokens, tokenise
from suggest.ask.understanding import Filter, Understanding, Unmatched, Vocabulary
from suggest.ask.words import (ASK_WORDS, CODE_WORDS, GENDER_CANONICAL, GENDER_KEYS, GENERIC_PEOPLE, PERSON_CUES,
                               PLACE_CUES, QUESTION_SYNONYMS, SCOPE_NOUNS, STOPWORDS, VALUE_SYNONYMS, is_person_word,
                               singular, stem, words)


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
        self.tokens = tokenise(question)
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
    def _add(self, key: str, values: Iterable[str], label: str, tokens: list[Token]) -> None:
        for t in tokens:
            t.used = True
        phrase = self.question[tokens[0].start:tokens[-1].end] if tokens else ""
        self.filters.setdefault(key, []).append((frozenset(values), label, phrase))

    def _report(self, phrase: str, key: str | None, shown: str, tokens: list[Token]) -> None:
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
        return next((k for k in self.vocab.values if k.lower() in GENDER_KEYS), None)

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
            after_code_word = i > 0 and self.tokens[i - 1].word in CODE_WORDS
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
            is_gender = key.lower() in GENDER_KEYS or all(_canonical_value(v) in GENDER_CANONICAL for v in values)
            allowed = t.clause == "person" or scope is not None or (is_gender and t.clause == "none")
            if not allowed:
                i += 1
                continue
            if scope is not None:
                span = self.tokens[i:scope + 1]
            span = self._with_cue(i) + span
            self._add(key, values, label, span)
            i += len(span)

    def _with_cue(self, i: int) -> list[Token]:
        """The cue word (and articles) just before token ``i``, consumed with the filter phrase."""
        lead: list[Token] = []
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
            if t.used or t.word in STOPWORDS or not is_person_word(t.word):
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
        while topic_tokens and (topic_tokens[0].word in STOPWORDS or topic_tokens[0].word in CODE_WORDS):
            topic_tokens.pop(0)
        while topic_tokens and (topic_tokens[-1].word in STOPWORDS or topic_tokens[-1].word in CODE_WORDS):
            topic_tokens.pop()
        topic = join_tokens(self.question, topic_tokens)
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
    keys = [k for k in vocabulary.values if k.lower() not in GENDER_KEYS and len(vocabulary.values[k]) >= 5]
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
