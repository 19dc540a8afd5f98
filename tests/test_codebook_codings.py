"""Codebooks, codings and attributes from user tables: the parsing, the matching and the row-numbered errors."""

import pytest

from index.ingest.attributes import link_segments, normalise_id, parse_attributes, participant_for_document
from index.ingest.codebook import read_codebook
from index.ingest.codings import find_quote, match_codings
from index.errors import InputFileError
from index.ingest.tables import read_table, split_codes
from index.types import Code, Segment


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


# -- codebook ---------------------------------------------------------------------------------------
def test_csv_codebook_with_optional_columns(tmp_path):
    path = write(tmp_path / "cb.csv", "code,parent,name,description,inclusion\n"
                                      "T1,,Access,Getting care,\n1.1,T1,Waiting,\"Delays, queues\",mentions time\n")
    codes = read_codebook(path)
    assert codes == [Code("T1", "Access", None, "Getting care"),
                     Code("1.1", "Waiting", "T1", "Delays, queues", inclusion="mentions time")]


def test_yaml_codebook_tree(tmp_path):
    path = write(tmp_path / "cb.yaml", "codes:\n  - code: T1\n    name: Access\n    children:\n"
                                       "      - code: '1.1'\n        name: Waiting\n        description: Delays\n")
    assert [(c.id, c.parent, c.description) for c in read_codebook(path)] == [("T1", None, ""), ("1.1", "T1", "Delays")]


@pytest.mark.parametrize("body, message, row", [
    ("code,name\nA,x\nA,y\n", "already appears in row 2", 3),
    ("code,parent,name\nA,Z,x\n", "names parent 'Z'", None),
    ("code,parent,name\nA,B,x\nB,A,y\n", "cycle", None),
    ("code,name\n,x\n", "code id is empty", 2),
    ("name,description\nx,y\n", "missing column for the code id", None),
])
def test_codebook_errors_name_the_row_and_field(tmp_path, body, message, row):
    with pytest.raises(InputFileError, match=message) as error:
        read_codebook(write(tmp_path / "cb.csv", body))
    assert error.value.row == row and "cb.csv" in str(error.value) and "How to fix" in str(error.value)


def test_table_reads_cp1252_and_reports_ragged_rows(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_bytes("code,name\nA,Caf\xe9 culture\n".encode("latin-1"))
    assert read_table(path).rows == [(2, {"code": "A", "name": "Café culture"})]
    with pytest.raises(InputFileError, match="3 cells but the header names 2") as error:
        read_table(write(tmp_path / "r.csv", "code,name\nA,b,c\n"))
    assert error.value.row == 2


def test_split_codes_keeps_commas_in_names():
    assert split_codes("Waiting, queues; 1.2 | x") == ["Waiting, queues", "1.2", "x"]


# -- codings ----------------------------------------------------------------------------------------
DOC = "Interviewer: How was it?\nP1: The wait was long.  I felt “judged” by staff.\nP1: Then it got better."
SEGMENTS = [
    Segment(1, 1, "d1", 0, 13, 24, DOC[13:24], "Interviewer", None, True),
    Segment(2, 1, "d1", 1, 29, 74, DOC[29:74], "P1", None, False),
    Segment(3, 1, "d1", 2, 79, len(DOC), DOC[79:], "P1", None, False),
]
CODES = [Code("1.1", "Waiting"), Code("1.2", "Stigma")]


def test_find_quote_tolerates_whitespace_and_curly_quotes():
    start, end = find_quote(DOC, 'long. I felt "judged"')
    assert DOC[start:end] == "long.  I felt “judged”"
    assert find_quote(DOC, "never said") is None


def _match(tmp_path, body, coder="ana"):
    return match_codings(read_table(write(tmp_path / "c.csv", body)), codes=CODES, segments=SEGMENTS,
                         documents={"d1": DOC}, default_coder=coder)


def test_codings_by_id_offsets_and_quote(tmp_path):
    result = _match(tmp_path, "segment_id,document,start,end,text,codes,coder\n"
                              "3,,,,,Waiting,\n"
                              ",d1,29,85,,1.1;1.2,ben\n"
                              ",d1,,,I felt \"judged\",Stigma,\n")
    assert result.problems == []
    assert result.rows == [(3, "1.1", "ana"), (2, "1.1", "ben"), (2, "1.2", "ben"), (3, "1.1", "ben"),
                           (3, "1.2", "ben"), (2, "1.2", "ana")]


def test_bad_coding_rows_are_reported_with_row_numbers(tmp_path):
    result = _match(tmp_path, "document,text,code\nd1,The wait,Nope\nd1,not in it,1.1\nd2,x,1.1\nd1,The wait,1.1\n")
    assert [(p.row, p.field) for p in result.problems] == [(2, "code"), (3, "text"), (4, "document")]
    assert "unknown code 'Nope'" in str(result.problems[0])
    assert result.rows == [(2, "1.1", "ana")]


def test_codings_without_a_coder_are_reported(tmp_path):
    result = _match(tmp_path, "segment_id,code\n2,1.1\n", coder=None)
    assert result.rows == [] and "no coder" in str(result.problems[0])


# -- attributes -------------------------------------------------------------------------------------
def test_attribute_table_and_participant_linking(tmp_path):
    table = parse_attributes(read_table(write(tmp_path / "p.csv", "participant_id,gender,setting\nP1,female,generic\nID 27,male,\n")))
    assert table.key == "participant" and table.rows["ID 27"] == {"gender": "male"}
    ids = list(table.rows)
    assert normalise_id("ID-27") == normalise_id("id27")
    assert participant_for_document("interview_P1.docx", {}, ids) == "P1"
    assert participant_for_document("ID27", {}, ids) == "ID 27"
    assert participant_for_document("focus group.txt", {}, ids) is None
    links = link_segments(SEGMENTS, {1: "P1"}, ids)
    assert links == {2: "P1", 3: "P1"}  # the interviewer's turn stays unlinked


def test_attribute_table_needs_a_key_and_unique_rows(tmp_path):
    with pytest.raises(InputFileError, match="participant_id"):
        parse_attributes(read_table(write(tmp_path / "a.csv", "name,gender\nx,y\n")))
    with pytest.raises(InputFileError, match="appears twice") as error:
        parse_attributes(read_table(write(tmp_path / "b.csv", "participant_id,gender\nP1,f\nP1,m\n")))
    assert error.value.row == 3
