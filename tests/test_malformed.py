"""Malformed, hostile and impossible input, run through the command line as a user would.

Every case imports (or exports) something bad into a copy of one coded, indexed project and checks: a non-zero
exit, a message naming the file (and the row or field where there is one) with a "How to fix", no traceback,
and the project byte-for-byte as it was: every table of project.db, every table of vectors.db and the bytes of
the index files. All files are made here, so the suite runs on any clone.
"""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codeseed_cli import main
from index.project import Project
from tests.conftest import CODEBOOK_CSV, FIRST_PASS_CSV, FakeEncoder, snapshot
from tests.office_files import BODY, SHEET, docx_file, rewrite_part, truncated, with_entity, xlsx_file
from tests.refi_files import G, NS, TEXT, qdpx, selection, small_project_xml
from tests.test_input_safety import yaml_bomb

P1 = "Interviewer: How was it?\nP1: The waiting list was months long.\nP1: The staff were kind.\n"
P2 = "Interviewer: Anything else?\nP2: Parking cost a fortune.\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A project with two transcripts, participants, a codebook, codings and a built index."""
    root = tmp_path_factory.mktemp("malformed-template")
    for name, text in (("P1", P1), ("P2", P2)):
        (root / f"{name}.txt").write_text(text, encoding="utf-8")
    (root / "codebook.csv").write_text(CODEBOOK_CSV, encoding="utf-8")
    (root / "codings.csv").write_text(FIRST_PASS_CSV, encoding="utf-8")
    (root / "people.csv").write_text("participant_id,gender\nP1,f\nP2,m\n", encoding="utf-8")
    with Project.init(root / "full") as project:
        project.use_encoder(FakeEncoder())
        project.import_documents([root / "P1.txt", root / "P2.txt"], attributes=root / "people.csv")
        project.import_codebook(root / "codebook.csv")
        project.import_codings(root / "codings.csv", coder="ana")
        project.build_index()
    Project.init(root / "empty").close()
    return root


def fingerprint(folder: Path) -> dict:
    """Every row of every table of both databases, and the bytes of every index file."""
    with Project.open(folder) as project:
        tables = snapshot(project)
    state = {"project.db": tables, "index": {p.name: p.read_bytes() for p in sorted((folder / "index").glob("*"))}}
    if (folder / "vectors.db").exists():
        db = sqlite3.connect(f"file:{folder / 'vectors.db'}?mode=ro", uri=True)
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        state["vectors.db"] = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in names}
        db.close()
    return state


# -- the cases ------------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """``make(d, project)`` writes the bad file(s) into ``d`` and returns the command line (after ``codeseed``)."""

    name: str
    make: Callable[[Path, str], list[str]]
    says: list[str]  # substrings of the message, besides the file name and "How to fix"
    file: str = ""  # the file name the message must show (default: the last argument that names a file)
    state: str = "full"  # which project: "full" (coded, indexed) or "empty"
    extra: dict = field(default_factory=dict)


def put(path: Path, content: str | bytes) -> str:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def imp(*args: str) -> Callable[[Path, str], list[str]]:
    """A case importing files written by ``args``: ("--codebook", ("cb.csv", "...")) style, see below."""
    def make(d: Path, project: str) -> list[str]:
        argv = ["import", project]
        for arg in args:
            argv.append(put(d / arg[0], arg[1]) if isinstance(arg, tuple) else arg)
        return argv
    return make


def with_files(build: Callable[[Path], list[str]], command: str = "import") -> Callable[[Path, str], list[str]]:
    return lambda d, project: [command, project, *build(d)]


def good_docx(d: Path) -> Path:
    return docx_file(d / "good.docx", ["P3: a fine transcript"])


def good_xlsx(d: Path, rows: list[list[str]]) -> Path:
    return xlsx_file(d / "good.xlsx", rows)


def bad_sheet(d: Path, rows: list[list[str]], name: str) -> str:
    return str(rewrite_part(good_xlsx(d, rows), d / name, SHEET, truncated))


def zip_bomb(path: Path, inner: str) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(inner, bytes(3 * 2**20))
    return str(path)


def deep_codes(levels: int) -> str:
    opening = "".join(f'<Code guid="{G(1000 + i)}" name="c{i}" isCodable="true">' for i in range(levels))
    return f'<Codes>{opening}{"</Code>" * levels}</Codes>'


def deep_qdc(levels: int) -> str:
    return f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">{deep_codes(levels)}</CodeBook>'


def source_at(ref: str) -> str:
    return small_project_xml().replace(f"internal://{G(100)}.txt", ref)


XXE = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
       f'<Project {NS} name="&secret;"/>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
          f'<Project {NS} name="&b;"/>')
