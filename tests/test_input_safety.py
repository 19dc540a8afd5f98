"""Input safety outside REFI-QDA: YAML codebooks cannot expand or recurse, Office files with entities are refused,
malformed workbooks and deep code trees give messages, and lenient imports say what they skipped or assumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeseed_cli import main
from index.errors import InputFileError
from index.ingest.codebook import MAX_CODE_DEPTH, read_codebook
from index.ingest.readers import read_document
from index.ingest.tables import read_table
from tests.office_files import BODY, SHEET, docx_file, rewrite_part, truncated, with_entity, xlsx_file
from tests.refi_files import G, TEXT, at, qdpx, selection, small_project_xml


def yaml_bomb() -> str:
    """The "billion laughs" of YAML codebooks: each code's children are nine aliases of the code before, so walking
    the tree would visit 9^9 codes; under 1 kB on disk."""
    lines = ["codes:", "  - &c0 {code: c0}"]
    for level in range(1, 10):
        lines.append(f"  - &c{level} {{code: c{level}, children: [{', '.join([f'*c{level - 1}'] * 9)}]}}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_before_anything_is_expanded(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml_bomb(), encoding="utf-8")
    assert path.stat().st_size < 1000
    with pytest.raises(InputFileError, match="line 2: YAML anchors and aliases") as caught:
        read_codebook(path)
    assert str(path) in str(caught.value) and "How to fix: write each code out in full" in str(caught.value)


def test_any_yaml_anchor_is_refused_even_unused(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text("codes:\n  - &x\n    code: a\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2: YAML anchors"):
        read_codebook(path)


def test_yaml_nested_thousands_deep_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("codes: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="nested more than 210 levels deep"):
        read_codebook(path)


def _chain_yaml(levels: int) -> str:
    text, indent = "codes:\n", "  "
    for level in range(levels):
        text += f"{indent}- code: c{level}\n{indent}  children:\n"
        indent += "    "
    return text


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_code_trees_deeper_than_the_limit_are_refused_and_the_limit_itself_is_fine(tmp_path, suffix):
    def write(levels: int) -> Path:
        path = tmp_path / f"cb{levels}{suffix}"
        if suffix == ".csv":
            rows = [f"c{i},{f'c{i - 1}' if i else ''},name {i}" for i in range(levels)]
            path.write_text("code,parent,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
        else:
            path.write_text(_chain_yaml(levels), encoding="utf-8")
        return path

    assert len(read_codebook(write(MAX_CODE_DEPTH))) == MAX_CODE_DEPTH
    with pytest.raises(InputFileError, match=f"code 'c{MAX_CODE_DEPTH}' is {MAX_CODE_DEPTH + 1} levels deep"):
        read_codebook(write(MAX_CODE_DEPTH + 1))


def test_a_long_csv_chain_is_checked_in_linear_time_and_refused(tmp_path):
    path = tmp_path / "chain.csv"
    rows = [f"c{i},{f'c{i - 1}' if i else ''}" for i in range(20_000)]
    path.write_text("code,parent\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="levels deep in the code tree"):
        read_codebook(path)


# -- Office files ---------------------------------------------------------------------------------------------------
def test_a_docx_declaring_an_external_entity_is_refused_not_silently_dropped(tmp_path):
    good = docx_file(tmp_path / "good.docx", ["P1: the wait was long"])
    assert read_document(good)[0].text == "P1: the wait was long"
    evil = rewrite_part(good, tmp_path / "evil.docx", BODY, with_entity(b"w:document"))
    with pytest.raises(InputFileError, match="part word/document.xml: the XML declares an external entity 'xxe' "
                                             "pointing at 'file:///etc/hostname'.*XXE") as caught:
        read_document(evil)
    assert str(evil) in str(caught.value) and "How to fix" in str(caught.value)
    laughs = rewrite_part(good, tmp_path / "laughs.docx", BODY, with_entity(b"w:document", '<!ENTITY lol "lol">'))
    with pytest.raises(InputFileError, match="declares an entity 'lol'.*billion laughs"):
        read_document(laughs)


def test_an_xlsx_declaring_an_entity_is_refused(tmp_path):
    good = xlsx_file(tmp_path / "good.xlsx", [["participant_id", "site"], ["P1", "north"]])
    evil = rewrite_part(good, tmp_path / "evil.xlsx", SHEET, with_entity(b"worksheet"))
    for read in (read_table, read_document):
        with pytest.raises(InputFileError, match="part xl/worksheets/sheet1.xml: the XML declares an external entity"):
            read(evil)


def test_a_malformed_sheet_gives_a_message_naming_the_file(tmp_path):
    good = xlsx_file(tmp_path / "good.xlsx", [["code", "name", "text"], ["A", "Access", "hello"]])
    assert read_table(good).rows == [(2, {"code": "A", "name": "Access", "text": "hello"})]
    bad = rewrite_part(good, tmp_path / "bad.xlsx", SHEET, truncated)
    for read in (read_table, read_codebook, read_document):
        with pytest.raises(InputFileError, match="not a readable (Excel )?.xlsx workbook \\(ParseError") as caught:
            read(bad)
        assert str(bad) in str(caught.value) and "How to fix" in str(caught.value)


# -- lenient imports say what they did ------------------------------------------------------------------------------
VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Ana>How was the clinic?

00:00:03.000 --> 00:00:06.000
<v P1>The wait was long.

00:00:0x.000 --> 00:00:09.000
<v P1>And the staff were kind.

00:00:12.000 --> 00:00:10.000
<v Ana>Thank you.
"""


