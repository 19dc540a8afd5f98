"""Ask as a conversation against a project: a synthetic project with known attributes (fake encoder, exact
numbers), turn by turn; counting; the history kept per coder across a restart; Markdown export; `codeseed chat`."""

from __future__ import annotations

import io
import json

import pytest

from index.project import Project
from suggest.ask.chat import Conversation
from suggest.ask.chat_text import export_markdown, format_reply
from suggest.ask.conversation import State
from suggest.ask.counting import tabulate
from suggest.ask.retrieval import descendants

TRANSCRIPTS = {
    "P1": "Interviewer: Tell me about funding.\nP1: The funding was cut last year.\nP1: Staff judged me with stigma.\n",
    "P2": "P2: Funding for the team is always short.\n\nP2: The car park is full.\n",
    "P3": "P3: We never have the money we need.\n\nP3: Stigma follows people everywhere.\n",
    "P4": "P4: Waiting lists are long.\n\nP4: Funding decisions take months in our service.\n",
    "P5": "P5: Our funding comes from charities.\n",
}
PEOPLE = ("participant_id,gender,role,setting\nP1,female,nurse,generic\nP2,male,nurse,specialist\n"
          "P3,female,social worker,specialist\nP4,male,psychologist,generic\nP5,female,psychologist,third sector\n")
CODEBOOK = "code,parent,name,description\nF,,Funding,money and budgets\nS,,Stigma,labelling and judgement\n"
CODINGS = ("document,text,code\nP1,The funding was cut last year.,F\nP3,We never have the money we need.,F\n"
           "P3,Stigma follows people everywhere.,S\n")


@pytest.fixture
def synthetic(tmp_path, fake_encoder):
    for name, text in TRANSCRIPTS.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE)
    (tmp_path / "codebook.csv").write_text(CODEBOOK)
    (tmp_path / "codings.csv").write_text(CODINGS)
    project = Project.init(tmp_path / "proj")
    project.use_encoder(fake_encoder)
    project.import_documents([tmp_path / f"{n}.txt" for n in TRANSCRIPTS], attributes=tmp_path / "people.csv")
    project.import_codebook(tmp_path / "codebook.csv")
    project.import_codings(tmp_path / "codings.csv", coder="ana")
    project.build_index()
    yield project
    project.close()


def ids(project) -> dict[str, int]:
    return {s.text: s.id for s in project.segments()}


def said(reply) -> set[str]:
    return {q.text for q in reply.quotes}


def test_a_conversation_turn_by_turn(synthetic):
    seg = ids(synthetic)
    chat = Conversation(synthetic, coder="ana")
    first = chat.say("show quotes about funding")
    assert first.changes == ("new question",)
    assert said(first) >= {"The funding was cut last year.", "Funding for the team is always short.",
                           "Our funding comes from charities.", "We never have the money we need."}
    assert "Tell me about funding." not in said(first)  # interviewer turns stay out
    assert [c.id for c in first.understood.codes] == ["F"]
    women = chat.say("only women")
    assert women.changes == ("added gender = female", "kept topic: funding")
    assert {q.participant for q in women.quotes} == {"P1", "P3", "P5"}
    specialist = chat.say("and in specialist services?")
    assert specialist.changes == ("added setting = specialist", "kept gender = female · topic: funding")
    assert said(specialist) == {"We never have the money we need."}  # coded with F: lifted, though no word matches
    generic = chat.say("and in generic services?")
    assert generic.changes[0] == "replaced setting = specialist by setting = generic"
    assert said(generic) == {"The funding was cut last year."}
    with_interviewer = chat.say("include the interviewer")
    assert said(with_interviewer) == {"The funding was cut last year.", "Tell me about funding."}
    back = chat.say("not the interviewer")
    assert back.changes[0] == "interviewer turns left out" and said(back) == {"The funding was cut last year."}
    codes = chat.say("what codes do these have?")
    assert [(c.code, c.quotes, c.coders) for c in codes.codes] == [("F", (f"S{seg['The funding was cut last year.']}",),
                                                                    ("ana",))]
    assert codes.state == back.state
    removed = chat.remove_filter("setting")
    assert removed.changes == ("removed setting = generic",)
    assert {q.participant for q in removed.quotes} == {"P1", "P3", "P5"}
    chat.say("start over")
    assert chat.state == State()


