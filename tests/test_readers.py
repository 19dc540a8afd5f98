"""Readers: speaker labels, encodings, every supported format, the errors a user sees, and a property
test over generated transcripts for the whole read -> segment pipeline."""

from __future__ import annotations

import csv
import itertools
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import InputFileError
from index.ingest.readers import SUPPORTED_EXTENSIONS, read_document
from index.ingest.readers.table import TableOptions
from index.ingest.readers.text import decode_bytes, parse_turns
from index.ingest.segmenting import segment_turns


def turns_of(doc):
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def read_one(path: Path, **kwargs):
    docs = read_document(path, **kwargs)
    assert len(docs) == 1
    return docs[0]


# -- .txt: labels --------------------------------------------------------------------------------

def test_txt_label_styles_continuations_and_preamble(tmp_path):
    path = write(tmp_path / "int01.txt", (
        "Interview 1, 3 May 2023\n"
        "\n"
        "Interviewer: How did it start?\n"
        "P12: Well, it started in 2019.\n"
        "It went on from there.\n"
        "\n"
        "[00:01:02] Interviewer: And then?\n"
        "Dr Smith: I think: yes.\n"
        "Speaker 2 (00:03:04): Me too.\n"
        "P12:\n"
        "  Answer on the next line.  \n"
    ))
    doc = read_one(path)
    assert doc.name == "int01" and doc.source == str(path) and doc.encoding == "utf-8"
    assert turns_of(doc) == [
        (None, "Interview 1, 3 May 2023"),
        ("Interviewer", "How did it start?"),
        ("P12", "Well, it started in 2019.\nIt went on from there."),
        ("Interviewer", "And then?"),
        ("Dr Smith", "I think: yes."),
        ("Speaker 2", "Me too."),
        ("P12", "Answer on the next line."),
    ]
    assert [t.timestamp for t in doc.turns] == [None, None, None, "00:01:02", None, "00:03:04", None]
    assert "P12: Well" in doc.text and "[00:01:02] Interviewer: And then?" in doc.text  # labels kept in the text


def test_txt_without_labels_is_one_turn_per_paragraph(tmp_path):
    doc = read_one(write(tmp_path / "essay.txt", "First paragraph,\nstill first.\n\n \n\nSecond one.\n"))
    assert turns_of(doc) == [(None, "First paragraph,\nstill first."), (None, "Second one.")]


@pytest.mark.parametrize("text", [
    "My story began here.\n\nNote: this line is a note, not a speaker.\n\nThe end.",
    "Note: the recording started late.\n\nWe talked about work.",
    "It was late.\nand then she said: go home\nso we did.",
])
def test_txt_prose_with_a_colon_is_not_labelled(text):
    assert all(turn.speaker is None for turn in parse_turns(text))


def test_txt_labelled_when_first_line_is_labelled_even_without_recurrence():
    text = "Interviewer: Hello?\nRespondent 4: Hi there."
    assert [(t.speaker, text[t.start:t.end]) for t in parse_turns(text)] == [
        ("Interviewer", "Hello?"), ("Respondent 4", "Hi there.")]


def test_txt_lowercase_one_off_inside_speech_continues_the_turn_but_recurring_labels_count():
    text = "interviewer: hi\nparticipant: well\nthe point is: no\ninterviewer: ok\nparticipant: yes"
    assert [(t.speaker, text[t.start:t.end]) for t in parse_turns(text)] == [
        ("interviewer", "hi"), ("participant", "well\nthe point is: no"), ("interviewer", "ok"),
        ("participant", "yes")]


def test_txt_otter_style_header_lines():
    text = "Speaker 1  0:00\nHello there.\nSecond line.\n\nSpeaker 2  0:05\nHi."
    turns = parse_turns(text)
    assert [(t.speaker, t.timestamp, text[t.start:t.end]) for t in turns] == [
        ("Speaker 1", "0:00", "Hello there.\nSecond line."), ("Speaker 2", "0:05", "Hi.")]


def test_txt_urls_times_and_years_are_not_labels():
    text = "http://example.org: a site\n10:30: we met\n2019: a year\n"
    assert all(turn.speaker is None for turn in parse_turns(text))


