"""Cited summaries from a local model, over real HTTP: the test starts an OpenAI-compatible server on 127.0.0.1 (a
few lines of http.server answering with a scripted completion) and a conversation asks it to summarise."""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index.errors import CodeseedError
from suggest.ask.chat import Conversation
from suggest.ask.chat_text import export_markdown, format_reply
from suggest.ask.langchain_adapter import model_location, parse_model_spec

from test_chat import synthetic  # noqa: F401  the synthetic project with known attributes


class Scripted(BaseHTTPRequestHandler):
    """Answers POST .../chat/completions: one cited sentence, one citing a quote it was not given, one uncited."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802  (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Scripted.received.append({"path": self.path, "body": body})
        cites = re.findall(r"^\[(S\d+)\]", body["messages"][-1]["content"], re.M)
        content = (f"Funding was cut or is short [{cites[0]}]. Money comes from charities [{cites[1]}, S99999]. "
                   "Services should change.")
        reply = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content}}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def model_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Scripted.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_summary_cites_the_quotes_and_a_bad_citation_is_flagged(synthetic, model_server):  # noqa: F811
    chat = Conversation(synthetic, coder="ana", llm=f"openai-compatible:{model_server}:scripted-model")
    found = chat.say("quotes about funding from women")
    reply = chat.say("summarise what they say")
    (request,) = Scripted.received
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "scripted-model"
    sent = request["body"]["messages"][-1]["content"]
    assert [f"S{q.segment_id}" for q in found.quotes] == re.findall(r"^\[(S\d+)\]", sent, re.M)
    for q in found.quotes:  # the quotes, verbatim, and nothing of the other participants
        assert f"[{q.cite}] {q.text}" in sent
    assert "Funding for the team is always short." not in sent
    summary = reply.summary
    assert summary.answer.startswith("Funding was cut or is short [S")
    assert summary.check.unknown == ["S99999"] and summary.check.unsupported == ["Services should change."]
    assert summary.where == f"scripted-model on an OpenAI-compatible server at {model_server}, on this machine"
    text = format_reply(reply)
    assert "warning: [S99999] is not one of the quotes below" in text
    assert "warning: cites no quote: Services should change." in text
    assert "Money comes from charities" in export_markdown(synthetic, "ana")
    chat.say("only men")
    assert chat.say("and in third sector services").quotes == []  # the one third-sector participant is a woman
    assert chat.say("summarise").problem == "no quotes to summarise, so nothing was sent to the model"
    assert len(Scripted.received) == 1


def test_a_model_server_that_is_down_or_elsewhere_gives_a_clear_error(synthetic, model_server):  # noqa: F811
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = f"openai-compatible:http://127.0.0.1:{port}/v1:m"
    chat = Conversation(synthetic, coder="ana", llm=down)
    chat.say("quotes about funding")
    with pytest.raises(CodeseedError, match="did not answer") as error:
        chat.say("summarise")
    assert "How to fix" in str(error.value)
    with pytest.raises(CodeseedError, match="not on this machine"):
        parse_model_spec("openai-compatible:https://api.example.com/v1:gpt")
    assert parse_model_spec("ollama:llama3.1") == ("ollama", "http://127.0.0.1:11434/v1", "llama3.1")
    assert model_location("ollama:llama3.1") == "llama3.1 on Ollama at http://127.0.0.1:11434/v1, on this machine"
    with pytest.raises(CodeseedError, match="cannot read the model"):
        parse_model_spec("gpt-4")
