"""The coding app's edges without a browser: who may connect, what the page may load, what the HTML escapes."""

import pytest

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
    options = CodingApp.launch_options()
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
