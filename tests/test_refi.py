"""REFI-QDA exchange: real NVivo and qc files import with the right counts, spans stay exact, exports validate
against the QDA-XML schemas and round-trip, and the import rules hold on hand-made files.

The real files and schemas live in ``shared/refi-qda`` beside the repository (``$CODESEED_SHARED`` overrides);
they are other programs' files and are never copied into codeseed, so only the tests that use them (the ``refi``
and ``schemas`` fixtures) need shared/. Hostile and broken files: ``test_refi_hostile.py``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from codeseed_cli import main
from index.errors import InputFileError
from index.importing import import_codebook, import_files
from index.project import Project
from index.exchange.refi_export import export_csv, export_refi, project_model
from index.exchange.refi_import import covered_segments, import_refi
from index.exchange.refi_model import PENDING_CODER, describe, guid_for, slug, undescribe
from index.types import Code, Segment
from tests.conftest import snapshot
from tests.refi_files import CODES, G, TEXT, at, qdpx, selection, small_project_xml
from tests.shared_data import require_shared


def _shared() -> Path:
    needed = ["demo.qdpx", "nvivo_project.qdpx", "Project.xsd", "Codebook.xsd"]
    return require_shared(*(f"refi-qda/{name}" for name in needed)) / "refi-qda"


@pytest.fixture(scope="session")
def refi() -> Path:
    return _shared()


@pytest.fixture(scope="session")
def schemas(refi):
    import xmlschema

    return {"project": xmlschema.XMLSchema(str(refi / "Project.xsd")),
            "codebook": xmlschema.XMLSchema(str(refi / "Codebook.xsd"))}


def spans(project):
    """Coded passages as (document, start, end, code, coder): what a round trip must keep."""
    return sorted((p["document"], p["start"], p["end"], p["code_id"], p["coder"]) for p in project.store.coded_spans())


def codebook(project):
    return sorted((c.id, c.name, c.parent, c.description, c.inclusion, c.exclusion, c.example) for c in project.codes())


def qde_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


# -- the real files ----------------------------------------------------------------------------------------------
def test_nvivo_project_imports_users_and_codebook_and_reports_its_empty_sources(project, refi):
    report = import_files(project, [refi / "nvivo_project.qdpx"])
    assert report.program == "NVivo for Mac 15.0.0"
    assert report.coders == ["chrisp", "cp"]
    # The shared README says 131 codes in 3 levels; the file holds 262 Code elements, 7 levels deep.
    assert (report.codes, report.codes_new, len(project.codes())) == (262, 262, 262)
    assert report.documents == [] and report.codings == 0
    # NVivo wrote both sources as a 1-byte .txt and an empty .docx: nothing to code, said so.
    assert len(report.not_imported) == 2
    assert all("is blank" in line and ".docx is blank" in line for line in report.not_imported)
    assert set(project.store.exchange_ids("coder")) == {"chrisp", "cp"}
    tops = [c for c in project.codes() if c.parent is None]
    assert [c.id for c in tops] == ["rq1_definition", "rq2_curriculum_and_instruction", "rq3_process"]


def test_demo_project_imports_every_coding_with_its_exact_span(project, refi):
    report = import_files(project, [refi / "demo.qdpx"])
    assert [(d["name"], d["source"].endswith(f"sources/{d['name']}.txt")) for d in report.documents] == [
        ("board_2017", True), ("admin-1", True)]
    assert (report.codes, report.coders, report.sources) == (262, ["cp"], 2)
    assert (report.selections, report.refi_codings, report.coded_passages) == (158, 205, 205)
    # Five times one code is applied to two separate lines of one speaker turn: one coding, two exact passages.
    assert report.codings == 200 and report.not_imported == []

    with zipfile.ZipFile(refi / "demo.qdpx") as archive:
        root = ET.fromstring(archive.read("project.qde"))
        files = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("sources/")}
    ns = {"q": "urn:QDA-XML:project:1.0"}
    ids = project.store.exchange_ids("code")
    by_guid = {guid: cid for cid, guid in ids.items()}
    expected = set()
    for source in root.iterfind(".//q:TextSource", ns):
        name = Path(source.get("plainTextPath")).stem
        stored = project.store.document_by_name(name)["text"]
        assert stored == files[f"sources/{source.get('plainTextPath')}"]
        for sel in source.iterfind("q:PlainTextSelection", ns):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert stored[start:end].endswith("\n") and "\n" not in stored[start:end - 1]  # qc codes whole lines
            for coding in sel.iterfind("q:Coding", ns):
                expected.add((name, start, end, by_guid[coding.find("q:CodeRef", ns).get("targetGUID")], "cp"))
    assert len(expected) == 205 and set(spans(project)) == expected and len(spans(project)) == 205
    # Every passage's coding sits on a segment that holds most of the passage.
    segments = {s.id: s for s in project.segments()}
    for coding in project.store.coded_spans():
        segment = segments[coding["segment_id"]]
        assert min(segment.end, coding["end"]) - max(segment.start, coding["start"]) > 0


def test_code_ids_are_readable_and_names_used_twice_get_their_parent(project, refi):
    import_codebook(project, refi / "nvivo_project.qdpx")
    codes = {c.id: c for c in project.codes()}
    assert codes["programming"].parent == "competencies"
    assert codes["cs_as_programming/programming"].parent == "cs_as_programming"
    assert len({c.name for c in codes.values()}) == 252
    assert project.store.counts()["documents"] == 0  # --codebook brings the codebook only


# -- round trips -------------------------------------------------------------------------------------------------
def test_export_validates_and_round_trips_into_a_fresh_project(tmp_path, refi, schemas, fake_encoder):
    first = Project.init(tmp_path / "a" / "study")
    import_files(first, [refi / "demo.qdpx"])
    out = tmp_path / "study.qdpx"
    report = export_refi(first, out)
    assert (report.documents, report.codes, report.codings, report.coders) == (2, 262, 205, ["cp"])
    schemas["project"].validate(qde_of(out).decode("utf-8"))
    export_refi(first, tmp_path / "study.qdc", format="qdc")
    schemas["codebook"].validate(str(tmp_path / "study.qdc"))

    second = Project.init(tmp_path / "b" / "study")
    again = import_refi(second, out)
    assert again.not_imported == [] and again.codings == 200
    assert codebook(second) == codebook(first)
    assert spans(second) == spans(first)
    assert [d["text"] for d in second.store.documents_with_text()] == [d["text"] for d in first.store.documents_with_text()]
    # The original GUIDs travel: the second export is the first one, byte for byte.
    export_refi(second, tmp_path / "again.qdpx")
    assert qde_of(tmp_path / "again.qdpx") == qde_of(out)
    original = {c.get("guid") for c in ET.fromstring(read_member(refi / "demo.qdpx", "project.qde")).iter(
        "{urn:QDA-XML:project:1.0}Code")}
    exported = {c.get("guid") for c in ET.fromstring(qde_of(out)).iter("{urn:QDA-XML:project:1.0}Code")}
    assert exported == original
    first.close()
    second.close()


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def test_exports_are_reproducible(project, refi, tmp_path):
    import_files(project, [refi / "demo.qdpx"])
    for fmt in ("qdpx", "qdc"):
        export_refi(project, tmp_path / f"1.{fmt}", format=fmt)
        export_refi(project, tmp_path / f"2.{fmt}", format=fmt)
        assert (tmp_path / f"1.{fmt}").read_bytes() == (tmp_path / f"2.{fmt}").read_bytes()


def test_a_codeseed_project_round_trips_with_criteria_attributes_and_whole_segment_codings(tmp_path, schemas):
    (tmp_path / "P1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "codebook.csv").write_text(
        "code,parent,name,description,inclusion,exclusion,example\n"
        "A,,Access,Getting care,,,\n"
        "A1,A,Waiting,Delays,mentions time,not staff,\"\"\"months\"\"\"\n")
    (tmp_path / "codings.csv").write_text("document,text,code\nP1,The wait was far too long,A1\nP1,They were kind,A\n")
    (tmp_path / "docs.csv").write_text("document,site\nP1,north\n")
    native = Project.init(tmp_path / "native")
    native.import_documents([tmp_path / "P1.txt"], attributes=tmp_path / "docs.csv")
    native.import_codebook(tmp_path / "codebook.csv")
    native.import_codings(tmp_path / "codings.csv", coder="ana")
    export_refi(native, tmp_path / "native.qdpx")
    schemas["project"].validate(qde_of(tmp_path / "native.qdpx").decode("utf-8"))

    fresh = Project.init(tmp_path / "fresh")
    import_refi(fresh, tmp_path / "native.qdpx")
    # REFI-QDA has no place for codeseed's ids: a fresh project gets readable ids from the names ...
    assert [(c.id, c.parent, c.description, c.inclusion, c.exclusion, c.example) for c in fresh.codes()] == [
        ("access", None, "Getting care", "", "", ""), ("waiting", "access", "Delays", "mentions time", "not staff",
                                                        '"months"')]
    rename = {"A": "access", "A1": "waiting"}
    assert spans(fresh) == sorted((d, s, e, rename[c], who) for d, s, e, c, who in spans(native))
    assert fresh.store.documents()[0]["attributes"] == {"site": "north"}
    # ... while importing the export back into the project it came from recognises every code and document.
    report = import_refi(native, tmp_path / "native.qdpx")
    assert (report.codes_updated, report.codes_new, report.codings, report.documents) == (2, 0, 0, [])
    assert [c.id for c in native.codes()] == ["A", "A1"]
    native.close()
    fresh.close()


def test_pending_suggestions_go_out_as_their_own_user_and_never_come_back_as_codings(project, tmp_path, schemas):
    qdpx(tmp_path / "in.qdpx", small_project_xml(), {f"sources/{G(100)}.txt": TEXT})
    import_refi(project, tmp_path / "in.qdpx")
    segments = project.segments(include_interviewer=False)
    db = project.store.db
    for segment, code, confident in ((segments[0], "waiting", 1), (segments[1], "respect", 1),
                                     (segments[1], "access", 0), (segments[0], "respect", 1)):
        db.execute("INSERT INTO suggestions(segment_id, code_id, score, rank, confident, suggester, created_at)"
                   " VALUES (?,?,?,?,?,?,?)", (segment.id, code, 0.8, 1, confident, "test", "2025-01-01T00:00:00"))
    project.store.add_decision(segment_id=segments[0].id, code_id="respect", coder="ana", decision="reject",
                               score=0.8, suggester="test")
    assert [(s["segment_id"], s["code_id"]) for s in project.store.pending_suggestions()] == [
        (segments[0].id, "waiting"), (segments[1].id, "respect")]

    report = export_refi(project, tmp_path / "out.qdpx", include_suggestions=True)
    assert report.suggestions == 2
    qde = qde_of(tmp_path / "out.qdpx")
    schemas["project"].validate(qde.decode("utf-8"))
    assert f'name="{PENDING_CODER}"'.encode() in qde
    csv_report = export_csv(project, tmp_path / "out.csv", include_suggestions=True)
    assert csv_report.suggestions == 2
    assert (tmp_path / "out.csv").read_text(encoding="utf-8-sig").count("suggestion (pending review)") == 2

    fresh = Project.init(tmp_path / "fresh")
    back = import_refi(fresh, tmp_path / "out.qdpx")
    assert back.codings == 0 and PENDING_CODER not in back.coders
    assert any("unreviewed suggestions" in line and line.startswith("2 ") for line in back.not_imported)
    fresh.close()


def test_codings_csv_has_one_row_per_passage_and_imports_back(project, refi, tmp_path):
    import_files(project, [refi / "demo.qdpx"])
    export_csv(project, tmp_path / "codings.csv")
    import csv

    with open(tmp_path / "codings.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 205
    assert list(rows[0]) == ["document", "start", "end", "text", "code", "code_name", "coder", "origin", "score"]
    text = project.store.document_by_name("board_2017")["text"]
    assert all(r["text"] == text[int(r["start"]):int(r["end"])] for r in rows if r["document"] == "board_2017")


# -- the import rules --------------------------------------------------------------------------------------------
def seg(i: int, start: int, end: int) -> Segment:
    return Segment(id=i, document_id=1, document="d", position=i, start=start, end=end, text="", speaker=None,
                   participant=None, is_interviewer=False)


def test_a_selection_codes_the_segments_it_mostly_covers_and_always_its_best_one():
    segments = [seg(0, 0, 100), seg(1, 110, 150), seg(2, 160, 400)]
    ids = lambda start, end: [s.id for s in covered_segments(segments, start, end)]  # noqa: E731
    assert ids(10, 20) == [0]  # inside one segment
    assert ids(90, 160) == [1]  # all of segment 1; a tenth of segment 0 is not enough
    assert ids(40, 151) == [0, 1]  # 60% of segment 0 and all of segment 1
    assert ids(95, 200) == [1]  # 5% of 0, all of 1, 17% of 2
    assert ids(100, 110) == []  # only what lies between segments
    assert ids(0, 400) == [0, 1, 2]


def test_slug_and_criteria_paragraphs():
    assert slug("Barriers to care") == "barriers_to_care"
    assert slug("Acknowledging the heterogeneity of needs: the need for care") == "acknowledging_the_heterogeneity_of_needs"
    assert slug("!!!") == "code"
    code = Code("x", "X", description="What it is.\n\nMore.", inclusion="in", exclusion="out", example="e.g.")
    assert undescribe(describe(code)) == {"description": "What it is.\n\nMore.", "inclusion": "in", "exclusion": "out",
                                          "example": "e.g."}
    assert undescribe("Plain.") == {"description": "Plain."}


def test_crlf_text_keeps_offsets_and_users_variables_cases_and_skips_are_reported(project, tmp_path):
    crlf = TEXT.replace("\n", "\r\n")
    raw = lambda quote: at(crlf, quote)  # noqa: E731  (offsets as the file counts them, \r included)
    sections = (f'<Variables><Variable guid="{G(30)}" name="age" typeOfVariable="Integer"/>'
                f'<Variable guid="{G(31)}" name="site" typeOfVariable="Text"/></Variables>'
                f'<Cases><Case guid="{G(40)}" name="P1"><VariableValue><VariableRef targetGUID="{G(30)}"/>'
                f'<IntegerValue>34</IntegerValue></VariableValue><SourceRef targetGUID="{G(100)}"/></Case>'
                f'<Case guid="{G(41)}" name="nobody"/></Cases>')
    selections = (selection(1, *raw("The wait was far too long."), (11, 1))
                  + selection(2, *raw("They were kind."), (12, 2), (12, None))  # no user, and the file has two
                  + selection(3, *raw("P1:"), (12, 1))  # only a speaker label
                  + selection(4, 10, 9999, (12, 1)))  # beyond the text
    source_values = f'<VariableValue><VariableRef targetGUID="{G(31)}"/><TextValue>north</TextValue></VariableValue>'
    xml = small_project_xml(selections + source_values, sections=sections, extra_sources=(
        f'<PDFSource guid="{G(101)}" name="scan.pdf" path="internal://scan.pdf"/>'
        f'<TextSource guid="{G(102)}" name="clinic"><PlainTextContent>Inline text: a note.</PlainTextContent></TextSource>'))
    xml = xml.replace("</Project>", f'<Notes><Note guid="{G(50)}" name="memo 1" plainTextPath="internal://n.txt"/>'
                                    '</Notes></Project>')
    qdpx(tmp_path / "in.qdpx", xml, {f"sources/{G(100)}.txt": crlf.encode("utf-8")})
    report = import_refi(project, tmp_path / "in.qdpx")
    text = project.store.document_by_name("clinic")["text"]
    assert "\r" not in text
    assert {(text[s:e], code, who) for _, s, e, code, who in spans(project)} == {
        ("The wait was far too long.", "waiting", "ana"), ("They were kind.", "respect", "ben")}
    assert project.store.documents()[0]["attributes"] == {"site": "north", "age": 34, "case": "P1"}
    assert project.store.document_by_name("clinic (2)")["text"] == "Inline text: a note."
    assert report.renamed_documents == ["clinic → clinic (2) (another source has that name)"]
    joined = "\n".join(report.not_imported)
    for expected in ("1 PDF sources, not imported", "1 notes (memos), not imported", "case 'nobody', not imported",
                     "1 selections outside their source's text", "1 selections covering no segment text",
                     "1 codings without a known user"):
        assert expected in joined, (expected, joined)


def test_blank_plain_text_falls_back_to_the_docx(project, tmp_path):
    import docx

    document = docx.Document()
    for line in TEXT.splitlines():
        document.add_paragraph(line)
    data = io.BytesIO()
    document.save(data)
    xml = small_project_xml(selection(1, 0, 5, (11, 1)),
                            source_attrs=f' richTextPath="internal://{G(100)}.docx"')
    qdpx(tmp_path / "in.qdpx", xml, {f"sources/{G(100)}.txt": "\n", f"sources/{G(100)}.docx": data.getvalue()})
    report = import_refi(project, tmp_path / "in.qdpx")
    assert report.documents[0]["source"].endswith(f"sources/{G(100)}.docx (rich text)")
    assert project.store.document_by_name("clinic")["text"] == TEXT.rstrip("\n")
    assert report.codings == 0 and "sources read from their rich text" in report.not_imported[0]


def test_codes_already_in_the_project_are_matched_by_name_under_the_same_parent(project, tmp_path):
    (tmp_path / "codebook.csv").write_text("code,parent,name,description\nA,,Access,Old words\nR,,Other,\n")
    project.import_codebook(tmp_path / "codebook.csv")
    cb = CODES.replace('name="Respect" isCodable="true"/>', 'name="Respect" isCodable="false" color="#ff0000"/>')
    qdc = tmp_path / "cb.qdc"
    qdc.write_text(f'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x">'
                   f'{cb[len("<CodeBook>"):]}', encoding="utf-8")
    report = import_codebook(project, qdc)
    assert (report.codes_new, report.codes_updated) == (2, 1)
    assert [(c.id, c.name, c.parent, c.description) for c in project.codes()] == [
        ("A", "Access", None, "Getting care"), ("R", "Other", None, ""), ("waiting", "Waiting", "A", ""),
        ("respect", "Respect", None, "")]
    assert project.store.exchange_ids("code") == {"A": G(10), "waiting": G(11), "respect": G(12)}
    assert [line.split(":")[0] for line in report.not_imported] == [
        "1 codes marked 'not codable', imported as codable", "1 code colours, not kept"]
    again = import_codebook(project, qdc)  # the GUIDs are remembered now
    assert (again.codes_new, again.codes_updated, len(project.codes())) == (0, 3, 4)


def test_a_source_named_like_a_document_with_other_text_is_refused(project, tmp_path):
    (tmp_path / "clinic.txt").write_text("P9: something else entirely.\n", encoding="utf-8")
    project.import_documents([tmp_path / "clinic.txt"])
    before = snapshot(project)
    qdpx(tmp_path / "in.qdpx", small_project_xml(), {f"sources/{G(100)}.txt": TEXT})
    with pytest.raises(InputFileError, match="already has a document named 'clinic'"):
        import_files(project, [tmp_path / "in.qdpx"])
    assert snapshot(project) == before


# -- command line ------------------------------------------------------------------------------------------------
def test_cli_import_and_export(tmp_path, refi, capsys, schemas):
    project = str(tmp_path / "p")
    assert main(["init", project]) == 0
    assert main(["import", project, str(refi / "demo.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "205 codings on 158 selections -> 200 codings of segments, 205 exact passages kept" in out
    for name in ("out.qdpx", "out.qdc", "out.csv"):
        assert main(["export", project, "--out", str(tmp_path / name)]) == 0
    assert "262 codes" in capsys.readouterr().out
    schemas["codebook"].validate(str(tmp_path / "out.qdc"))
    assert main(["export", project, "--out", str(tmp_path / "out.txt")]) == 2
    assert main(["export", project, "--format", "qdc", "--out", str(tmp_path / "x.qdpx")]) == 2
    assert "ends in .qdpx" in capsys.readouterr().err
    assert main(["import", project, str(tmp_path / "x.qdpx"), str(refi / "demo.qdpx")]) == 2
    assert "imported on its own" in capsys.readouterr().err


def test_readme_documents_export():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`codeseed export PROJECT" in readme and "REFI-QDA" in readme


def test_project_model_guids_are_derived_from_content(project, tmp_path):
    qdpx(tmp_path / "in.qdpx", small_project_xml(selection(1, *at(TEXT, "They were kind."), (12, 1))),
         {f"sources/{G(100)}.txt": TEXT})
    import_refi(project, tmp_path / "in.qdpx")
    model = project_model(project)
    assert [u.guid for u in model.users] == [G(1)]  # remembered from the file: only ana coded
    assert model.sources[0].guid == G(100)
    selection_guid = model.sources[0].selections[0].guid
    assert selection_guid == guid_for("selection", G(100), *at(TEXT, "They were kind."))
