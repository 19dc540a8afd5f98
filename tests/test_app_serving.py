"""The coding app's server over real HTTP on 127.0.0.1: pages of other sites cannot change the project, nothing
names the project folder without a login, and the app's own CSS and keyboard script are served.

The project uses the fake encoder (no model to load); the server is launched with the app's own launch options,
exactly as ``codeseed app`` launches it.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid

import pytest

from app.core import CodingApp
from app.serving import launch_options
from index.project import Project
from tests.conftest import FakeEncoder, coded_project

SECRET = "secret-study-x7"  # the project folder's name: must not be shown to anyone without the login
TRANSCRIPTS = {"P1": "Interviewer: How was it?\nP1: The waiting list was months long.\nP1: The staff were kind.\n"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp_path, auth=None):
    coded_project(tmp_path / "files", FakeEncoder(), TRANSCRIPTS).close()
    folder = (tmp_path / "files" / "proj").rename(tmp_path / SECRET)
    project = Project.open(folder)
    project.use_encoder(FakeEncoder())
    app = CodingApp(project)
    demo = app.build()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, auth=auth, prevent_thread_lock=True, quiet=True,
                **launch_options())
    return demo, app, f"http://127.0.0.1:{port}"


@pytest.fixture
def served(tmp_path):
    demo, app, url = serve(tmp_path)
    yield app, url
    demo.close()
    app.project.close()


@pytest.fixture
def served_with_login(tmp_path):
    demo, app, url = serve(tmp_path, auth=("ana", "s3cret"))
    yield app, url
    demo.close()
    app.project.close()


def request(url: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, body text) of one real HTTP request."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def upload(url: str, headers: dict) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"evil.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nP1: planted\r\n--{boundary}--\r\n").encode()
    return request(f"{url}/gradio_api/upload", method="POST", body=body,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers})


def test_a_page_of_another_site_cannot_upload_or_decide(served):
    app, url = served
    host = url.removeprefix("http://")
    status, text = upload(url, {"Origin": "http://evil.example"})
    assert status == 403 and "another site (http://evil.example)" in text
    status, _ = upload(url, {"Referer": "http://evil.example/page.html"})  # no Origin: the Referer tells
    assert status == 403
    status, _ = upload(url, {"Origin": "null"})  # a sandboxed frame or a local file
    assert status == 403
    status, _ = upload(url, {"Origin": f"http://127.0.0.1:{int(host.rsplit(':', 1)[1]) + 1}"})  # another port
    assert status == 403
    join = json.dumps({"data": ['{"action": "accept"}', None], "fn_index": 1, "session_hash": "x"}).encode()
    status, _ = request(f"{url}/gradio_api/queue/join", method="POST", body=join,
                        headers={"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert status == 403
    assert app.project.store.decisions() == []
    # the app's own page, and a script that is no web page, may upload
    status, text = upload(url, {"Origin": url})
    assert status == 200 and "evil.txt" in text
    status, text = upload(url, {})
    assert status == 200 and "evil.txt" in text
    # reading is not changing: a GET from anywhere is answered (the browser keeps it from the other site's page)
    assert request(f"{url}/config", headers={"Origin": "http://evil.example"})[0] == 200


def test_no_page_names_the_project_folder_without_the_login(served_with_login):
    app, url = served_with_login
    for path in ("/manifest.json", "/", "/config", "/gradio_api/info", "/login_check", "/theme.css"):
        status, text = request(url + path)
        assert SECRET not in text, path
    status, text = request(url + "/manifest.json")
    assert status == 200 and json.loads(text)["name"] == "codeseed"
    assert request(url + "/config")[0] in (401, 403)


def test_without_a_login_the_manifest_does_not_name_the_folder_and_the_app_shows_it(served):
    app, url = served
    assert SECRET not in request(url + "/manifest.json")[1]
    config = json.loads(request(url + "/config")[1])
    assert SECRET in json.dumps(config["components"])  # the header, inside the app


def test_the_apps_own_css_and_keys_script_are_served(served):
    from app import assets

    app, url = served
    status, text = request(url + "/config")
    config = json.loads(text)
    assert status == 200
    assert ".cs-sugg.focused" in config["css"] and config["css"] == assets.css()
    assert "window.csCommand = (action)" in config["head"] and config["head"] == assets.head()