def test_more_like_the_second_one_searches_by_that_quote(synthetic):
    chat = Conversation(synthetic, coder="ana", k=3)
    first = chat.say("quotes about funding from men")
    second = first.quotes[1]
    like = chat.say("more like the second one")
    assert like.state.like == second.segment_id and like.changes[0] == f"searching for quotes like {second.cite} (quote 2)"
    assert second.segment_id not in {q.segment_id for q in like.quotes}
    assert {q.participant for q in like.quotes} <= {"P2", "P4"}  # the filter stays: men only
    assert like.understood.topic.startswith(f'like {second.cite}: "')
    assert chat.say("more like the ninth one").problem.startswith("there is no quote 9")


def test_counting_by_group_with_the_quotes_behind_each_number(synthetic):
    seg = ids(synthetic)
    chat = Conversation(synthetic, coder="ana")
    reply = chat.say("how many participants mention funding, by setting?")
    table = reply.count
    assert table.group_by == "setting" and table.codes == ("F",)
    rows = {r.group: r for r in table.rows}
    assert list(rows) == ["generic", "specialist", "third sector", "all"]
    assert (rows["generic"].segments, rows["generic"].participants) == (4, 2)
    assert rows["generic"].search.participants == ("P1", "P4") and len(rows["generic"].search.segments) == 2
    assert rows["generic"].coded.segments == (seg["The funding was cut last year."],)
    assert rows["specialist"].search.segments == (seg["Funding for the team is always short."],)
    assert rows["specialist"].coded.participants == ("P3",)
    assert (len(rows["all"].search.participants), len(rows["all"].coded.participants)) == (4, 2)
    opened = chat.say("open specialist coded")
    assert said(opened) == {"We never have the money we need."}
    assert chat.open_count("generic", "search").quotes[0].participant == "P1"
    assert chat.say("open nowhere coded").problem.startswith("no count for 'nowhere' coded: groups are generic")
    women = chat.say("how many of them say this, by gender")  # the topic kept, grouped another way
    assert [(r.group, len(r.search.participants)) for r in women.count.rows] == [("female", 2), ("male", 2), ("all", 4)]
    text = format_reply(women)
    assert "open female coded" in text and "search: part." in text


def test_tabulate_counts_by_hand():
    import numpy as np

    rows = tabulate(["a", "a", "b", ""], ["P1", "P1", None, "P4"], [10, 11, 12, 13],
                    np.array([True, True, True, True]), np.array([True, True, False, False]),
                    np.array([False, True, True, True]))
    assert [(r.group, r.segments, r.participants, r.coded.segments, r.search.participants) for r in rows] == [
        ("a", 2, 1, (10, 11), ("P1",)), ("b", 1, 0, (), ()), ("(not recorded)", 1, 1, (), ("P4",)),
        ("all", 4, 2, (10, 11), ("P1", "P4"))]


def test_the_history_survives_a_restart_per_coder_and_exports_as_markdown(synthetic, fake_encoder):
    chat = Conversation(synthetic, coder="ana")
    chat.say("quotes about funding")
    chat.say("only women")
    folder = synthetic.folder
    synthetic.close()
    with Project.open(folder) as again:
        again.use_encoder(fake_encoder)
        resumed = Conversation(again, coder="ana")
        assert [f.label for f in resumed.state.filters] == ["gender = female"] and resumed.state.topic == "funding"
        assert [t["question"] for t in resumed.history()] == ["quotes about funding", "only women"]
        assert Conversation(again, coder="ben").state == State()  # another coder starts afresh
        assert resumed.say("and in generic services").changes[0] == "added setting = generic"
        resumed.say("start over")
        resumed.say("quotes about stigma")
        assert resumed.number == 2
        markdown = export_markdown(again, "ana")
        assert markdown.index("## Conversation 1") < markdown.index("### only women") < \
            markdown.index("## Conversation 2") < markdown.index("### quotes about stigma")
        assert "> [S" in markdown and "The funding was cut last year." in markdown and "— P1, P1, turn 2" in markdown
        assert "**Changed:** added gender = female; kept topic: funding" in markdown
        assert Conversation(again, coder="ana").state.topic == "stigma"


