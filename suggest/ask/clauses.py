"""A question as tokens, each tagged with the clause it stands in: the words that start a clause (``about``,
``from``, ``in`` ...) decide how the words after them are read (see :mod:`suggest.ask.query`)."""

from __future__ import annotations

from dataclasses import dataclass

from suggest.ask.words import ASK_WORDS, PERSON_CUES, PLACE_CUES, SAID_WORDS, TOKEN, TOPIC_CUES, stem


@dataclass
class Token:
    text: str  # as written
    word: str  # lower-cased, possessive removed
    stem: str
    start: int
    end: int
    possessive: bool
    clause: str = "none"  # "topic", "person", "place" or "none": the kind of the last cue before it
    used: bool = False  # consumed by a filter, a cue, a code id or an ask word


def tokenise(question: str) -> list[Token]:
    """The question's words with their stems, offsets and clause (the kind of the last cue before each)."""
    tokens = []
    for m in TOKEN.finditer(question):
        raw = m.group(0).replace("’", "'")
        lower = raw.lower()
        possessive = lower.endswith("'s") or (lower.endswith("'") and lower[:-1].endswith("s"))
        word = lower.removesuffix("'s").rstrip("'") if possessive else lower
        tokens.append(Token(m.group(0), word, stem(word), m.start(), m.end(), possessive))
    kind = "none"
    for i, t in enumerate(tokens):
        if t.word in TOPIC_CUES:
            kind = "topic"
        elif t.word == "by" and i > 0 and tokens[i - 1].word not in ASK_WORDS | SAID_WORDS:
            pass  # "judged by the nurses" is about being judged; "quotes by nurses", "said by nurses" are not
        elif t.word in PERSON_CUES:
            kind = "person"
        elif t.word in PLACE_CUES:
            kind = "place"
        t.clause = kind
    return tokens


def join_tokens(question: str, tokens: list[Token]) -> str:
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
