"""The coding app's edges without a browser: who may connect, what the page may load, what the HTML escapes."""

import re

import pytest

from app.serving import launch_options
from app_gradio import CodingApp, check_serving, render_card, render_side
from codeseed_cli import main
from index.errors import CodeseedError
from suggest.review import Card, ItemView, Progress, QueueFilter
from index.types import Segment


def test_serves_this_machine_only_unless_a_login_is_required():
    assert check_serving("127.0.0.1", None) is None
    assert check_serving("localhost", None) is None
    assert check_serving("0.0.0.0", "ana:s3cret") == ("ana", "s3cret")
    with pytest.raises(CodeseedError, match="refusing to serve on 0.0.0.0"):
        check_serving("0.0.0.0", None)
    with pytest.raises(CodeseedError, match="refusing to serve on 192.168.1.5"):
        check_serving("192.168.1.5", None)
    for bad in ("ana", ":pw", "ana:"):
        with pytest.raises(CodeseedError, match="USER:PASSWORD"):
            check_serving("127.0.0.1", bad)


def test_the_command_refuses_a_public_host_without_auth_before_doing_anything(tmp_path, capsys):
    assert main(["app", str(tmp_path / "no-such-project"), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "codeseed app: error:" in err and "refusing to serve on 0.0.0.0" in err and "--auth" in err


def test_the_page_loads_nothing_from_elsewhere():
    options = launch_options()
    theme = options["theme"]
    assert "googleapis" not in theme._get_theme_css() and "http" not in theme.font
    assert options["footer_links"] == [] and options["run_history"] is False and options["share"] is False
    assert options["enable_monitoring"] is False and options["ssr_mode"] is False
    assert "http" not in options["head"] and "http" not in options["css"]


def test_text_from_the_project_is_escaped():
    evil = '<img src=x onerror="alert(1)">'
    segment = Segment(id=7, document_id=1, document="D<1>", position=0, start=0, end=10, text=evil, speaker=evil,
                      participant=None, is_interviewer=False)
    item = ItemView(code='A"1', name=evil, theme=None, score=0.5, threshold=0.4, confident=True, status="pending",
                    evidence=())
    card = Card(segment=segment, position=1, total=1, attributes={"role": evil}, before=(), after=(), items=(item,),
                focus=0, codings=(), progress=Progress(0, 1), reviewed=False, coder=evil, order="document",
                filters=QueueFilter(), message=evil, suggester="v", token=1)
    page = render_card(card) + render_side(card)
    assert "<img" not in page and "&lt;img src=x" in page and 'data-code="A&quot;1"' in page


# -- the typed command a review button sends -------------------------------------------------------------------
def test_a_command_from_the_browser_is_parsed_into_its_fields():
    from app.commands import Command

    assert Command.parse('{"action": "accept", "segment": "42", "code": "W", "coder": "ana"}') == Command(
        "accept", segment=42, code="W", coder="ana")
    assert Command.parse('{"action": "next", "segment": ""}') == Command("next")
    assert Command.parse('{"action": "reject", "segment": 7, "code": ""}') == Command("reject", segment=7)


@pytest.mark.parametrize("text, says", [
    ("", "not JSON"), ("{oops", "not JSON"), ('["accept"]', "not a command object"),
    ('{"action": "delete"}', "unknown action 'delete'"), ('{"action": "accept", "segment": "1; DROP"}', "segment"),
    ('{"action": "accept", "segment": -3}', "not a segment id"), ('{"action": "accept", "code": 5}', "code 5"),
    ('{"action": "accept", "extra": 1}', "unknown field 'extra'"),
])
def test_a_bad_command_is_refused_with_a_clear_message(text, says):
    from app.commands import Command

    with pytest.raises(CodeseedError, match=re.escape(says)) as error:
        Command.parse(text)
    assert "How to fix" in str(error.value)


@pytest.fixture
def coding_app(tmp_path, fake_encoder):
    from tests.conftest import coded_project

    project = coded_project(tmp_path, fake_encoder, {"P1": "Interviewer: How was it?\nP1: The waiting list was months long.\n"
                                                           "P1: The staff were kind.\nP1: Parking cost a lot.\n"
                                                           "P1: Nobody told us how long it would take.\n"})
    project.build_index()
    yield CodingApp(project)
    project.close()


def test_a_bad_command_shows_the_apps_message_and_changes_nothing(coding_app):
    from app.tabs import review

    session, card, side = review.act(coding_app, '{"action": "explode", "coder": "ana"}', None)
    assert "cs-error" in side and "unknown action &#x27;explode&#x27;" in side and "How to fix" in side
    assert 'data-segment="' in card and coding_app.project.store.decisions() == []
    session, card, side = review.act(coding_app, '{"action": "accept", "coder": "ana"}', session)
    assert "cs-error" not in side and [d["decision"] for d in coding_app.project.store.decisions()] == ["accept"]


def test_an_index_error_in_ask_is_shown_as_the_apps_message(coding_app):
    from app.tabs import ask
    from tests.conftest import FakeEncoder

    coding_app.project.use_encoder(FakeEncoder(identifier="another-model"))  # the index was built with fake-bow-64
    chats = ask.Chats(coding_app)
    messages = ask.send(chats, "ana", "staff kind", [])[0]
    shown = messages[-1]["content"]
    assert 'class="cs-message cs-error"' in shown and "another-model" in shown and "How to fix" in shown
    coding_app.project.use_encoder(FakeEncoder())
    messages = ask.send(chats, "ana", "staff kind", messages)[0]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2 and "cs-quotecard" in messages[-1]["content"]
    out = ask.remove(chats, "ana", 0, messages)  # a chip of a state with no filter: the screen as it is
    assert out[0] == messages and out[1]["visible"] is True
    with open(ask.export(chats, "ana"), encoding="utf-8") as exported:
        assert exported.read().count("### staff kind") == 1  # the turn that failed is not kept
    restored = ask.history(chats, "ana")
    assert [m["role"] for m in restored[0]] == ["user", "assistant"]
    # opening the tab restores the chat but leaves the question box alone (a question typed meanwhile stays);
    # sending a question clears it
    import gradio as gr

    question_box = 2 + ask.MAX_CHIPS
    assert restored[question_box] == gr.update() and ask.send(chats, "ana", "staff kind", [])[question_box] == ""
    # the model for summaries: only one on this machine, and the tab says where it runs
    assert "is not on this machine" in ask.set_model(chats, "openai-compatible:http://10.0.0.9:8080/v1:m")
    assert chats.llm is None
    said = ask.set_model(chats, "ollama:llama3.1")
    assert "Summaries by llama3.1 on Ollama at http://127.0.0.1:11434/v1, on this machine" in said
    assert chats.of("ana").llm == "ollama:llama3.1"
    assert "nothing is sent anywhere" in ask.set_model(chats, "") and chats.of("ana").llm is None


def test_when_the_card_cannot_be_made_the_review_shows_why(coding_app, monkeypatch):
    from app.tabs import review
    from index.errors import ModelError

    session, *_ = review.on_load(coding_app, "ana")

    def broken():
        raise ModelError("the model folder is gone", fix="reinstall codeseed")

    monkeypatch.setattr(session, "card", broken)
    _, card, side = review.act(coding_app, '{"action": "next"}', session)
    assert "the model folder is gone" in card and "cs-error" in side and "reinstall codeseed" in side


# -- same origin ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, headers, refused", [
    ("GET", {"origin": "http://evil.example", "host": "127.0.0.1:7860"}, None),
    ("POST", {"origin": "http://127.0.0.1:7860", "host": "127.0.0.1:7860"}, None),
    ("POST", {"host": "127.0.0.1:7860"}, None),  # no page sent it: a script, curl
    ("POST", {"origin": "http://evil.example", "host": "127.0.0.1:7860"}, "http://evil.example"),
    ("PUT", {"origin": "http://127.0.0.1:7861", "host": "127.0.0.1:7860"}, "http://127.0.0.1:7861"),
    ("POST", {"origin": "null", "host": "127.0.0.1:7860"}, "null"),
    ("POST", {"referer": "https://evil.example/x?y", "host": "127.0.0.1:7860"}, "https://evil.example"),
    ("POST", {"referer": "http://127.0.0.1:7860/", "host": "127.0.0.1:7860"}, None),
    ("DELETE", {"origin": "https://codes.lab.org", "host": "10.0.0.5:7860", "x-forwarded-host": "codes.lab.org"},
     None),
])
def test_only_the_apps_own_page_may_change_the_project(method, headers, refused):
    from app.serving import foreign_origin

    assert foreign_origin(method, headers) == refused


