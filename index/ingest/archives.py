"""Zip packages from other people's computers (.qdpx projects, .docx, .xlsx) and the XML inside them, read safely.

Nothing here trusts the file:

* Member names must be relative paths inside the archive (no ``/abs``, ``C:\\``, ``..``, NUL), no name twice,
  nothing encrypted, at most ``Limits.max_members`` members and ``Limits.max_bytes`` (default 2 GiB,
  ``CODESEED_MAX_QDPX_BYTES``) uncompressed in all; a member of more than 1 MiB that expands more than
  ``Limits.max_ratio`` (100) times its compressed size is refused as a zip bomb.
* A member is read no further than its declared size (zipfile then checks the CRC).
* XML is parsed with defusedxml: entity declarations (billion laughs) and external references (XXE) are refused
  before anything is expanded or fetched. Office packages (.docx, .xlsx) are checked the same way before
  python-docx or openpyxl see them: Word and Excel never write a DOCTYPE, so one is refused, never ignored.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from index.errors import InputFileError

MIB = 1 << 20
GIB = 1 << 30
_DAMAGED_FIX = "copy or download the file again, or export it again from its program"


@dataclass(frozen=True)
class Limits:
    """How much an archive may hold; anything beyond is refused before it is read."""

    max_bytes: int = 2 * GIB  # uncompressed, all members together (and any one .qdc file)
    max_ratio: float = 100.0  # uncompressed / compressed, for members larger than ratio_floor
    ratio_floor: int = MIB
    max_members: int = 100_000

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, with ``CODESEED_MAX_QDPX_BYTES`` (a number of bytes) overriding ``max_bytes``."""
        value = os.environ.get("CODESEED_MAX_QDPX_BYTES")
        if not value:
            return cls()
        try:
            return cls(max_bytes=int(value))
        except ValueError:
            raise InputFileError(f"CODESEED_MAX_QDPX_BYTES={value!r} is not a whole number of bytes",
                                 fix="set it to a number such as 4294967296 (4 GiB), or unset it") from None


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_name(name: str) -> str | None:
    """Why a path inside an archive is unsafe (absolute, drive, ``..``, NUL), or None for a plain relative path."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "climbs out of the archive with '..'"
    return None


def check_members(archive: zipfile.ZipFile, file: str, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Every member by name, once the archive passed the checks in the module docstring."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise InputFileError(f"the archive holds {len(infos):,} files, more than the limit of {limits.max_members:,}",
                             file=file, fix="this is not a plausible export; check where it came from")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        why = unsafe_member_name(info.filename)
        if why:
            raise InputFileError(f"refused: the archive member {info.filename!r} {why}", file=file,
                                 fix="a genuine export only holds files inside itself; this archive was made to "
                                     "write outside its folder, so do not unpack it either")
        if info.filename in members:
            raise InputFileError(f"refused: the archive holds {info.filename!r} twice", file=file,
                                 fix="export the file again; a genuine export names each member once")
        if info.flag_bits & 0x1:
            raise InputFileError(f"the archive member {info.filename!r} is encrypted", file=file,
                                 fix="export the file again without a password")
        total += info.file_size
        if total > limits.max_bytes:
            raise InputFileError(f"refused: the archive unpacks to more than {limits.max_bytes:,} bytes", file=file,
                                 fix="if this really is your file, raise the limit with the environment variable "
                                     "CODESEED_MAX_QDPX_BYTES (bytes)")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise InputFileError(
                f"refused: the archive member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f} "
                f"times (from {info.compress_size:,} to {info.file_size:,} bytes), like a zip bomb", file=file,
                fix="transcripts compress perhaps 3 to 10 times; check where this file came from",
            )
        members[info.filename] = info
    return members


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, limits: Limits,
                head: int | None = None) -> bytes:
    """The member's bytes (its first ``head`` bytes if given); never more than its declared size."""
    wanted = min(info.file_size, limits.max_bytes) + 1 if head is None else head
    try:
        with archive.open(info) as handle:
            data = handle.read(wanted)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise InputFileError(f"the archive member {info.filename!r} cannot be read: the archive is truncated or "
                             f"damaged ({error})", file=file, fix=_DAMAGED_FIX) from None
    if len(data) > info.file_size:
        raise InputFileError(f"the archive member {info.filename!r} is larger than the archive says", file=file,
                             fix="the archive is damaged; export it again")
    return data


def parse_xml(data: bytes, file: str, *, again: str = "export the file again from its program") -> Element:
    """Parse XML refusing DTD entities and external references; errors say which and why."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as error:
        raise InputFileError(_entity_problem(error.name, error.sysid or error.pubid), file=file,
                             fix=f"genuine exports never declare entities: {again}") from None
    except (ExternalReferenceForbidden, DTDForbidden) as error:
        raise InputFileError(f"the XML refers to an external resource {error.sysid!r}; refused (XXE)", file=file,
                             fix=f"genuine exports never refer to external resources: {again}") from None
    except ParseError as error:
        line, column = error.position
        raise InputFileError(f"not well-formed XML at line {line}, column {column} ({error.msg})", file=file,
                             fix=f"the file is damaged or not the XML expected: {again}") from None


def _entity_problem(name: str | None, target: str | None) -> str:
    if target:
        return (f"the XML declares an external entity {name!r} pointing at {target!r}; refused, since reading it "
                "could reveal files of this computer (XXE)")
    return (f"the XML declares an entity {name!r}; refused, since entity expansion can blow a small file up to "
            "gigabytes (billion laughs)")


# -- Office packages (.docx, .xlsx) ------------------------------------------------------------------------------
_PROLOG_BYTES = 64 * 1024


class _Found(Exception):
    pass


def _doctype_in(head: bytes) -> str | None:
    """What the XML's prolog declares (a DOCTYPE, entities), or None; reads no further than the first element."""
    parser = expat.ParserCreate()
    seen: list[str] = []

    def doctype(name, sysid, pubid, internal):
        seen.append(f"a DOCTYPE {name!r}" + (f" pointing at {sysid or pubid!r}" if sysid or pubid else ""))

    def entity(name, is_parameter, value, base, sysid, pubid, notation):
        seen.append(_entity_problem(name, sysid or pubid))
        raise _Found

    def element(*_):
        raise _Found

    parser.StartDoctypeDeclHandler, parser.EntityDeclHandler, parser.StartElementHandler = doctype, entity, element
    try:
        parser.Parse(head, False)
    except (_Found, expat.ExpatError):
        pass  # a part that is not XML is python-docx's or openpyxl's to refuse
    return seen[-1] if seen else None


def check_office_package(path: Path, what: str, limits: Limits | None = None) -> None:
    """Refuse a .docx/.xlsx whose archive is unsafe or whose XML parts declare a DOCTYPE or entities."""
    limits = limits or Limits.from_env()
    try:
        with zipfile.ZipFile(path) as archive:
            members = check_members(archive, str(path), limits)
            for name, info in members.items():
                if not name.lower().endswith((".xml", ".rels")):
                    continue
                found = _doctype_in(read_member(archive, info, str(path), limits, head=_PROLOG_BYTES))
                if found:
                    problem = found if "entity" in found else (
                        f"the XML declares {found}; refused: Office files never carry one, and a DOCTYPE is where "
                        "entity attacks (XXE, billion laughs) begin")
                    raise InputFileError(f"part {name}: {problem}", file=str(path),
                                         fix=f"{what} never declares a DOCTYPE or entities: open the file in its "
                                             "program and save it again, and check where it came from")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        return  # not a zip at all: the format's own reader says what it is instead