# -- .txt: encodings -----------------------------------------------------------------------------

def test_cp1252_text_is_decoded_and_reported(tmp_path):
    path = write(tmp_path / "win.txt", "Interviewer: Caf\xe9?\nP1: It\x92s fine.\n".encode("latin-1"))
    doc = read_one(path)
    assert doc.encoding == "cp1252"
    assert turns_of(doc) == [("Interviewer", "Café?"), ("P1", "It’s fine.")]


def test_mixed_utf8_and_cp1252_lines_are_each_decoded_and_the_cp1252_lines_named(tmp_path):
    data = ("Interviewer: Café?\r\n".encode("utf-8") + "P1: Caf\xe9 au lait\r\n".encode("cp1252")
            + "P1: Très bien.\n".encode("utf-8") + "P1: It\x92s fine.\n".encode("latin-1"))
    doc = read_one(write(tmp_path / "mixed.txt", data))
    assert turns_of(doc) == [("Interviewer", "Café?"), ("P1", "Café au lait"), ("P1", "Très bien."),
                             ("P1", "It’s fine.")]
    assert "Ã" not in doc.text
    assert doc.encoding == "utf-8, with Windows-1252 (cp1252) on lines 2, 4"


def test_a_line_in_no_known_encoding_is_named(tmp_path):
    data = "P1: Café\n".encode("utf-8") + b"P1: bad \x81 byte\n"
    with pytest.raises(InputFileError, match="line 2 is neither UTF-8 nor Windows-1252"):
        read_one(write(tmp_path / "bad.txt", data))


def test_utf8_bom_and_crlf(tmp_path):
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbfInterviewer: Hi\r\nP1: Hello \xc3\xa9\r\n\r\nmore\r")
    doc = read_one(path)
    assert doc.encoding == "utf-8-sig"
    assert "\r" not in doc.text and not doc.text.startswith("\ufeff")
    assert turns_of(doc) == [("Interviewer", "Hi"), ("P1", "Hello é\n\nmore")]


def test_utf16_with_bom(tmp_path):
    doc = read_one(write(tmp_path / "u16.txt", "Interviewer: Hi\nP1: Hello".encode("utf-16")))
    assert doc.encoding == "utf-16" and turns_of(doc)[1] == ("P1", "Hello")


def test_decode_bytes_refuses_binary_and_names_the_file():
    with pytest.raises(InputFileError, match=r"x\.txt: .*binary.*zip archive"):
        decode_bytes(b"PK\x03\x04\x00\x00rest", "x.txt")


# -- errors --------------------------------------------------------------------------------------

def test_binary_txt_file(tmp_path):
    path = write(tmp_path / "data.txt", b"abc\x00\x01\x02def")
    with pytest.raises(InputFileError) as info:
        read_document(path)
    assert str(path) in str(info.value) and "binary" in str(info.value) and "NUL" in str(info.value)


@pytest.mark.parametrize("suffix", SUPPORTED_EXTENSIONS)
def test_empty_file_of_every_type(tmp_path, suffix):
    path = write(tmp_path / f"empty{suffix}", b"")
    with pytest.raises(InputFileError, match=rf"{re.escape(str(path))}: the file is empty \(0 bytes\)"):
        read_document(path)


def test_whitespace_only_txt(tmp_path):
    with pytest.raises(InputFileError, match=r"blank\.txt: .*only whitespace"):
        read_document(write(tmp_path / "blank.txt", " \n\t\n"))


def test_unsupported_extension_names_file_extension_and_supported_list(tmp_path):
    path = write(tmp_path / "scan.PDF", b"%PDF-1.4")
    with pytest.raises(InputFileError) as info:
        read_document(path)
    message = str(info.value)
    assert str(path) in message and "'.pdf'" in message
    assert all(ext in message for ext in SUPPORTED_EXTENSIONS)
    assert "How to fix" in message


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nothere\.txt: file not found"):
        read_document(tmp_path / "nothere.txt")


# -- .docx ---------------------------------------------------------------------------------------