# -- package data -----------------------------------------------------------------------------------------------
def test_a_built_wheel_holds_the_apps_css_and_script_and_they_load_from_it(tmp_path):
    """What a non-editable install gets: build the wheel from a copy of the sources, load the assets from it."""
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("index", "suggest", "eval", "app", "cli"):
        shutil.copytree(root / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "app_gradio.py", "codeseed_cli.py"):
        shutil.copy(root / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("codeseed-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert {"app/static/app.css", "app/static/keys.js"} <= set(archive.namelist())
        archive.extractall(site)
    probe = ("from app import assets; import pathlib; print(pathlib.Path(str(assets.STATIC)).resolve()); "
             "print(len(assets.css()), 'window.csCommand' in assets.head())")
    shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True,
                           env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}).stdout.split("\n")
    assert shown[0] == str((site / "app" / "static").resolve())
    assert shown[1] == f"{len((root / 'app' / 'static' / 'app.css').read_text(encoding='utf-8'))} True"


def test_when_no_review_session_can_be_made_every_review_handler_shows_why(coding_app, monkeypatch):
    from app.tabs import review
    from index.errors import IndexMismatchError

    def broken(coder):
        raise IndexMismatchError("the index was built with another model", fix="run codeseed index --rebuild")

    monkeypatch.setattr(coding_app, "new_session", broken)
    shown = [review.on_load(coding_app, "ana"), review.act(coding_app, '{"action": "next"}', None),
             review.pick(coding_app, "W", None), review.set_coder(coding_app, "ben", None),
             review.set_queue(coding_app, "document", [], [], False, None)]
    for outputs in shown:
        card, side = (outputs[2], outputs[3]) if len(outputs) == 7 else (outputs[1], outputs[2])
        assert outputs[0] is None and "another model" in card and "cs-error" in side and "--rebuild" in side


def test_the_app_and_the_cli_catch_the_error_root_never_a_narrower_class():
    """A handler catching only, say, InputFileError would let a ModelError reach Gradio's generic popup."""
    import ast
    from pathlib import Path

    import index.errors

    root = Path(__file__).resolve().parents[1]
    narrower = {name for name, value in vars(index.errors).items()
                if isinstance(value, type) and issubclass(value, CodeseedError) and value is not CodeseedError}
    assert {"IndexLayerError", "ModelError", "IndexMismatchError"} <= narrower
    for path in [*(root / "app").rglob("*.py"), *(root / "cli").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
                          for n in ast.walk(node.type) if isinstance(n, (ast.Name, ast.Attribute))}
                assert not caught & narrower, f"{path.relative_to(root)}:{node.lineno} catches {caught & narrower}"
