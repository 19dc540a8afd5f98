"""Hand-made REFI-QDA files for the tests: GUIDs, a small project.qde, selections and a .qdpx writer.

Everything here is made by the tests themselves, so the tests that use it run on any clone (no shared/ needed).
"""

from __future__ import annotations

import zipfile
from pathlib import Path


def G(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


NS = 'xmlns="urn:QDA-XML:project:1.0"'
USERS = f'<Users><User guid="{G(1)}" name="ana"/><User guid="{G(2)}" name="ben"/></Users>'
CODES = (f'<CodeBook><Codes><Code guid="{G(10)}" name="Access" isCodable="true"><Description>Getting care</Description>'
         f'<Code guid="{G(11)}" name="Waiting" isCodable="true"/></Code>'
         f'<Code guid="{G(12)}" name="Respect" isCodable="true"/></Codes></CodeBook>')
TEXT = "Interviewer: How was the clinic?\nP1: The wait was far too long.\nInterviewer: And the staff?\nP1: They were kind.\n"


def qdpx(path: Path, project_xml: str | bytes, members: dict[str, bytes | str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project_xml)
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


def selection(n: int, start: int, end: int, *codings: tuple[int, int | None]) -> str:
    inner = "".join(f'<Coding guid="{G(500 + n * 10 + k)}"' + (f' creatingUser="{G(user)}"' if user else "")
                    + f'><CodeRef targetGUID="{G(code)}"/></Coding>' for k, (code, user) in enumerate(codings))
    return f'<PlainTextSelection guid="{G(400 + n)}" startPosition="{start}" endPosition="{end}">{inner}</PlainTextSelection>'


def small_project_xml(selections: str = "", extra_sources: str = "", sections: str = "", source_attrs: str = "",
                      users: str = USERS) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Project {NS} name="small" origin="test">{users}{CODES}{sections}'
            f'<Sources><TextSource guid="{G(100)}" name="clinic" plainTextPath="internal://{G(100)}.txt"{source_attrs}>'
            f'{selections}</TextSource>{extra_sources}</Sources></Project>')


def at(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)