def _docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def test_docx_paragraphs_labels_and_tables(tmp_path):
    import docx

    path = _docx(tmp_path / "int.docx", ["Interviewer: How are you?", "P3: Fine, thanks.", "",
                                         "Still P3 here.", "Interviewer: Good."],
                 table=[["Appendix", "cell text"]])
    document = docx.Document(str(path))
    document.paragraphs[1].add_run().add_break()  # a line break inside a paragraph
    document.paragraphs[1].add_run("Second line.")
    document.save(str(path))
    doc = read_one(path)
    assert doc.encoding is None
    assert turns_of(doc) == [("Interviewer", "How are you?"),
                             ("P3", "Fine, thanks.\nSecond line.\n\nStill P3 here."),
                             ("Interviewer", "Good.\nAppendix\ncell text")]


def test_docx_that_is_not_a_docx(tmp_path):
    path = write(tmp_path / "fake.docx", "Interviewer: hi")
    with pytest.raises(InputFileError, match=r"fake\.docx: this is not a Word \.docx file"):
        read_document(path)


def test_old_doc_renamed_to_docx(tmp_path):
    path = write(tmp_path / "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(InputFileError, match=r"old\.docx: .*Word 97-2003 \.doc"):
        read_document(path)


def test_docx_without_text(tmp_path):
    with pytest.raises(InputFileError, match=r"blank\.docx: the Word document contains no text"):
        read_document(_docx(tmp_path / "blank.docx", ["", "  "]))


# -- .vtt / .srt ---------------------------------------------------------------------------------

TEAMS_VTT = (
    "\ufeffWEBVTT\r\n"
    "Kind: captions\r\n\r\n"
    "NOTE exported by Teams\r\nmore note\r\n\r\n"
    "STYLE\r\n::cue { color: red }\r\n\r\n"
    "3f1c-4a/12-0\r\n"
    "00:00:01.000 --> 00:00:04.000 align:start position:10%\r\n"
    "<v Jane Doe>Hello and welcome.</v>\r\n\r\n"
    "3f1c-4a/13-0\r\n"
    "00:00:04.500 --> 00:00:06.000\r\n"
    "<v Jane Doe>Tell me about\r\nyour work.</v>\r\n\r\n"
    "00:00:06.000 --> 00:00:09.000\r\n"
    "<v.loud Sam Lee>I <i>teach</i> R&amp;D.</v>\r\n\r\n"
    "00:00:09.000 --> 00:00:12.000\r\n"
    "<v Sam Lee>Mostly.</v>\r\n<v Jane Doe>Thanks!</v>\r\n"
)


def test_vtt_voice_tags_merge_consecutive_cues(tmp_path):
    doc = read_one(write(tmp_path / "teams.vtt", TEAMS_VTT))
    assert doc.encoding == "utf-8-sig"
    assert [(t.speaker, t.timestamp, doc.text[t.start:t.end]) for t in doc.turns] == [
        ("Jane Doe", "00:00:01.000", "Hello and welcome. Tell me about your work."),
        ("Sam Lee", "00:00:06.000", "I teach R&D. Mostly."),
        ("Jane Doe", "00:00:09.000", "Thanks!"),
    ]
    assert doc.text.splitlines()[1] == "Sam Lee: I teach R&D. Mostly."


def test_vtt_zoom_style_labels(tmp_path):
    content = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAlex Kim: Hi all.\n\n"
               "2\n00:00:02.000 --> 00:00:03.000\nAlex Kim: Shall we start?\n\n"
               "3\n00:00:03.500 --> 00:00:05.000\nP7: Yes: go.\n")
    doc = read_one(write(tmp_path / "zoom.vtt", content))
    assert [(t.speaker, t.timestamp, doc.text[t.start:t.end]) for t in doc.turns] == [
        ("Alex Kim", "00:00:01.000", "Hi all. Shall we start?"), ("P7", "00:00:03.500", "Yes: go.")]


