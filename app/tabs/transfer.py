"""The Import / export tab: transcripts (with attributes), a codebook, attributes, codings in; codings (.csv) or
the whole project (.qdpx for NVivo/ATLAS.ti/MAXQDA) out. Every import is all or nothing; :mod:`index.importing` decides which room reads a file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from index.errors import CodeseedError
from index.importing import import_codebook as import_codebook_file
from index.importing import import_files as import_transcripts
from index.types import coder_name
from suggest.review import refit

from ..render import message, upload_names
from .base import Tab


# -- handlers -------------------------------------------------------------------------------------------------
def import_files(app, kind: str, files: Any, attributes: Any = None, coder: str | None = None,
                 skip_bad_rows: bool = False) -> str:
    paths = [Path(f) for f in (files if isinstance(files, list) else [files]) if f]
    if not paths:
        return message("Choose a file first.", error=True)
    extra = Path(attributes) if attributes else None
    try:
        with app.lock:
            text = IMPORTS[kind](app, paths, extra, coder_name(coder), skip_bad_rows)
    except CodeseedError as exc:
        return message(upload_names(str(exc), paths + ([extra] if extra else [])), error=True)
    return message(text)


def _transcripts(app, paths, attributes, coder, skip_bad_rows) -> str:
    report = import_transcripts(app.project, paths, attributes=attributes)
    refit(app.project, app.suggester)
    n = len(report.documents)
    return (f"Imported {n} document{'s' if n != 1 else ''}, {sum(d['segments'] for d in report.documents)} "
            "segments; index and suggester updated.")


def _codebook(app, paths, attributes, coder, skip_bad_rows) -> str:
    report = import_codebook_file(app.project, paths[0])
    app.suggester.fit()
    return f"Codebook: {report.codes} codes imported; the suggester was fitted again."


def _codings(app, paths, attributes, coder, skip_bad_rows) -> str:
    report = app.project.import_codings(paths[0], coder=coder, skip_bad_rows=skip_bad_rows)
    app.suggester.fit()
    skipped = f"; {len(report.codings_skipped)} rows skipped" if report.codings_skipped else ""
    return f"Codings: {report.codings} added{skipped}; the suggester was fitted again."


def _attributes(app, paths, attributes, coder, skip_bad_rows) -> str:
    report = app.project.import_attributes(paths[0])
    refit(app.project, app.suggester)
    return f"Attributes: {report.participants} participants; {report.linked_segments} segments linked."


IMPORTS = {"transcripts": _transcripts, "codebook": _codebook, "codings": _codings, "attributes": _attributes}


def export(app, fmt: str) -> tuple[str | None, str]:
    from index.exchange.refi_export import export_csv, export_refi

    name = app.project.folder.name
    out = Path(tempfile.mkdtemp(prefix="codeseed-export-")) / (f"{name}-codings.csv" if fmt == "csv"
                                                                else f"{name}.{fmt}")
    try:
        with app.lock:
            report = export_csv(app.project, out) if fmt == "csv" else export_refi(app.project, out, format=fmt)
    except CodeseedError as exc:
        return None, message(str(exc), error=True)
    return str(out), message(f"Wrote {out.name}: {report.codings} coded passages. Download it below.")


# -- layout and wiring ----------------------------------------------------------------------------------------
def upload(label: str, name: str, **options: Any) -> Any:
    return gr.File(label=label, elem_id=f"cs-upload-{name}", height=150, **options)


def build(app, shell, tab) -> None:
    gr.Markdown("Every import is all or nothing: a file with a problem is named with its row and field, and the "
                "project stays as it was.")
    note = gr.HTML(js_on_load=None, elem_id="cs-import-message")
    with gr.Row():
        with gr.Column():
            transcripts = upload("Transcripts (.txt .docx .vtt .srt .csv .xlsx .qdpx)", "transcripts",
                                 file_count="multiple")
            transcript_attrs = upload("Attributes for them (optional, .csv .xlsx)", "transcript-attributes")
            import_transcripts = gr.Button("Import transcripts", elem_id="cs-import-transcripts")
        with gr.Column():
            codebook = upload("Codebook (.csv .xlsx .yaml .qdc)", "codebook")
            import_codebook = gr.Button("Import codebook", elem_id="cs-import-codebook")
            attributes = upload("Attributes (.csv .xlsx)", "attributes")
            import_attributes = gr.Button("Import attributes", elem_id="cs-import-attributes")
        with gr.Column():
            codings = upload("Codings (.csv .xlsx)", "codings")
            codings_coder = gr.Textbox(label="Coder for rows without a coder column", max_lines=1)
            skip_bad = gr.Checkbox(False, label="Import the good rows, list the bad ones")
            import_codings = gr.Button("Import codings", elem_id="cs-import-codings")
    with gr.Row():
        export_csv = gr.Button("Export codings (.csv)", elem_id="cs-export-csv")
        export_qdpx = gr.Button("Export project for NVivo/ATLAS.ti/MAXQDA (.qdpx)", elem_id="cs-export-qdpx")
    download = gr.File(label="Download", interactive=False, elem_id="cs-download")

    import_transcripts.click(lambda f, a: import_files(app, "transcripts", f, a), [transcripts, transcript_attrs], note)
    import_codebook.click(lambda f: import_files(app, "codebook", f), [codebook], note)
    import_attributes.click(lambda f: import_files(app, "attributes", f), [attributes], note)
    import_codings.click(lambda f, c, s: import_files(app, "codings", f, coder=c, skip_bad_rows=s),
                         [codings, codings_coder, skip_bad], note)
    export_csv.click(lambda: export(app, "csv"), None, [download, note])
    export_qdpx.click(lambda: export(app, "qdpx"), None, [download, note])


TAB = Tab("import", "Import / export", build)
