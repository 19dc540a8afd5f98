"""Ask for LangChain: a retriever over a codeseed project, and an optional cited summary by a chat model.

The only module of codeseed that imports LangChain (a test checks), so the rest stays usable without it.

* :class:`CodeseedRetriever` — ``retriever.invoke("stigma in generic services")`` returns LangChain
  ``Document`` s: ``page_content`` is the verbatim quote; ``metadata`` holds the segment id, citation tag,
  document, speaker, participant, attributes, codes, offsets and score. It calls :func:`suggest.ask.answer.ask`,
  so filters, code awareness and hybrid retrieval are the same as on the command line.
* :func:`synthesise` — off unless a chat model is passed. The prompt holds the question and only the
  retrieved quotes, each tagged ``[S123]``; the model is told to cite them. The answer's citations are
  then checked (:func:`suggest.ask.answer.check_citations`): ids that were not retrieved are flagged, and so is
  every sentence that cites nothing. The researcher reads the quotes; the summary is a pointer to them.
* :func:`chat_model_from_spec` — ``ollama:MODEL`` or ``openai-compatible:URL:MODEL`` (a local server such
  as llama.cpp, vLLM or LM Studio). Needs ``langchain-ollama`` or ``langchain-openai``, which codeseed
  does not install; without them it says which to install.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.retrievers import BaseRetriever
from pydantic import PrivateAttr

from suggest.ask.answer import AskResult, CitationCheck, QuoteCard, ask, check_citations
from index.errors import CodeseedError

SYSTEM_PROMPT = (
    "You help a qualitative researcher read interview quotes. Answer the question using only the quotes "
    "given, each of which starts with its id in square brackets, like [S12]. End every sentence with the "
    "id(s) of the quotes it rests on, e.g. [S12] or [S12, S40]. Do not use any other knowledge, do not invent "
    "quotes or ids, and if the quotes do not answer the question, say so in one sentence citing none."
)


def quote_to_document(quote: QuoteCard) -> Document:
    return Document(page_content=quote.text, id=quote.cite, metadata={
        "segment_id": quote.segment_id, "cite": quote.cite, "document": quote.document,
        "document_id": quote.document_id, "position": quote.position, "start": quote.start, "end": quote.end,
        "timestamp": quote.timestamp, "speaker": quote.speaker, "participant": quote.participant,
        "attributes": dict(quote.attributes), "codes": [c["id"] for c in quote.codes], "score": quote.score,
        "rank": quote.rank,
    })


class CodeseedRetriever(BaseRetriever):
    """LangChain retriever over a codeseed project (see the module docstring)."""

    project: Any  # index.project.Project
    k: int = 10
    include_interviewer: bool = False
    _last: AskResult | None = PrivateAttr(default=None)

    @property
    def last_result(self) -> AskResult | None:
        """The full :class:`AskResult` of the last query: what was understood, why nothing was found."""
        return self._last

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = ask(self.project, query, self.k, include_interviewer=self.include_interviewer)
        self._last = result
        return [quote_to_document(q) for q in result.quotes]


def build_messages(question: str, documents: list[Document]) -> list[BaseMessage]:
    """The prompt: instructions, the question, and the retrieved quotes tagged with their ids; nothing else."""
    quotes = "\n\n".join(f"[{_cite_of(d)}] {d.page_content}" for d in documents)
    return [SystemMessage(content=SYSTEM_PROMPT),
            HumanMessage(content=f"Question: {question}\n\nQuotes:\n\n{quotes}")]


def _cite_of(document: Document) -> str:
    cite = document.metadata.get("cite") or document.id
    if not cite:
        raise CodeseedError("a document has no citation id", field="metadata.cite",
                            fix="pass the documents CodeseedRetriever returned")
    return str(cite)


@dataclass(frozen=True)
class Synthesis:
    answer: str
    check: CitationCheck
    messages: list[BaseMessage]  # exactly what the model was sent


def synthesise(question: str, documents: list[Document], chat_model: Any) -> Synthesis:
    """Ask ``chat_model`` (any LangChain chat model) to answer from ``documents`` only, then check its citations."""
    if not documents:
        raise CodeseedError("there are no quotes to summarise", field="documents",
                            fix="ask a question that finds quotes first; a summary rests only on them")
    messages = build_messages(question, documents)
    reply = chat_model.invoke(messages)
    answer = reply.content if isinstance(reply.content, str) else _text_of(reply.content)
    return Synthesis(answer=answer, check=check_citations(answer, [_cite_of(d) for d in documents]),
                     messages=messages)


def _text_of(content: list[Any]) -> str:
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


_OPENAI_COMPATIBLE = re.compile(r"^(?P<url>https?://[^/:\s]+(?::\d+)?(?:/[^:\s]*)?):(?P<model>\S+)$")


def chat_model_from_spec(spec: str) -> Any:
    """A chat model from ``ollama:MODEL`` or ``openai-compatible:URL:MODEL`` (e.g.
    ``openai-compatible:http://localhost:8080/v1:qwen2.5``); the key, if the server wants one, comes from
    ``OPENAI_API_KEY``."""
    provider, _, rest = spec.partition(":")
    if provider == "ollama" and rest:
        package, kwargs = "langchain-ollama", {"model": rest, "model_provider": "ollama", "temperature": 0}
    elif provider == "openai-compatible" and _OPENAI_COMPATIBLE.match(rest):
        m = _OPENAI_COMPATIBLE.match(rest)
        package = "langchain-openai"
        kwargs = {"model": m.group("model"), "model_provider": "openai", "base_url": m.group("url"),
                  "api_key": os.environ.get("OPENAI_API_KEY", "not-needed"), "temperature": 0}
    else:
        raise CodeseedError(f"cannot read the model {spec!r}", field="llm",
                            fix="write ollama:MODEL (e.g. ollama:llama3.1) or openai-compatible:URL:MODEL "
                                "(e.g. openai-compatible:http://localhost:8080/v1:qwen2.5)")
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(**kwargs)
    except ImportError:
        raise CodeseedError(f"the {package} package is needed for {provider} models and is not installed",
                            field="llm", fix=f"pip install {package}") from None