def test_srt_without_speakers_and_with_a_blank_line_inside_a_caption(tmp_path):
    content = ("1\n00:00:01,000 --> 00:00:02,500\n<i>First</i> line\nwraps here.\n\n"
               "2\n00:00:03,000 --> 00:00:04,000\nSecond cue.\n\nstray caption line\n\n\n"
               "3\n00:00:05,000 --> 00:00:06,000\n{\\an8}Third.\n")
    doc = read_one(write(tmp_path / "film.srt", content))
    assert [(t.speaker, t.timestamp) for t in doc.turns] == [(None, "00:00:01,000")]
    assert doc.text == "First line wraps here. Second cue. stray caption line Third."


def test_srt_with_speaker_labels(tmp_path):
    content = ("1\n00:00:01,000 --> 00:00:02,000\nINTERVIEWER: Ready?\n\n"
               "2\n00:00:02,000 --> 00:00:03,000\nMARIA: Yes.\n\n"
               "3\n00:00:03,000 --> 00:00:04,000\nINTERVIEWER: Go on.\n")
    doc = read_one(write(tmp_path / "x.srt", content))
    assert [(t.speaker, t.timestamp, doc.text[t.start:t.end]) for t in doc.turns] == [
        ("INTERVIEWER", "00:00:01,000", "Ready?"), ("MARIA", "00:00:02,000", "Yes."),
        ("INTERVIEWER", "00:00:03,000", "Go on.")]


def test_vtt_without_cues(tmp_path):
    with pytest.raises(InputFileError, match=r"nocues\.vtt: no subtitle cues"):
        read_document(write(tmp_path / "nocues.vtt", "WEBVTT\n\nNOTE nothing here\n"))


# -- .csv / .xlsx --------------------------------------------------------------------------------

ROWS = [
    {"doc": "A", "who": "Interviewer", "text": "Question one?", "site": "Leeds", "age": "34"},
    {"doc": "B", "who": "P2", "text": "Answer\r\nof B.", "site": "York", "age": ""},
    {"doc": "A", "who": "P1", "text": "  Answer of A.  ", "site": "Leeds", "age": "34"},
    {"doc": "A", "who": "P1", "text": "   ", "site": "Leeds", "age": "34"},
    {"doc": "", "who": "", "text": "", "site": "", "age": ""},
]
OPTIONS = TableOptions(text_column="text", document_column="doc", speaker_column="who")