CHAIN_CSV = "code,parent\n" + "\n".join(f"c{i},{f'c{i - 1}' if i else ''}" for i in range(150)) + "\n"

TRANSCRIPTS = [
    Case("missing transcript", lambda d, p: ["import", p, str(d / "missing.txt")], ["file not found"]),
    Case("empty transcript", imp(("empty.txt", b"")), ["empty (0 bytes)"]),
    Case("pdf transcript", imp(("notes.pdf", b"%PDF-1.4")), ["unsupported file type '.pdf'"]),
    Case("docx that is text", imp(("fake.docx", "P1: hello")), ["not a Word .docx file"]),
    Case("truncated docx", with_files(lambda d: [put(d / "cut.docx", good_docx(d).read_bytes()[:500])]),
         ["damaged"]),
    Case("docx with an external entity",
         with_files(lambda d: [str(rewrite_part(good_docx(d), d / "xxe.docx", BODY, with_entity(b"w:document")))]),
         ["part word/document.xml", "external entity 'xxe'", "XXE"]),
    Case("word 97 file named .docx", imp(("old.docx", b"\xd0\xcf\x11\xe0" + bytes(600))), ["Word 97-2003"]),
    Case("binary .txt", imp(("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00")), ["binary file"]),
    Case("whitespace-only .txt", imp(("blank.txt", " \n\n\t\n")), ["only whitespace"]),
    Case("vtt without cues", imp(("call.vtt", "WEBVTT\n\nNOTE nothing here\n")), ["no subtitle cues"]),
    Case("broken UTF-16 .txt", imp(("u16.txt", b"\xff\xfeA")), ["not valid UTF-16"]),
    Case("segment table without its text column", imp(("rows.csv", "id,speech\n1,hello\n")),
         ["text column 'text' is missing", "field 'text'"]),
    Case("segment table row without a document", imp(("rows.csv", "doc,text\nA,hello\n,world\n"),
                                                     "--document-column", "doc"), ["row 3", "field 'doc'"]),
    Case("segment workbook with a malformed sheet",
         with_files(lambda d: [bad_sheet(d, [["text"], ["hello"]], "rows.xlsx")]), ["ParseError"]),
    Case("segment workbook that is not a zip", imp(("rows.xlsx", "text\nhello\n")), ["not a readable Excel"]),
    Case("transcript named like a document already there", imp(("P1.txt", "P1: other words\n")),
         ["a document named 'P1' is already in the project"]),
    Case("docx zip bomb", with_files(lambda d: [zip_bomb(d / "bomb.docx", "word/document.xml")]), ["zip bomb"]),
    Case("a folder as a transcript", with_files(lambda d: [str(d)]), ["folder"]),
]

ATTRIBUTES = [
    Case("attributes without a key column", imp("--attributes", ("people.csv", "name,age\nAna,30\n")),
         ["no key column", "field 'participant_id'"]),
    Case("attributes with an empty key", imp("--attributes", ("people.csv", "participant_id,age\nP1,30\n,31\n")),
         ["row 3", "the key cell is empty"]),
    Case("attributes naming a participant twice",
         imp("--attributes", ("people.csv", "participant_id,age\nP1,30\nP1,31\n")), ["row 3", "'P1' appears twice"]),
    Case("attributes of an unknown document", imp("--attributes", ("docs.csv", "document,site\nP9,north\n")),
         ["no document named 'P9'", "field 'document'"]),
    Case("attributes workbook with a malformed sheet",
         with_files(lambda d: ["--attributes", bad_sheet(d, [["participant_id", "age"], ["P1", "3"]], "p.xlsx")]),
         ["not a readable .xlsx workbook (ParseError"]),
    Case("attributes workbook with an external entity",
         with_files(lambda d: ["--attributes", str(rewrite_part(good_xlsx(d, [["participant_id"], ["P1"]]),
                                                                 d / "p.xlsx", SHEET, with_entity(b"worksheet")))]),
         ["external entity"]),
    Case("attributes row with too many cells", imp("--attributes", ("people.csv", "participant_id,age\nP1,30,x,y\n")),
         ["row 2", "4 cells but the header names 2 columns"]),
    Case("attributes with a column twice", imp("--attributes", ("people.csv", "participant_id,age,age\nP1,3,4\n")),
         ["row 1", "column names appear twice: age"]),
    Case("attributes file that is empty", imp("--attributes", ("people.csv", "")), ["the table is empty"]),
    Case("attributes as .txt", imp("--attributes", ("people.txt", "participant_id,age\n")),
         ["unsupported table format '.txt'"]),
]

