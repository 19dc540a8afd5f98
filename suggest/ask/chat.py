"""A conversation with Ask over a project: each question answered in the light of the ones before, kept per coder.

    from suggest.ask.chat import Conversation
    chat = Conversation(project, coder="ana")
    reply = chat.say("show quotes about stigma in generic services")
    reply = chat.say("only from nurses")        # reply.changes: ("added role contains 'nurse'", "kept ...")
    reply = chat.say("what codes do these have?")   # reply.codes: the codes on the quotes shown
    reply = chat.say("how many participants mention this, by setting?")   # reply.count: a CountTable
    chat.open_count("generic", "coded")          # the quotes behind one number
    chat.remove_filter("role")                   # a chip's ×

How a question is read is :mod:`suggest.ask.conversation` (pure rules); this module runs the answer against the
project (:func:`suggest.ask.answer.answer_understood`, :func:`suggest.ask.counting.count`, a local model's
summary) and keeps each turn in the project (the store's ``ask_turns``), so a coder's conversation survives a
restart: a new :class:`Conversation` for the same coder goes on where the last one stopped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from index.errors import CodeseedError
from suggest.ask.answer import AskResult, CitationCheck, QuoteCard, answer_understood, quote_cards
from suggest.ask.conversation import (CODES, COUNT, NOTHING, RESET, SEARCH, SIMILAR, SUMMARY, State, read_turn,
                                      remove_filter)
from suggest.ask.counting import WAYS, CountTable, count
from suggest.ask.understanding import Understanding
from suggest.ask.retrieval import Hit, corpus_for

ANONYMOUS = "anonymous"
OPEN = "open"
_OPEN = re.compile(r"^\s*(?:open|show)\s+(?P<group>.+?)\s+(?:by\s+)?(?P<way>coded|search|found)\s*[.!?]?\s*$", re.I)


@dataclass(frozen=True)
class CodeRow:
    """One code carried by the quotes shown: on which of them, and who coded it."""

    code: str
    name: str
    quotes: tuple[str, ...]  # citation tags, in the order the quotes were shown
    coders: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    answer: str
    check: CitationCheck
    model: str  # the model as configured, e.g. "ollama:llama3.1"
    where: str  # where it runs, in words


@dataclass(frozen=True)
class Reply:
    question: str
    intent: str  # one of suggest.ask.conversation's intents, or "open"
    changes: tuple[str, ...]
    state: State  # the conversation's state after this turn
    understood: Understanding | None = None
    result: AskResult | None = None  # quotes (searches, "more like", summaries, opened counts)
    codes: list[CodeRow] | None = None
    count: CountTable | None = None
    summary: Summary | None = None
    problem: str | None = None  # why the question could not be answered as asked
    seconds: float = 0.0

    @property
    def quotes(self) -> list[QuoteCard]:
        return self.result.quotes if self.result is not None else []

    def to_dict(self) -> dict[str, Any]:
        """What is kept of a turn: everything but the quotes' text (kept as ids, read back from the project)."""
        out: dict[str, Any] = {"intent": self.intent, "changes": list(self.changes), "problem": self.problem,
                               "understood": self.understood.summary() if self.understood else None,
                               "quotes": [q.segment_id for q in self.quotes],
                               "empty_reason": self.result.empty_reason if self.result else None,
                               "matching": self.result.matching if self.result else None}
        if self.codes is not None:
            out["codes"] = [{"code": c.code, "name": c.name, "quotes": list(c.quotes), "coders": list(c.coders)}
                            for c in self.codes]
        if self.count is not None:
            out["count"] = self.count.to_dict()
        if self.summary is not None:
            out["summary"] = {"answer": self.summary.answer, "model": self.summary.model, "where": self.summary.where,
                              "unknown_citations": self.summary.check.unknown,
                              "unsupported_sentences": self.summary.check.unsupported}
        return out