def test_cli_chat_reads_piped_questions_and_exports(synthetic, cli_on_fake_encoder, monkeypatch, capsys, tmp_path):
    from codeseed_cli import main

    folder = str(synthetic.folder)
    monkeypatch.setattr("sys.stdin", io.StringIO("quotes about funding\n\nonly women\nwhat codes do these have?\n"))
    assert main(["chat", folder, "--coder", "cy"]) == 0
    out = capsys.readouterr().out
    assert out.count("> ") >= 3 and "Changed: added gender = female; kept topic: funding" in out
    assert "Understood: gender = female · topic: funding" in out and "on S" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("and in specialist services\n"))
    assert main(["chat", folder, "--coder", "cy", "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["changes"][0] == "added setting = specialist" and line["result"]["quotes"][0]["participant"] == "P3"
    target = tmp_path / "cy.md"
    assert main(["chat", folder, "--coder", "cy", "--export", str(target)]) == 0
    assert target.read_text().count("### ") == 4
    monkeypatch.setattr("sys.stdin", io.StringIO("summarise what they say\n"))
    assert main(["chat", folder, "--coder", "cy"]) == 0
    assert "no local model is configured" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("summarise\n"))
    assert main(["chat", folder, "--coder", "cy", "--llm", "openai-compatible:http://10.1.2.3:8080/v1:m"]) == 2
    assert "is not on this machine" in capsys.readouterr().err


# -- the bundled sample with the real model ------------------------------------------------------------------------
from test_ask import demo  # noqa: E402,F401  the sample project, built once for this module


def test_a_conversation_on_the_sample(demo):  # noqa: F811
    participants = demo.store.participants()
    chat = Conversation(demo, coder="sample-test", keep=False)
    first = chat.say("show quotes about stigma in generic services")
    assert {q.attributes["setting"] for q in first.quotes} == {"generic"} and first.understood.codes[0].id == "2.3"
    women = chat.say("only women")
    assert {f.key: set(f.values) for f in women.state.filters} == {"setting": {"generic"}, "gender": {"female"}}
    assert women.quotes and all(q.attributes["gender"] == "female" for q in women.quotes)
    specialist = chat.say("and in specialist services?")
    assert {f.key: set(f.values) for f in specialist.state.filters} == {"setting": {"specialist"},
                                                                        "gender": {"female"}}
    assert specialist.quotes and {(q.attributes["setting"], q.attributes["gender"]) for q in specialist.quotes} == \
        {("specialist", "female")}
    assert specialist.state.topic == "stigma"
    like = chat.say("more like the first one")
    assert specialist.quotes[0].segment_id not in {q.segment_id for q in like.quotes}
    assert {(q.attributes["setting"], q.attributes["gender"]) for q in like.quotes} <= {("specialist", "female")}
    codes = chat.say("what codes do these have?").codes
    carried = {}
    for q in like.quotes:
        for c in q.codes:
            carried.setdefault(c["id"], []).append(q.cite)
    assert {c.code: list(c.quotes) for c in codes} == carried

    assert chat.remove_filter("setting").changes == ("removed setting = specialist",)  # count women in every setting
    table = chat.say("how many participants mention stigma, by setting?").count
    assert table.codes[0] == "2.3" and len(table.rows) > 2
    coded_by_hand: dict[str, set[str]] = {}
    wanted = set(descendants(demo.codes(), table.codes))  # the related codes and the codes below them
    segments = {s.id: s for s in demo.segments()}
    for coding in demo.store.codings():
        s = segments[coding["segment_id"]]
        person = participants.get(s.participant or "", {})
        if coding["code_id"] in wanted and person.get("gender") == "female" and not s.is_interviewer:
            coded_by_hand.setdefault(person["setting"], set()).add(s.participant)
    assert {r.group: set(r.coded.participants) for r in table.rows if r.coded.participants and r.group != "all"} \
        == coded_by_hand
    every = next(r for r in table.rows if r.group == "all")
    assert every.segments == sum(r.segments for r in table.rows if r.group != "all")
    assert chat.say("start over").state == State()
