"""The page: a header (project name, coder box) over one tab per entry of :data:`app.tabs.TABS`."""

from __future__ import annotations

import gradio as gr

from .render import render_brand
from .tabs import TABS, Shell

TITLE = "codeseed"  # the browser tab's title


def build(app) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        session = gr.State(None)
        saved_coder = gr.BrowserState(None, storage_key="codeseed-coder", secret="codeseed-coder-name")
        with gr.Row(elem_id="cs-header", equal_height=True):
            gr.HTML(render_brand(app.project.folder.name), js_on_load=None, scale=4)
            coder_box = gr.Textbox(label="Coder", placeholder="your name", elem_id="cs-coder", scale=1, min_width=220,
                                   max_lines=1, value=app.coder or "", interactive=app.coder is None,
                                   container=False)
        shell = Shell(demo=demo, session=session, saved_coder=saved_coder, coder_box=coder_box)
        with gr.Tabs(elem_id="cs-tabs"):
            for tab in TABS:
                if tab.available():
                    with gr.Tab(tab.label, id=tab.id) as component:
                        tab.build(app, shell, component)
    return demo
