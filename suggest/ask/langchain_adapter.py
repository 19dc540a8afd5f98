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
* :func:`chat_model_from_spec` — ``ollama:MODEL`` or ``openai-compatible:URL:MODEL`` (a server on this
  machine such as llama.cpp, vLLM or LM Studio; other hosts are refused). Both speak the OpenAI chat API
  (Ollama at ``/v1``), so one client serves both: ``langchain-openai``, the ``llm`` extra.
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
    try:
        reply = chat_model.invoke(messages)
    except Exception as error:  # the client's own errors (connection refused, timeout, HTTP 4xx/5xx) vary by package
        where = getattr(chat_model, "openai_api_base", None) or type(chat_model).__name__
        raise CodeseedError(f"the model at {where} did not answer: {type(error).__name__}: {error}", field="llm",
                            fix="check that the model server is running on this machine and serves that model "
                                "(e.g. `ollama serve` and `ollama pull MODEL`)") from None
    answer = reply.content if isinstance(reply.content, str) else _text_of(reply.content)
    return Synthesis(answer=answer, check=check_citations(answer, [_cite_of(d) for d in documents]),
                     messages=messages)


def _text_of(content: list[Any]) -> str:
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


_OPENAI_COMPATIBLE = re.compile(r"^(?P<url>https?://(?P<host>\[[^\]]+\]|[^/:\s]+)(?::\d+)?(?:/[^:\s]*)?):(?P<model>\S+)$")
OLLAMA_URL = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible endpoint
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
_SPEC_FIX = ("write ollama:MODEL (e.g. ollama:llama3.1) or openai-compatible:URL:MODEL "
             "(e.g. openai-compatible:http://127.0.0.1:8080/v1:qwen2.5)")


def parse_model_spec(spec: str) -> tuple[str, str, str]:
    """(provider, base URL, model) of ``ollama:MODEL`` or ``openai-compatible:URL:MODEL``; refuses a server that
    is not on this machine, since the quotes would be sent to it."""
    provider, _, rest = (spec or "").strip().partition(":")
    if provider == "ollama" and rest:
        return provider, OLLAMA_URL, rest
    m = _OPENAI_COMPATIBLE.match(rest) if provider == "openai-compatible" else None
    if m is None:
        raise CodeseedError(f"cannot read the model {spec!r}", field="llm", fix=_SPEC_FIX)
    host = m.group("host").lower()
    if host not in _LOCAL_HOSTS and not host.startswith("127."):
        raise CodeseedError(f"the model server {m.group('url')} is not on this machine, and the quotes would be sent "
                            "to it", field="llm",
                            fix="run the model on this machine (Ollama, llama.cpp, vLLM, LM Studio) and name it by "
                                "127.0.0.1 or localhost")
    return provider, m.group("url"), m.group("model")


def model_location(spec: str) -> str:
    """Where the model of ``spec`` runs, in words, for the app and the command line to show."""
    provider, url, model = parse_model_spec(spec)
    server = "Ollama" if provider == "ollama" else "an OpenAI-compatible server"
    return f"{model} on {server} at {url}, on this machine"


def chat_model_from_spec(spec: str) -> Any:
    """A chat model from ``ollama:MODEL`` (Ollama's OpenAI-compatible endpoint on this machine) or
    ``openai-compatible:URL:MODEL`` (a server on this machine: llama.cpp, vLLM, LM Studio); the key, if the server
    wants one, comes from ``OPENAI_API_KEY``. Both through ``langchain-openai`` (the ``llm`` extra)."""
    _, url, model = parse_model_spec(spec)
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise CodeseedError("the langchain-openai package is needed to talk to a local model and is not installed",
                            field="llm", fix="pip install 'codeseed[llm]' (or pip install langchain-openai)") from None
    return ChatOpenAI(model=model, base_url=url, api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),
                      temperature=0, max_retries=0, timeout=120)