def test_a_vtt_with_a_broken_and_an_overlapping_cue_keeps_the_text_and_says_so(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    document = read_document(path)[0]
    assert document.text == "Ana: How was the clinic?\nP1: The wait was long. And the staff were kind.\nAna: Thank you."
    assert document.warnings == [
        "1 cue(s) with a malformed timing line, kept without a time: line 9 ('00:00:0x.000 --> 00:00:09.000'); a "
        "timing line reads like '00:01:02.000 --> 00:01:05.000'",
        "1 cue(s) start before the previous cue ends, kept in file order: line 6",
        "1 cue(s) end before they start, kept in file order: line 12"]
    clean = tmp_path / "clean.vtt"
    clean.write_text(VTT.replace("00:00:03.000 --> 00:00:06.000", "00:00:04.000 --> 00:00:06.000")
                     .replace("0x", "07").replace("00:00:12.000 --> 00:00:10.000", "00:00:12.000 --> 00:00:14.000"))
    assert read_document(clean)[0].warnings == []


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_names_what_lenient_imports_skipped_or_assumed(tmp_path, capsys):
    project = str(tmp_path / "p")
    assert main(["init", project]) == 0
    (tmp_path / "call.vtt").write_text(VTT, encoding="utf-8")
    code, out, err = _cli(capsys, "import", project, str(tmp_path / "call.vtt"))
    assert code == 0 and f"warning: {tmp_path / 'call.vtt'}: 1 cue(s) with a malformed timing line" in err
    assert "start before the previous cue ends" in err

    (tmp_path / "people.csv").write_text("participant_id,site\nP1,north\nP9,south\nP10,east\n", encoding="utf-8")
    code, out, err = _cli(capsys, "import", project, "--attributes", str(tmp_path / "people.csv"))
    assert code == 0 and (f"warning: {tmp_path / 'people.csv'}: 2 of 3 participants match no speaker label and no "
                          "document name in the project, so their attributes join nothing yet: P9, P10") in err

    (tmp_path / "cb.csv").write_text("code,name\nW,Waiting\nK,Kind\n", encoding="utf-8")
    (tmp_path / "codings.csv").write_text("document,text,code,coder\ncall,wait was long,W,ana\ncall,kind,K,ana\n"
                                          "call,The wait was long.,W,ana\ncall,wait was long,W,ana\n", encoding="utf-8")
    code, out, err = _cli(capsys, "import", project, "--codebook", str(tmp_path / "cb.csv"), "--codings",
                          str(tmp_path / "codings.csv"))
    assert code == 0 and "Codings: 2 added" in out
    assert (f"warning: {tmp_path / 'codings.csv'}: rows 4, 5 repeat the coding of row 2 (same segment, code and "
            "coder); counted once") in err
    code, out, err = _cli(capsys, "import", project, "--codings", str(tmp_path / "codings.csv"))
    assert code == 0 and "Codings: 0 added" in out and "2 of the file's codings were already in the project" in err


def test_the_cli_names_selections_past_the_end_unknown_codes_and_another_namespace(tmp_path, capsys):
    project = str(tmp_path / "p")
    assert main(["init", project]) == 0
    start = TEXT.index("They were kind.")
    selections = (selection(1, start, start + 15, (12, 1)) + selection(2, start, len(TEXT) + 40, (12, 1))
                  + selection(3, *at(TEXT, "The wait was far too long."), (99, 1)))
    xml = small_project_xml(selections).replace("urn:QDA-XML:project:1.0", "urn:example:other")
    path = qdpx(tmp_path / "in.qdpx", xml, {f"sources/{G(100)}.txt": TEXT})
    code, out, err = _cli(capsys, "import", project, str(path))
    assert code == 0 and "2 codings on 2 selections -> 1 codings of segments" in out
    assert f"1 selections outside their source's text (past its end, or ending before they start), not imported " \
           f"(clinic {start}-{len(TEXT) + 40})" in out
    assert "1 codings naming a code that is not in the file's codebook" in out
    assert "warning: the XML has the namespace 'urn:example:other'" in err


def test_text_before_the_first_cue_and_table_rows_without_text_are_named(tmp_path):
    vtt = tmp_path / "call.vtt"
    vtt.write_text("WEBVTT\n\nKind: captions\n\n00:00:01.000 --> 00:00:02.000\nHello.\n", encoding="utf-8")
    document = read_document(vtt)[0]
    assert document.text == "Hello." and document.warnings == [
        "text before the first cue, not part of any cue, skipped: line 3"]
    table = tmp_path / "rows.csv"
    table.write_text("text,speaker\nhello,P1\n,P2\n\nbye,P1\n", encoding="utf-8")
    document = read_document(table)[0]
    assert document.text == "hello\n\nbye" and document.warnings == ["1 row(s) with an empty 'text' cell skipped: row(s) 3"]
