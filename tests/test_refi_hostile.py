"""Hostile and broken REFI-QDA files: refused with a message naming the file and a fix, the project untouched, and
no file outside the archive ever read. Every file here is made by the test, so all of it runs on any clone."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from index.errors import InputFileError
from index.importing import import_codebook, import_files
from index.exchange.refi_import import import_refi
from index.exchange.refi_reader import read_qdpx
from index.ingest.archives import Limits, unsafe_member_name
from tests.conftest import snapshot
from tests.refi_files import NS, TEXT, G, at, qdpx, selection, small_project_xml


XXE = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
       f'<Project {NS} name="&secret;"/>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + f']><Project {NS} name="&lol9;"/>')


def _zip_with(tmp_path, name: str, data: bytes = b"x") -> Path:
    path = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", small_project_xml())
        info = zipfile.ZipInfo(name)  # keeps the name as given
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return path


@pytest.fixture
def populated(project, tmp_path):
    """A project with a codebook, documents and codings, all made here, so 'unchanged' means something."""
    selections = (selection(1, *at(TEXT, "The wait was far too long."), (11, 1))
                  + selection(2, *at(TEXT, "They were kind."), (12, 2)))
    qdpx(tmp_path / "own.qdpx", small_project_xml(selections), {f"sources/{G(100)}.txt": TEXT})
    import_refi(project, tmp_path / "own.qdpx")
    (tmp_path / "P2.txt").write_text("P2: The parking cost a fortune.\n", encoding="utf-8")
    project.import_documents([tmp_path / "P2.txt"])
    assert project.store.counts()["codings_by_coder"] == {"ana": 1, "ben": 1}
    return project


def own_qdpx(tmp_path: Path) -> Path:
    return qdpx(tmp_path / "whole.qdpx", small_project_xml(selection(1, 0, 5, (11, 1))), {f"sources/{G(100)}.txt": TEXT})


@pytest.mark.parametrize("make, message", [
    (lambda t: qdpx(t / "x.qdpx", XXE), "external entity 'secret'.*XXE"),
    (lambda t: qdpx(t / "x.qdpx", LAUGHS), "declares an entity 'lol'.*billion laughs"),
    (lambda t: _zip_with(t, "../../outside.txt"), "climbs out of the archive"),
    (lambda t: _zip_with(t, "/etc/cron.d/evil"), "is an absolute path"),
    (lambda t: _zip_with(t, "C:\\Windows\\evil.txt"), "is an absolute path"),
    (lambda t: _zip_with(t, "sources/zeros.txt", bytes(3 * 2**20)), "like a zip bomb"),
    (lambda t: write(t / "x.qdpx", own_qdpx(t).read_bytes()[:300]), "truncated or damaged"),
    (lambda t: write(t / "x.qdpx", b"Speaker 1: hello\n"), "a .qdpx is a zip archive and this file is not"),
    (lambda t: write(t / "x.qdpx", small_project_xml().encode()), "XML file, not a .qdpx"),
    (lambda t: qdpx(t / "x.qdpx", "<Project"), "not well-formed XML"),
    (lambda t: qdpx(t / "x.qdpx", small_project_xml(selection(1, 0, "x", (11, 1))),
                    {f"sources/{G(100)}.txt": TEXT}), "endPosition='x'"),
    (lambda t: write(t / "x.qdpx", b""), "empty"),
])
def test_hostile_or_broken_files_are_refused_and_change_nothing(populated, tmp_path, make, message):
    before = snapshot(populated)
    path = make(tmp_path)
    with pytest.raises(InputFileError, match=message) as caught:
        import_files(populated, [path])
    assert str(path) in str(caught.value) and "How to fix" in str(caught.value)
    assert snapshot(populated) == before


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_size_limit_is_configurable_and_refuses_before_reading(populated, monkeypatch, tmp_path):
    before = snapshot(populated)
    big = qdpx(tmp_path / "big.qdpx", small_project_xml(), {f"sources/{G(100)}.txt": TEXT * 2000})  # 240 kB
    monkeypatch.setenv("CODESEED_MAX_QDPX_BYTES", "100000")
    with pytest.raises(InputFileError, match="unpacks to more than 100,000 bytes"):
        import_files(populated, [big])
    with pytest.raises(InputFileError, match="unpacks to more than 1,000 bytes"):
        read_qdpx(big, limits=Limits(max_bytes=1000))
    assert snapshot(populated) == before


def test_codebook_xxe_is_refused_too(populated, tmp_path):
    before = snapshot(populated)
    (tmp_path / "cb.qdc").write_text(XXE.replace("Project", "CodeBook"), encoding="utf-8")
    with pytest.raises(InputFileError, match="XXE"):
        import_codebook(populated, tmp_path / "cb.qdc")
    assert snapshot(populated) == before


def test_a_failure_while_storing_rolls_everything_back(populated, tmp_path, monkeypatch):
    before = snapshot(populated)
    other = TEXT.replace("kind", "very kind")
    xml = small_project_xml(selection(1, *at(other, "They were very kind."), (12, 1))).replace('"clinic"', '"clinic 2"')
    qdpx(tmp_path / "in.qdpx", xml, {f"sources/{G(100)}.txt": other})

    def fail(*args, **kwargs):
        raise InputFileError("disk full (simulated)")

    monkeypatch.setattr(populated.store, "add_span_codings", fail)
    with pytest.raises(InputFileError, match="simulated"):
        import_files(populated, [tmp_path / "in.qdpx"])
    assert snapshot(populated) == before


def test_member_name_rules():
    assert unsafe_member_name("sources/a.txt") is None
    assert unsafe_member_name("project.qde") is None
    assert unsafe_member_name("a/../../b") and unsafe_member_name("\\\\server\\x") and unsafe_member_name("D:/x")



# -- sources outside the archive: never read -----------------------------------------------------------------------
SECRET = "P1: the contents of a private file on this computer\n"


def _source_at(tmp_path: Path, attribute: str, ref: str, base_path: str = "") -> Path:
    """A .qdpx whose only source points ``attribute`` at ``ref`` (the archive holds no such member)."""
    xml = small_project_xml().replace(f'plainTextPath="internal://{G(100)}.txt"', f'{attribute}="{ref}"')
    if base_path:
        xml = xml.replace('name="small"', f'name="small" basePath="{base_path}"')
    return qdpx(tmp_path / "in.qdpx", xml)


@pytest.mark.parametrize("attribute, ref", [
    ("plainTextPath", "{secret}"),  # an absolute path
    ("plainTextPath", "file://{secret}"),
    ("plainTextPath", "file://localhost{secret}"),
    ("plainTextPath", "secret.txt"),  # beside the .qdpx, not in the archive
    ("richTextPath", "{docx}"),
    ("richTextPath", "file://{docx}"),
])
def test_sources_outside_the_archive_are_skipped_and_reported_never_read(project, tmp_path, attribute, ref):
    import docx

    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    document = docx.Document()
    document.add_paragraph(SECRET)
    document.save(tmp_path / "secret.docx")
    ref = ref.format(secret=tmp_path / "secret.txt", docx=tmp_path / "secret.docx")
    report = import_refi(project, _source_at(tmp_path, attribute, ref))
    assert report.documents == [] and report.sources == 0
    assert report.not_imported[0].startswith("text source 'clinic', not imported")
    assert ref in report.not_imported[0] and "outside the .qdpx" in report.not_imported[0]
    assert "never others on this computer" in report.not_imported[0] or "does not hold it" in report.not_imported[0]
    assert "private file" not in repr(snapshot(project))


def test_a_relative_path_under_base_path_is_not_read_either(project, tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    report = import_refi(project, _source_at(tmp_path, "plainTextPath", "secret.txt", base_path=str(tmp_path)))
    assert report.documents == [] and "does not hold it" in report.not_imported[0]
    assert "private file" not in repr(snapshot(project))


@pytest.mark.parametrize("ref, why", [
    ("../secret.txt", "climbs out of the archive"),
    ("sources/../../secret.txt", "climbs out of the archive"),
    ("%2e%2e/secret.txt", "climbs out of the archive"),
    ("..\\secret.txt", "climbs out of the archive"),
    ("internal://../../secret.txt", "climbs out of the archive"),
    ("internal:///etc/passwd", "is an absolute path"),
    ("internal://C:/Users/x/secret.txt", "is an absolute path"),
])
def test_a_source_path_that_climbs_out_is_refused(populated, tmp_path, ref, why):
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    before = snapshot(populated)
    path = _source_at(tmp_path, "plainTextPath", ref)
    with pytest.raises(InputFileError, match=f"refused: text source 'clinic' has plainTextPath=.*{why}") as caught:
        import_files(populated, [path])
    assert str(path) in str(caught.value) and "How to fix" in str(caught.value)
    assert snapshot(populated) == before


def test_the_archive_members_still_found_by_every_form_real_exporters_write(project, tmp_path):
    for n, ref in enumerate([f"internal://{G(100)}.txt", f"{G(100)}.txt", f"sources/{G(100)}.txt",
                             f"internal://{G(100)}%2Etxt"]):
        folder = tmp_path / str(n)
        folder.mkdir()
        xml = small_project_xml().replace(f"internal://{G(100)}.txt", ref)
        report = read_qdpx(qdpx(folder / "in.qdpx", xml, {f"sources/{G(100)}.txt": TEXT}))
        assert report.sources[0].text == TEXT, ref


# -- code trees, namespaces ------------------------------------------------------------------------------------
def _deep_codes(depth: int) -> str:
    opening = "".join(f'<Code guid="{G(1000 + i)}" name="c{i}" isCodable="true">' for i in range(depth))
    return f"<CodeBook><Codes>{opening}{'</Code>' * depth}</Codes></CodeBook>"


def test_a_code_tree_thousands_deep_is_refused_with_a_message(populated, tmp_path):
    before = snapshot(populated)
    path = qdpx(tmp_path / "deep.qdpx", f'<Project {NS} name="deep">{_deep_codes(5000)}</Project>')
    with pytest.raises(InputFileError, match="more than 100 levels deep") as caught:
        import_files(populated, [path])
    assert "How to fix" in str(caught.value)
    qdc = tmp_path / "deep.qdc"
    qdc.write_text(_deep_codes(5000).replace("<CodeBook>", '<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'))
    with pytest.raises(InputFileError, match="more than 100 levels deep"):
        import_codebook(populated, qdc)
    assert snapshot(populated) == before
    fine = qdpx(tmp_path / "fine.qdpx", f'<Project {NS} name="deep">{_deep_codes(100)}</Project>')
    assert import_refi(populated, fine).codes == 100


def test_another_namespace_is_read_and_said(project, tmp_path):
    xml = small_project_xml(selection(1, *at(TEXT, "They were kind."), (12, 1))).replace(
        "urn:QDA-XML:project:1.0", "urn:QDA-XML:project:2.0")
    report = import_refi(project, qdpx(tmp_path / "in.qdpx", xml, {f"sources/{G(100)}.txt": TEXT}))
    assert report.codings == 1
    assert report.warnings == ["the XML has the namespace 'urn:QDA-XML:project:2.0', not 'urn:QDA-XML:project:1.0' "
                               "(REFI-QDA 1.0); read by its element names, as if it were REFI-QDA 1.0: check the "
                               "result, and export the file again from its program if anything is missing"]
    plain = small_project_xml().replace(f" {NS}", "")
    assert "no namespace" in import_refi(project, qdpx(tmp_path / "b.qdpx", plain, {f"sources/{G(100)}.txt": TEXT
                                                                                  })).warnings[0]
