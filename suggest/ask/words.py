"""The words of Ask questions: stopwords, cue words, synonyms, person nouns, and a light stemmer.

Shared by the question parser (:mod:`suggest.ask.query`) and lexical search (:mod:`suggest.ask.retrieval`), so a
question and the segments it is compared with are cut into the same terms. Plain data and pure functions.
"""

from __future__ import annotations

import re
from functools import lru_cache

# -- word lists ------------------------------------------------------------------------------------------
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he her here hers herself him himself his how
i if in into is isn't it it's its itself just let's me more most mustn't my myself no nor not of off on once
only or other ought our ours ourselves out over own same she should shouldn't so some such than that that's
the their theirs them themselves then there there's these they this those through to too under until up very
was wasn't we were weren't what what's when where which while who whom why with won't would wouldn't you
your yours yourself yourselves re within across among amongst regarding concerning around via per
say says said saying think thinks thought feel feels felt talk talks talked talking mention mentions
mentioned mentioning describe describes described describing discuss discusses discussed discussing
""".split())

# Words that ask for quotes rather than say what they are about.
ASK_WORDS = frozenset("""
show find give list get fetch search look pull please quote quotes comment comments segment segments
excerpt excerpts passage passages example examples extract extracts statement statements response
responses answer answers view views opinion opinions related relating relate
""".split())

TOPIC_CUES = frozenset({"about", "on", "regarding", "concerning", "re", "mentioning", "discussing", "around",
                        "describing", "involving", "where", "that", "which", "who"})
PERSON_CUES = frozenset({"from", "by", "among", "amongst", "did", "do", "does"})
PLACE_CUES = frozenset({"in", "at", "within", "across", "inside"})

# Nouns after a value that say it describes where or who ("generic services", "third sector staff").
SCOPE_NOUNS = frozenset({"service", "setting", "team", "sector", "site", "trust", "ward", "unit", "organisation",
                         "organization", "staff", "participant", "respondent", "interviewee", "worker", "people",
                         "clinician", "professional", "practitioner", "area", "group", "provider"})

# Person words that narrow nothing: a question "from people" or "from staff" asks about everyone.
GENERIC_PEOPLE = frozenset({"people", "person", "participant", "respondent", "interviewee", "staff", "everyone",
                            "anyone", "someone", "somebody", "anybody", "everybody", "clinician", "professional",
                            "practitioner", "colleague", "other", "individual", "interview", "transcript"})

# A person noun, roughly: the suffixes of agent nouns and a few common ones. Used only inside a person
# clause ("from surgeons") or with a possessive ("nurses' views"), never on topic words.
_PERSON_ENDINGS = ("er", "or", "ist", "ian", "ant", "ee", "man", "men", "nurse", "medic", "gp", "doctor",
                   "lead", "parent", "child", "children", "user", "client", "patient", "resident", "student",
                   "friend", "partner", "carer", "family", "families", "relative", "chaplain", "midwife",
                   "midwives", "wife", "husband", "mother", "father", "son", "daughter", "sibling", "people",
                   "staff", "person", "head", "chief", "officer", "surgeon")
_NOT_PERSONS = frozenset({"letter", "water", "matter", "order", "number", "border", "paper", "center", "centre",
                          "computer", "winter", "summer", "weather", "other", "another", "chapter", "corner", "river",
                          "dinner", "power", "sector", "factor", "mirror", "error", "minor", "major", "interior",
                          "exterior", "register", "character", "manner", "after", "over", "under", "never",
                          "ever", "rather", "either", "neither", "whether", "together", "better", "later",
                          "earlier", "year", "fear", "clear", "near", "care", "shower", "tower", "flower",
                          "meant", "want", "plant", "grant", "elephant", "important", "restaurant", "relevant",
                          "pleasant", "distant", "constant", "instant", "significant", "vacant", "see", "fee",
                          "coffee", "tee", "free", "tree", "degree", "agree", "guarantee", "committee",
                          "german", "roman", "human", "ear", "car"})

# Question words → a canonical value; only used when a value with that canonical form exists.
QUESTION_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["women", "woman", "female", "females", "girls", "girl", "ladies", "lady"], "female"),
    **dict.fromkeys(["men", "man", "male", "males", "boys", "boy", "gentlemen"], "male"),
    **dict.fromkeys(["non-binary", "nonbinary", "enby"], "non-binary"),
    **dict.fromkeys(["generic", "general", "mainstream", "non-specialist", "nonspecialist"], "generic"),
    **dict.fromkeys(["third sector", "third-sector", "voluntary", "voluntary sector", "charity", "charities"],
                    "third sector"),
}
# Values as written in the data → the same canonical forms.
VALUE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["f", "female", "woman", "women", "w"], "female"),
    **dict.fromkeys(["m", "male", "man", "men"], "male"),
    **dict.fromkeys(["nb", "non-binary", "nonbinary"], "non-binary"),
    **dict.fromkeys(["generic", "general", "mainstream", "non-specialist"], "generic"),
    **dict.fromkeys(["third sector", "third-sector", "voluntary", "voluntary sector"], "third sector"),
}
GENDER_CANONICAL = frozenset({"female", "male", "non-binary"})
GENDER_KEYS = ("gender", "sex")
SAID_WORDS = frozenset({"said", "spoken", "written", "mentioned", "raised", "described", "expressed", "voiced", "told"})
CODE_WORDS = frozenset({"code", "coded", "codes", "theme", "themes", "subtheme", "subthemes", "category"})

TOKEN = re.compile(r"\d+(?:\.\d+)+|[^\W_]+(?:[-'’][^\W_]+)*(?:['’](?![^\W_]))?")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English stemmer: plurals, -ing, -ed, -ment, -ness, -ly and a final -e.

    Why not Porter/Snowball: one more dependency for little gain; this only has to make nurses ~ nurse,
    waiting ~ wait, judged ~ judgement, labelling ~ label the same in the question and the segments.
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'")
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) >= 6 and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ed") and not w.endswith("eed") and len(w) >= 5 and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    elif w.endswith("ment") and len(w) >= 8:
        w = w[:-4]
    elif w.endswith("ness") and len(w) >= 7:
        w = w[:-4]
    elif w.endswith("ly") and len(w) >= 6:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _has_vowel(text: str) -> bool:
    return any(c in "aeiouy" for c in text)


def _undouble(w: str) -> str:
    """What -ing/-ed leave behind: stopp → stop, labell → label, car → care (caring)."""
    if len(w) >= 2 and w[-1] == w[-2] and w[-1] not in "aeiouslzf":
        return w[:-1]
    if w.endswith("ll") and len(w) > 4:
        return w[:-1]
    if len(w) == 3 and w[0] not in "aeiou" and w[1] in "aeiou" and w[2] not in "aeiouwxy":
        return w + "e"
    return w


def singular(word: str) -> str:
    """The word without a plural or possessive ending, for messages ("surgeons" → "surgeon")."""
    w = word.lower().replace("’", "'").removesuffix("'s").strip("'")
    if w in ("women", "men"):
        return w[:-2] + "an"
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-cased word tokens (hyphenated words and code ids like 2.3 stay whole)."""
    return [t.lower().replace("’", "'") for t in TOKEN.findall(text)]


def terms(text: str) -> list[str]:
    """The stems of the content words of ``text``: what lexical search (BM25) and code matching compare."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w.strip("'") not in STOPWORDS]


def is_person_word(word: str) -> bool:
    w = singular(word)
    if w in GENERIC_PEOPLE or w in QUESTION_SYNONYMS:
        return True
    return (len(w) > 2 and w.endswith(_PERSON_ENDINGS) and not w.endswith(("ment", "our", "oor"))
            and w not in _NOT_PERSONS)
