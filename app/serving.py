"""Who may reach the coding app, and what it loads: the checks before serving, and the server itself.

- **Host**: 127.0.0.1 (this machine) unless told otherwise, and any other host only with a login (``--auth``).
- **Same origin**: a request that changes something (POST, PUT, PATCH, DELETE: decisions, uploads, imports)
  sent by a page of another site is refused with 403. Browsers name the page's site in ``Origin`` (or
  ``Referer``); a request naming neither comes from no web page (a script, ``curl``) and is let through, as a
  login still guards it when one is set.
- **Nothing names the project folder without a login**: the page's title (which ``manifest.json`` repeats to
  anyone) is plain "codeseed"; the project's name is inside the app, behind the login when there is one.
- **Nothing loaded from elsewhere**: system fonts, no CDN, no analytics, no share link, no run history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index.errors import CodeseedError
from index.project import Project

from . import assets

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.")


def check_serving(host: str, auth: str | None) -> tuple[str, str] | None:
    """The (user, password) to require, if any; refuses to serve beyond this machine without one."""
    credentials = None
    if auth is not None:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise CodeseedError("--auth takes USER:PASSWORD, both non-empty", field="auth")
        credentials = (user, password)
    if not is_local(host) and credentials is None:
        raise CodeseedError(
            f"refusing to serve on {host}: anyone who can reach this machine could read the transcripts",
            field="host", fix="add --auth USER:PASSWORD (and prefer a trusted network), or leave out --host "
                              "to serve on 127.0.0.1 (this machine only)")
    return credentials


# -- same origin ----------------------------------------------------------------------------------------------
def foreign_origin(method: str, headers: Mapping[str, str]) -> str | None:
    """The other site a state-changing request came from (to refuse it), or None if it may go on.

    ``headers`` with lower-case names, as ASGI gives them."""
    if method.upper() in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        if not referer:
            return None  # not sent by a web page
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    served_as = {h.strip().lower() for h in (headers.get("host"), headers.get("x-forwarded-host")) if h}
    if origin != "null" and urlsplit(origin).netloc.lower() in served_as:
        return None
    return origin


class SameOriginGuard:
    """ASGI middleware: answers 403 to a state-changing request from a page of another site."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
            origin = foreign_origin(scope["method"], headers)
            if origin is not None:
                await refuse(send, scope["method"], origin)
                return
        await self.app(scope, receive, send)


async def refuse(send: Any, method: str, origin: str) -> None:
    body = json.dumps({"error": f"codeseed refused a {method} from another site ({origin}): only the app's own "
                                "page may change the project"}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# -- launching ------------------------------------------------------------------------------------------------
def launch_options() -> dict[str, Any]:
    """What keeps the app on this machine and to its own page: system fonts, no footer links, no run history, no
    monitoring, and the same-origin guard."""
    import gradio as gr
    from starlette.middleware import Middleware

    theme = gr.themes.Default(primary_hue="teal", secondary_hue="slate", neutral_hue="slate",
                              font=SYSTEM_FONTS, font_mono=MONO_FONTS, radius_size="md")
    return {"theme": theme, "css": assets.css(), "head": assets.head(), "footer_links": [], "run_history": False,
            "enable_monitoring": False, "ssr_mode": False, "share": False, "mcp_server": False, "pwa": False,
            "show_error": True, "max_file_size": "500mb",
            "app_kwargs": {"middleware": [Middleware(SameOriginGuard)]}}


def start(folder: str | Path, *, coder: str | None = None, host: str = "127.0.0.1", port: int = 7860,
          auth: str | None = None, block: bool = True, quiet: bool = False, refit_every: int | None = None):
    """Open the project and serve it; with ``block=False`` return (blocks, app) once it is up (tests, benchmarks).

    ``refit_every``: decisions between background refits of the suggester (None: the default, 0: never)."""
    from .core import CodingApp

    credentials = check_serving(host, auth)
    project = Project.open(folder)
    try:
        app = CodingApp(project, coder=coder, **({} if refit_every is None else {"refit_every": refit_every}))
        demo = app.build()
        demo.launch(server_name=host, server_port=port, auth=credentials, prevent_thread_lock=True, quiet=True,
                    **launch_options())
    except BaseException:
        project.close()
        raise
    if not quiet:
        where = f"http://{'[' + host + ']' if ':' in host else host}:{demo.server_port}"
        print(f"codeseed app: {project.folder} is served at {where} "
              f"({'login required' if credentials else 'this machine only'}"
              f"{', coder ' + coder if coder else ''}). Ctrl+C stops it.", flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
            project.close()
    return demo, app