CODEBOOKS = [
    Case("YAML alias bomb", imp("--codebook", ("bomb.yaml", yaml_bomb())), ["line 2: YAML anchors and aliases"]),
    Case("YAML nested thousands deep", imp("--codebook", ("deep.yaml", "codes: " + "[" * 3000 + "]" * 3000)),
         ["nested more than 210 levels deep"]),
    Case("YAML that does not parse", imp("--codebook", ("cb.yaml", "codes:\n  - code: a\n   name: b\n")),
         ["not valid YAML"]),
    Case("YAML that is not a list", imp("--codebook", ("cb.yaml", "just words\n")), ["expected a list of codes"]),
    Case("YAML code that is not a mapping", imp("--codebook", ("cb.yaml", "codes:\n  - just a word\n")),
         ["codes[0] is not a mapping"]),
    Case("YAML children that are not a list",
         imp("--codebook", ("cb.yaml", "codes:\n  - code: a\n    children: b\n")), ["children is not a list"]),
    Case("codebook with an id twice", imp("--codebook", ("cb.csv", "code,name\nA,x\nA,y\n")),
         ["row 3", "field 'code'", "already appears in row 2"]),
    Case("codebook with an unknown parent", imp("--codebook", ("cb.csv", "code,parent\nA,Z\n")),
         ["names parent 'Z'", "field 'parent'"]),
    Case("codebook whose parents form a cycle", imp("--codebook", ("cb.csv", "code,parent\nA,B\nB,A\n")),
         ["its own ancestor", "field 'parent'"]),
    Case("codebook 150 levels deep", imp("--codebook", ("cb.csv", CHAIN_CSV)), ["101 levels deep", "field 'parent'"]),
    Case("codebook without a code column", imp("--codebook", ("cb.csv", "label,description\nx,y\n")),
         ["missing column for the code id", "field 'code'"]),
    Case("codebook workbook with a malformed sheet",
         with_files(lambda d: ["--codebook", bad_sheet(d, [["code", "name"], ["A", "a"]], "cb.xlsx")]),
         ["ParseError"]),
    Case("codebook as .json", imp("--codebook", ("cb.json", "[]")), ["unsupported codebook format '.json'"]),
    Case("qdc with an external entity", imp("--codebook", ("cb.qdc", XXE.replace("Project", "CodeBook"))), ["XXE"]),
    Case("qdc code tree thousands deep", imp("--codebook", ("cb.qdc", deep_qdc(3000))),
         ["more than 100 levels deep", "field 'Code'"]),
    Case("qdc that is not XML", imp("--codebook", ("cb.qdc", "code,name\n")), ["not well-formed XML"]),
]

CODINGS = [
    Case("coding of an unknown code", imp("--codings", ("c.csv", "document,text,code,coder\nP1,staff,ZZZ,ana\n")),
         ["row 2", "field 'code'", "unknown code 'ZZZ'"]),
    Case("codings naming no segment", imp("--codings", ("c.csv", "code,coder\nR,ana\n")),
         ["cannot tell which segment"]),
    Case("coding quote not in the document",
         imp("--codings", ("c.csv", "document,text,code,coder\nP1,not said at all,R,ana\n")),
         ["row 2", "field 'text'", "does not occur"]),
    Case("coding offsets past the end",
         imp("--codings", ("c.csv", "document,start,end,code,coder\nP1,10,99999,R,ana\n")),
         ["row 2", "field 'start'", "outside the document"]),
    Case("coding offsets that are not numbers",
         imp("--codings", ("c.csv", "document,start,end,code,coder\nP1,ten,20,R,ana\n")),
         ["row 2", "whole numbers"]),
    Case("coding without a coder", imp("--codings", ("c.csv", "document,text,code\nP1,staff,R\n")),
         ["row 2", "no coder"]),
    Case("coding of an unknown document", imp("--codings", ("c.csv", "document,text,code,coder\nP7,staff,R,ana\n")),
         ["row 2", "field 'document'", "no document named 'P7'"]),
    Case("codings workbook with a malformed sheet",
         with_files(lambda d: ["--codings", bad_sheet(d, [["segment_id", "code"], ["1", "R"]], "c.xlsx")]),
         ["ParseError"]),
]


def _qdpx_case(name: str, xml: str, says: list[str], members: dict | None = None) -> Case:
    return Case(name, with_files(lambda d: [str(qdpx(d / "in.qdpx", xml, members))]), says)


