"""Ask: "show quotes about stigma in generic services" → verbatim quotes with who said them, where, and their codes.

The one call the command line, the app's Ask tab and the LangChain retriever share::

    from suggest.ask.answer import ask
    result = ask(project, "show quotes about stigma in generic services", k=10)
    result.understood.summary()   # "setting = generic · topic: stigma · related codes: 2.3 ..."
    for quote in result.quotes:   # QuoteCard: segment id, text, speaker, participant, attributes, codes, score
        ...
    result.empty_reason           # why nothing was found, when nothing was

No LLM is involved: the question is parsed by rules (:mod:`suggest.ask.query`), quotes are found by
hybrid retrieval (:mod:`suggest.ask.retrieval`). A summary by a language model is an optional extra
(:mod:`suggest.ask.langchain_adapter`), and :func:`check_citations` checks what it cites.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from suggest.ask.query import parse_question
from suggest.ask.related_codes import relate_codes
from suggest.ask.understanding import Understanding
from index.errors import CodeseedError
from suggest.ask.retrieval import code_similarities, corpus_for, search
from suggest.ask.words import terms


@dataclass(frozen=True)
class QuoteCard:
    """One quote as the researcher sees it: the verbatim segment and everything needed to cite it."""

    segment_id: int
    cite: str  # "S123": the tag an LLM summary must cite
    text: str  # verbatim, = document text[start:end]
    document: str
    document_id: int
    position: int  # 0-based turn/segment number in the document
    start: int  # character offsets into the document text, end-exclusive
    end: int
    timestamp: str | None
    speaker: str | None
    participant: str | None
    attributes: dict[str, str]  # the participant's, document's and segment's attributes
    codes: list[dict[str, Any]]  # [{"id", "name", "coders"}] from the codings table
    score: float  # fused retrieval score (reciprocal ranks + code boost); higher is better
    rank: int
    why: dict[str, Any]  # dense cosine and rank, BM25 score and rank, code boost, related codes carried
    folded: list[int] = field(default_factory=list)  # near-duplicate segment ids not shown separately

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AskResult:
    question: str
    understood: Understanding
    quotes: list[QuoteCard]
    matching: int  # segments passing the filters
    empty_reason: str | None  # set when quotes is empty: why
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "understood": self.understood.to_dict(), "matching": self.matching,
                "empty_reason": self.empty_reason, "seconds": round(self.seconds, 4),
                "quotes": [q.to_dict() for q in self.quotes]}


def cite_tag(segment_id: int) -> str:
    return f"S{segment_id}"


def ask(project: Any, question: str, k: int = 10, *, include_interviewer: bool = False) -> AskResult:
    """Find the quotes that answer ``question`` in ``project`` (a :class:`index.project.Project`)."""
    began = time.perf_counter()
    if not isinstance(question, str) or not question.strip():
        raise CodeseedError("the question is empty", field="question",
                            fix='ask for something, e.g. "show quotes about stigma in generic services"')
    corpus = corpus_for(project)
    codes = project.codes()
    understood = parse_question(question, corpus.vocabulary, codes)
    return answer_understood(project, understood, k, include_interviewer=include_interviewer, corpus=corpus,
                             codes=codes, began=began)


def answer_understood(project: Any, understood: Understanding, k: int = 10, *, include_interviewer: bool = False,
                      like: int | None = None, corpus: Any = None, codes: list | None = None,
                      began: float | None = None) -> AskResult:
    """The quotes for a question already understood (a conversation's merged :class:`Understanding`); with
    ``like`` (a segment id), the quotes nearest that segment's text instead of the topic, the segment left out."""
    began = time.perf_counter() if began is None else began
    if not isinstance(k, int) or k < 1:
        raise CodeseedError(f"k must be a whole number of at least 1, not {k!r}", field="k",
                            fix="ask for 10 quotes with --k 10")
    corpus = corpus if corpus is not None else corpus_for(project)
    codes = list(codes if codes is not None else project.codes())
    query_vector = None
    similarity: dict[str, float] = {}
    if like is not None and not understood.unmatched:
        understood, query_vector = _like(project, corpus, understood, like)
    elif understood.topic_terms and corpus.segments and not understood.unmatched:
        query_vector = np.asarray(project.encoder.encode([understood.topic]), dtype=np.float32)[0]
        similarity = code_similarities(project.encoder, codes, query_vector)
    if like is None:
        understood = relate_codes(understood, codes, similarity)
    outcome = search(project, understood, query_vector, k=k + (like is not None),
                     include_interviewer=include_interviewer, codes=codes, corpus=corpus)
    hits = [h for h in outcome.hits if h.segment.id != like][:k]
    quotes = quote_cards(project, hits, codes)
    reason = outcome.reason if not quotes else None
    if like is not None and not quotes and reason is None:
        reason = f"no other segment passes the filters and comes near S{like}"
    return AskResult(question=understood.question, understood=understood, quotes=quotes, matching=outcome.matching,
                     empty_reason=reason, seconds=time.perf_counter() - began)


def _like(project: Any, corpus: Any, understood: Understanding, like: int) -> tuple[Understanding, np.ndarray]:
    """The understanding and query vector of "more like S12": the segment's words and its embedding."""
    row = corpus.row.get(like)
    if row is None:
        raise CodeseedError(f"there is no segment S{like} in this project", field="like",
                            fix="name a quote that is shown, e.g. \"more like the second one\"")
    text = corpus.segments[row].text
    vectors, _ = project.embed([text])
    shown = " ".join(text.split()[:12]) + ("…" if len(text.split()) > 12 else "")
    understood = replace(understood, topic=f'like S{like}: "{shown}"', topic_terms=tuple(dict.fromkeys(terms(text))))
    return understood, np.asarray(vectors, dtype=np.float32)[0]


def quote_cards(project: Any, hits: list, codes: list, *, first_rank: int = 1) -> list[QuoteCard]:
    """Quote cards for search hits (:class:`suggest.ask.retrieval.Hit`), with the codes each segment carries."""
    names = {c.id: c.name for c in codes}
    carried = project.store.coders_by_code(h.segment.id for h in hits)
    quotes = []
    for rank, hit in enumerate(hits, start=first_rank):
        s = hit.segment
        quotes.append(QuoteCard(
            segment_id=s.id, cite=cite_tag(s.id), text=s.text, document=s.document, document_id=s.document_id,
            position=s.position, start=s.start, end=s.end, timestamp=s.timestamp, speaker=s.speaker,
            participant=s.participant, attributes={k_: v for k_, v in hit.attributes.items() if k_ != "participant"},
            codes=[{"id": c, "name": names.get(c, c), "coders": coders}
                   for c, coders in carried.get(s.id, {}).items()],
            score=round(hit.score, 6), rank=rank,
            why={"dense": None if hit.dense is None else round(hit.dense, 4), "dense_rank": hit.dense_rank,
                 "bm25": None if hit.bm25 is None else round(hit.bm25, 4), "bm25_rank": hit.bm25_rank,
                 "code_boost": round(hit.boost, 6), "related_codes": list(hit.boosted_by)},
            folded=list(hit.folded),
        ))
    return quotes


# -- checking what a summary cites -----------------------------------------------------------------
_CITATION = re.compile(r"\[\s*(S\d+(?:\s*[,;]\s*S?\d+)*)\s*\]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class CitationCheck:
    cited: list[str]  # every id cited, in order of first citation
    unknown: list[str]  # cited but not among the retrieved quotes: invented or mistyped
    unsupported: list[str]  # sentences that cite nothing

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.unsupported


def check_citations(answer: str, allowed: Any) -> CitationCheck:
    """Parse ``[S12]`` / ``[S12, S14]`` citations in ``answer``; flag ids not in ``allowed`` and sentences
    without a citation (a citation standing after a sentence's full stop counts for that sentence)."""
    allowed_ids = {str(a).upper() for a in allowed}
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(answer.strip()):
        piece = piece.strip()
        if not piece:
            continue
        if sentences and not _CITATION.sub("", piece).strip(" .;,"):
            sentences[-1] += " " + piece  # "... risk. [S12]" belongs to the sentence before
        else:
            sentences.append(piece)
    cited: list[str] = []
    unsupported = []
    for sentence in sentences:
        found = []
        for group in _CITATION.findall(sentence):
            for part in re.split(r"\s*[,;]\s*", group):
                part = part.upper()
                found.append(part if part.startswith("S") else f"S{part}")
        if not found and re.search(r"\w", sentence):
            unsupported.append(sentence)
        for f in found:
            if f not in cited:
                cited.append(f)
    return CitationCheck(cited=cited, unknown=[c for c in cited if c not in allowed_ids], unsupported=unsupported)


# -- plain-text presentation (the CLI) -------------------------------------------------------------
def format_result(result: AskResult, *, width: int = 100) -> str:
    import textwrap

    lines = [f"Understood: {result.understood.summary()}"]
    if not result.quotes:
        lines.append(f"No quotes: {result.empty_reason}")
        return "\n".join(lines)
    if result.understood.filters:
        pool = "segment matches the filters" if result.matching == 1 else "segments match the filters"
    else:
        pool = "segment searched" if result.matching == 1 else "segments searched"
    lines.append(f"{result.matching} {pool}; the best {len(result.quotes)}:")
    for q in result.quotes:
        who = q.participant or q.speaker or "unknown speaker"
        attrs = ", ".join(f"{k}={v}" for k, v in q.attributes.items())
        codes = ", ".join(c["id"] for c in q.codes) or "none"
        lines.append("")
        lines.append(f"{q.rank}. [{q.cite}] {who} in {q.document} (turn {q.position + 1}, chars {q.start}-{q.end})"
                     f"  codes: {codes}  score {q.score:.4f}")
        if attrs:
            lines.append(f"   {attrs}")
        lines.extend(textwrap.wrap(f'"{q.text}"', width=width, initial_indent="   ", subsequent_indent="   "))
        if q.folded:
            lines.append(f"   (also said in near-identical words: {', '.join(cite_tag(i) for i in q.folded)})")
    return "\n".join(lines)