@dataclass
class Conversation:
    """One coder's conversation with Ask over ``project`` (see the module docstring)."""

    project: Any
    coder: str = ANONYMOUS
    k: int = 10
    llm: str | None = None  # "ollama:MODEL" or "openai-compatible:URL:MODEL"; None: no summaries, nothing sent
    keep: bool = True  # record each turn in the project
    state: State = field(default_factory=State)
    number: int = 1  # this coder's conversation number in the project
    _chat_model: Any = None
    _last_table: CountTable | None = None  # the last count made in this process

    def __post_init__(self) -> None:
        self.coder = (self.coder or ANONYMOUS).strip() or ANONYMOUS
        if self.keep:
            self.number = max(1, self.project.store.last_ask_conversation(self.coder))
            turns = self.project.store.ask_turns(self.coder, self.number)
            if turns:
                self.state = State.from_dict(turns[-1]["state"])

    def history(self) -> list[dict[str, Any]]:
        """This conversation's turns so far, oldest first (as kept in the project)."""
        return self.project.store.ask_turns(self.coder, self.number) if self.keep else []

    # -- a turn ------------------------------------------------------------------------------------------------
    def say(self, question: str) -> Reply:
        began = time.perf_counter()
        if not isinstance(question, str) or not question.strip():
            raise CodeseedError("the question is empty", field="question",
                                fix='ask for something, e.g. "show quotes about stigma in generic services"')
        opened = _OPEN.match(question)
        if opened:
            reply = self._open(question, opened.group("group"), opened.group("way").lower())
        else:
            corpus = corpus_for(self.project)
            codes = self.project.codes()
            step = read_turn(question, self.state, corpus.vocabulary, codes)
            reply = self._answer(question, step, corpus, codes)
        reply = replace(reply, seconds=time.perf_counter() - began)
        self._record(reply)
        return reply

    def _answer(self, question: str, step: Any, corpus: Any, codes: list) -> Reply:
        understood = step.understanding(question)
        base = Reply(question, step.intent, step.changes, self.state, understood, problem=step.problem)
        if step.problem or step.intent == NOTHING:
            return base
        if step.intent == RESET:
            self.state = step.state
            return replace(base, state=self.state, understood=None)
        if step.intent == CODES:
            return replace(base, codes=self._codes_of_shown(corpus, codes))
        if step.intent == COUNT:
            self.state = replace(step.state, shown=self.state.shown)
            table, understood = count(self.project, understood, step.group_by, corpus=corpus, codes=codes,
                                      include_interviewer=step.state.include_interviewer)
            return replace(base, state=self.state, understood=understood, count=table)
        result = answer_understood(self.project, understood, self.k, include_interviewer=step.state.include_interviewer,
                                   like=step.state.like, corpus=corpus, codes=codes)
        self.state = replace(step.state, shown=tuple(q.segment_id for q in result.quotes))
        reply = replace(base, state=self.state, understood=result.understood, result=result)
        if step.intent == SUMMARY:
            return self._summarise(reply)
        return reply

    def remove_filter(self, key: str) -> Reply:
        """Take one filter away (a chip's ×) and answer again with what is left."""
        began = time.perf_counter()
        state, change = remove_filter(self.state, key)
        question = f"(removed the filter on {key})"
        corpus = corpus_for(self.project)
        result = answer_understood(self.project, state.understanding(question), self.k,
                                   include_interviewer=state.include_interviewer, like=state.like, corpus=corpus)
        self.state = replace(state, shown=tuple(q.segment_id for q in result.quotes))
        reply = Reply(question, SEARCH, (change,), self.state, result.understood, result,
                      seconds=time.perf_counter() - began)
        self._record(reply)
        return reply

    def start_over(self) -> Reply:
        return self.say("start over")

    def open_count(self, group: str, way: str) -> Reply:
        """The quotes behind one number of the last count: ``way`` is "coded" or "search"."""
        return self.say(f"open {group} {way}")

    # -- the parts ---------------------------------------------------------------------------------------------
    def _open(self, question: str, group: str, way: str) -> Reply:
        way = "search" if way == "found" else way
        table = self._last_count()
        if table is None:
            return Reply(question, OPEN, (), self.state, problem="there is no count to open: ask \"how many ...\" first")
        try:
            cell = table.cell(group, way)
        except KeyError:
            groups = ", ".join(r.group for r in table.rows)
            return Reply(question, OPEN, (), self.state,
                         problem=f"no count for '{group.strip()}' {way}: groups are {groups}; ways are "
                                 f"{' and '.join(WAYS)}")
        quotes = self._cards(list(cell.segments))
        self.state = replace(self.state, shown=tuple(q.segment_id for q in quotes))
        understood = self.state.understanding(question)
        result = AskResult(question, understood, quotes, len(cell.segments),
                           None if quotes else "no segment behind this number", 0.0)
        return Reply(question, OPEN, (f"the {len(quotes)} segments behind {group.strip()} · {way}",), self.state,
                     understood, result)

    def _last_count(self) -> CountTable | None:
        if self._last_table is not None:
            return self._last_table
        counted = [t["answer"]["count"] for t in self.history() if "count" in t["answer"]]
        return CountTable.from_dict(counted[-1]) if counted else None

    def _cards(self, segment_ids: list[int], corpus: Any = None, codes: list | None = None) -> list[QuoteCard]:
        corpus = corpus if corpus is not None else corpus_for(self.project)
        hits = [Hit(segment=corpus.segments[r], attributes=corpus.attributes[r], score=0.0, dense=None,
                    dense_rank=None, bm25=None, bm25_rank=None, boost=0.0, boosted_by=(), folded=())
                for r in (corpus.row[i] for i in segment_ids if i in corpus.row)]
        return quote_cards(self.project, hits, codes if codes is not None else self.project.codes())

    def _codes_of_shown(self, corpus: Any, codes: list) -> list[CodeRow]:
        rows: dict[str, CodeRow] = {}
        for card in self._cards(list(self.state.shown), corpus, codes):
            for c in card.codes:
                old = rows.get(c["id"], CodeRow(c["id"], c["name"], (), ()))
                rows[c["id"]] = CodeRow(old.code, old.name, old.quotes + (card.cite,),
                                        tuple(dict.fromkeys(old.coders + tuple(c["coders"]))))
        order = {c.id: i for i, c in enumerate(codes)}
        return sorted(rows.values(), key=lambda r: (-len(r.quotes), order.get(r.code, len(order))))

    def _summarise(self, reply: Reply) -> Reply:
        if self.llm is None:
            return replace(reply, problem="no local model is configured, so nothing was summarised (and nothing was "
                                          "sent anywhere): start one with --llm ollama:MODEL or "
                                          "--llm openai-compatible:URL:MODEL; the quotes are below")
        if not reply.quotes:
            return replace(reply, problem="no quotes to summarise, so nothing was sent to the model")
        from suggest.ask.langchain_adapter import chat_model_from_spec, model_location, quote_to_document, synthesise

        if self._chat_model is None:
            self._chat_model = chat_model_from_spec(self.llm)
        done = synthesise(reply.question, [quote_to_document(q) for q in reply.quotes], self._chat_model)
        return replace(reply, summary=Summary(done.answer, done.check, self.llm, model_location(self.llm)))

    def _record(self, reply: Reply) -> None:
        if reply.count is not None:
            self._last_table = reply.count
        if not self.keep:
            return
        with self.project.store.transaction():
            self.project.store.add_ask_turn(coder=self.coder, conversation=self.number, question=reply.question,
                                            intent=reply.intent, state=reply.state.to_dict(), answer=reply.to_dict())
        if reply.intent == RESET:  # "start over" ends this conversation; the next question opens a new one
            self.number += 1
            self._last_table = None


__all__ = ["ANONYMOUS", "CODES", "COUNT", "OPEN", "SIMILAR", "SUMMARY", "CodeRow", "Conversation", "Reply", "Summary"]