SOURCE = {f"sources/{G(100)}.txt": TEXT}
QDPX = [
    _qdpx_case("qdpx source climbing out with ..", source_at("../secret.txt"),
               ["field 'plainTextPath'", "climbs out of the archive"]),
    _qdpx_case("qdpx internal:// climbing out", source_at("internal://../../etc/passwd"), ["climbs out"]),
    _qdpx_case("qdpx internal:// absolute", source_at("internal:///etc/passwd"), ["is an absolute path"]),
    _qdpx_case("qdpx with an external entity", XXE, ["external entity 'secret'", "XXE"]),
    _qdpx_case("qdpx with nested entities", LAUGHS, ["declares an entity", "billion laughs"]),
    Case("qdpx zip bomb", with_files(lambda d: [zip_bomb(d / "bomb.qdpx", "sources/zeros.txt")]), ["zip bomb"]),
    Case("truncated qdpx", with_files(lambda d: [put(d / "cut.qdpx", qdpx(d / "whole.qdpx", small_project_xml(),
                                                                          SOURCE).read_bytes()[:200])]),
         ["truncated or damaged"]),
    Case("qdpx that is not a zip", imp(("x.qdpx", "Speaker 1: hello\n")), ["is not one"]),
    Case("qdpx without project.qde", with_files(lambda d: [str(_zip(d / "x.qdpx", {"sources/a.txt": "hi"}))]),
         ["no project.qde"]),
    _qdpx_case("qdpx selection with a bad position", small_project_xml(selection(1, 0, "x", (11, 1))),
               ["field 'endPosition'", "not a whole number"], SOURCE),
    _qdpx_case("qdpx code tree thousands deep",
               f'<Project {NS} name="d"><CodeBook>{deep_codes(3000)}</CodeBook></Project>',
               ["more than 100 levels deep"]),
    Case("qdpx member with an absolute name", with_files(lambda d: [str(_zip(d / "x.qdpx", {
        "project.qde": small_project_xml(), "/etc/cron.d/evil": "x"}))]), ["is an absolute path"]),
    _qdpx_case("qdpx source named like a document with other text", small_project_xml().replace('"clinic"', '"P1"'),
               ["already has a document named 'P1'", "field 'TextSource name'"], SOURCE),
    Case("qdpx with a .docx source declaring an entity", with_files(lambda d: [str(qdpx(
        d / "in.qdpx", source_at("").replace('plainTextPath=""', f'richTextPath="internal://{G(100)}.docx"'),
        {f"sources/{G(100)}.docx": rewrite_part(good_docx(d), d / "e.docx", BODY,
                                                with_entity(b"w:document")).read_bytes()}))]),
         ["external entity 'xxe'"]),
    Case("qdpx together with another file", with_files(lambda d: [str(qdpx(d / "in.qdpx", small_project_xml(), SOURCE)),
                                                                  put(d / "P5.txt", "P5: hi\n")]),
         ["imported on its own"], file="in.qdpx"),
]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


PROJECT_STATES = [
    Case("import into a folder that is not a project",
         lambda d, p: ["import", str(d), put(d / "P5.txt", "P5: hi\n")], ["not a codeseed project"], file="{d}"),
    Case("import into a folder that does not exist", lambda d, p: ["import", str(d / "nowhere"), str(d)],
         ["folder does not exist"], file="nowhere"),
    Case("codings into a project without a codebook", imp("--codings", ("c.csv", "document,text,code\nP1,x,R\n")),
         ["no codebook yet"], state="empty"),
    Case("codebook export of a project without a codebook", lambda d, p: ["export", p, "--out", str(d / "cb.qdc")],
         ["no codebook to export"], state="empty", file="{p}"),
    Case("init over an existing project", lambda d, p: ["init", p], ["already exists"], file="{p}"),
]

CASES = TRANSCRIPTS + ATTRIBUTES + CODEBOOKS + CODINGS + QDPX + PROJECT_STATES


def test_there_are_at_least_forty_cases_across_every_kind_of_input():
    kinds = [TRANSCRIPTS, ATTRIBUTES, CODEBOOKS, CODINGS, QDPX, PROJECT_STATES]
    assert len(CASES) >= 40 and all(len(kind) >= 5 for kind in kinds)
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(case, template, tmp_path, capsys):
    project = tmp_path / "project"
    shutil.copytree(template / case.state, project)
    files = tmp_path / "files"
    files.mkdir()
    before = fingerprint(project)
    argv = case.make(files, str(project))
    code = main(argv)
    out, err = capsys.readouterr()
    assert code != 0, out
    assert "Traceback" not in out + err
    assert "How to fix:" in err, err
    shown = case.file.format(d=files, p=project) if case.file else next(
        (a for a in reversed(argv) if Path(a).is_absolute()), "")
    assert shown and shown in err, (shown, err)
    for expected in case.says:
        assert expected in err, (expected, err)
    assert fingerprint(project) == before