def _csv(path: Path, rows, *, delimiter=",", encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _check_grouped(docs, source: Path):
    assert [d.name for d in docs] == ["A", "B"] and all(d.source == str(source) for d in docs)
    a, b = docs
    assert a.text == "Question one?\n\nAnswer of A."
    assert turns_of(a) == [("Interviewer", "Question one?"), ("P1", "Answer of A.")]
    assert [t.attributes for t in a.turns] == [{"site": "Leeds", "age": "34"}] * 2
    assert turns_of(b) == [("P2", "Answer\nof B.")] and b.turns[0].attributes == {"site": "York"}


def test_csv_rows_grouped_into_documents(tmp_path):
    path = _csv(tmp_path / "segments.csv", ROWS)
    docs = read_document(path, table_options=OPTIONS)
    _check_grouped(docs, path)
    assert docs[0].encoding == "utf-8"


def test_csv_semicolon_cp1252_and_na_text(tmp_path):
    rows = [{"Text": "Caf\xe9 au lait", "note": "NA"}, {"Text": "NA", "note": ""}]
    path = _csv(tmp_path / "euro.csv", rows, delimiter=";", encoding="cp1252")
    doc = read_one(path)  # default options: 'text' matches 'Text'; no document column -> file stem
    assert doc.name == "euro" and doc.encoding == "cp1252"
    assert turns_of(doc) == [(None, "Café au lait"), (None, "NA")]
    assert [t.attributes for t in doc.turns] == [{"note": "NA"}, {}]


def test_xlsx_rows_grouped_into_documents(tmp_path):
    import pandas as pd

    path = tmp_path / "segments.xlsx"
    pd.DataFrame(ROWS).replace("", None).to_excel(path, index=False)
    docs = read_document(path, table_options=OPTIONS)
    _check_grouped(docs, path)
    assert docs[0].encoding is None


def test_table_id_column_and_name(tmp_path):
    path = _csv(tmp_path / "t.csv", [{"id": "s1", "text": "One."}, {"id": "s2", "text": "Two."}])
    doc = read_one(path, name="Interview 9", table_options=TableOptions(id_column="id"))
    assert doc.name == "Interview 9" and [t.attributes for t in doc.turns] == [{"id": "s1"}, {"id": "s2"}]


def test_table_duplicate_id(tmp_path):
    path = _csv(tmp_path / "dup.csv", [{"id": "s1", "text": "One."}, {"id": "s1", "text": "Two."}])
    with pytest.raises(InputFileError, match=r"dup\.csv: row 3: field 'id': the id 's1' is also used in row 2"):
        read_document(path, table_options=TableOptions(id_column="id"))


def test_table_missing_text_column_lists_the_columns(tmp_path):
    path = _csv(tmp_path / "cols.csv", [{"quote": "x", "speaker": "P1"}])
    with pytest.raises(InputFileError) as info:
        read_document(path)
    message = str(info.value)
    assert str(path) in message and "'text'" in message and "'quote', 'speaker'" in message


def test_table_row_without_document_name(tmp_path):
    path = _csv(tmp_path / "nodoc.csv", [{"doc": "A", "text": "x"}, {"doc": "", "text": "y"}])
    with pytest.raises(InputFileError, match=r"nodoc\.csv: row 3: field 'doc': .*no document name"):
        read_document(path, table_options=TableOptions(document_column="doc"))


def test_table_rows_are_numbered_as_a_spreadsheet_shows_them_blank_lines_included(tmp_path):
    """Lines 1-2 blank, header in row 3, a blank row between data rows, a two-line cell (one row): the faulty row is 7."""
    path = tmp_path / "gaps.csv"
    path.write_text("\n\ndoc,text\nA,x\n\nA,\"two\nlines\"\n,y\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"gaps\.csv: row 7: field 'doc': .*no document name"):
        read_document(path, table_options=TableOptions(document_column="doc"))
    path.write_text("doc,text\nA,x\n\n\n,y\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"gaps\.csv: row 5: field 'doc'"):
        read_document(path, table_options=TableOptions(document_column="doc"))


def test_table_without_any_text(tmp_path):
    with pytest.raises(InputFileError, match=r"none\.csv: field 'text': no row has text"):
        read_document(_csv(tmp_path / "none.csv", [{"text": "", "x": "1"}]))


def test_broken_xlsx(tmp_path):
    with pytest.raises(InputFileError, match=r"bad\.xlsx: not a readable Excel \.xlsx workbook"):
        read_document(write(tmp_path / "bad.xlsx", "text\nhello\n"))


# -- property: read -> segment --------------------------------------------------------------------

SPEAKERS = ["Interviewer", "P12", "Dr Smith", "Zoë", "Speaker 2", "I", "Maria de Souza"]
CLEAN_WORDS = ["the", "Café", "naïve", "中文", "emoji😀", "3.5", "e.g.", "Dr.", "well,", "(yes)", "“quoted”",
               "don’t", "I", "résumé", "straße", "İstanbul", "a-b", "—", "…", "x" * 450, "No.", "P3", "Note"]
MESSY_WORDS = ["Note:", "P3:", "[00:01:02]", "-->", "<i>", "&amp;", "\n", "\n\n", "\t", "\u2028", "\xa0",
               "\n   \n", "?", "Word:", "00:00:01.000 --> 00:00:02.000", "\nNOTE", "\n2\n"]
_UNICODE = st.text(st.characters(codec="utf-8", blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"),
                   max_size=40)


_ENDINGS = [".", "?", "!", "...", "", " e.g. 3.5."]
_STAMPS = st.one_of(st.none(), st.sampled_from(["00:00:01", "1:02:03.5", "12:34"]))


def _sentence_pool(words: list[str], seed: int) -> list[str]:
    """Fixed random sentences: drawing whole sentences keeps Hypothesis fast (few choices per example)."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(words, k=rng.randint(1, 15))) + rng.choice(_ENDINGS) for _ in range(150)]


def transcripts(messy: bool) -> st.SearchStrategy[list[tuple[str, str | None, list[str]]]]:
    """(speaker, timestamp, lines of speech) per turn; messy ones hold random unicode and label-like junk."""
    sentence = st.sampled_from(_sentence_pool(CLEAN_WORDS + MESSY_WORDS if messy else CLEAN_WORDS, seed=7))
    line = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
    lines = st.lists(line, min_size=1, max_size=3)
    if messy:
        lines = st.builds(lambda ls, junk: ls + [junk + " end"], lines, _UNICODE)
    return st.lists(st.tuples(st.sampled_from(SPEAKERS), _STAMPS, lines), min_size=1, max_size=6)


def render(fmt: str, turns) -> str | list[dict]:
    if fmt == "txt":
        out = []
        for speaker, stamp, lines in turns:
            label = f"[{stamp}] {speaker}:" if stamp else f"{speaker}:"
            out.append(label + " " + "\n".join(lines))
        return "\n".join(out)
    if fmt in ("vtt", "srt"):
        sep = "." if fmt == "vtt" else ","
        out = ["WEBVTT", ""] if fmt == "vtt" else []
        for n, (speaker, _stamp, lines) in enumerate(turns, 1):
            # A cue's text may hold neither a blank line (it ends the cue) nor '-->' (it starts one): WebVTT and SRT
            # forbid both, and the reader takes them as the file's structure, not as speech.
            body = " ".join(lines).replace("-->", "->")
            body = re.sub(r"\n\s*\n", "\n", body)
            text = f"<v {speaker}>{body}</v>" if fmt == "vtt" else f"{speaker}: {body}"
            out += [str(n), f"00:00:{n:02d}{sep}000 --> 00:00:{n + 1:02d}{sep}000", text, ""]
        return "\n".join(out)
    return [{"speaker": s, "text": "\n".join(lines)} for s, _stamp, lines in turns]


def check_pipeline(docs, max_chars: int) -> None:
    for doc in docs:
        text = doc.text
        segments = segment_turns(text, doc.turns, max_chars=max_chars)
        covered = bytearray(len(text))
        previous_end = 0
        for seg in segments:
            piece = text[seg.start:seg.end]
            assert piece and piece == piece.strip()
            assert seg.start >= previous_end
            previous_end = seg.end
            covered[seg.start:seg.end] = b"\x01" * (seg.end - seg.start)
        for turn in doc.turns:
            assert 0 <= turn.start <= turn.end <= len(text)
            lost = [c for i, c in enumerate(text[turn.start:turn.end], turn.start) if not c.isspace() and not covered[i]]
            assert not lost


def read_rendered(fmt: str, content, directory: str):
    path = Path(directory) / f"generated.{fmt}"
    if fmt == "csv":
        _csv(path, content)
        return read_document(path, table_options=TableOptions(speaker_column="speaker"))
    path.write_text(content, encoding="utf-8", newline="")
    return read_document(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transcripts(messy=True), st.sampled_from(["txt", "vtt", "srt", "csv"]), st.integers(20, 400))
def test_property_read_then_segment_keeps_offsets_and_speech(turns, fmt, max_chars):
    with tempfile.TemporaryDirectory() as directory:
        check_pipeline(read_rendered(fmt, render(fmt, turns), directory), max_chars)


def _merged(turns):
    """Consecutive turns by one speaker merged, speech whitespace-normalised."""
    merged = []
    for speaker, group in itertools.groupby(turns, key=lambda turn: turn[0]):
        merged.append((speaker, " ".join(" ".join(line for _, _, lines in group for line in lines).split())))
    return merged


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transcripts(messy=False), st.sampled_from(["txt", "vtt", "csv"]))
def test_property_clean_transcripts_recover_speakers_and_speech(turns, fmt):
    with tempfile.TemporaryDirectory() as directory:
        (doc,) = read_rendered(fmt, render(fmt, turns), directory)
    found = [(t.speaker, " ".join(doc.text[t.start:t.end].split())) for t in doc.turns]
    if fmt == "vtt":
        assert found == _merged(turns)
    else:
        assert found == [(speaker, " ".join(" ".join(lines).split())) for speaker, _, lines in turns]
        if fmt == "txt":
            assert [t.timestamp for t in doc.turns] == [stamp for _, stamp, _ in turns]
