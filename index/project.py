"""The project: one folder holding the store, the vector cache and the index. The API the CLI and app use.

Layout of a project folder::

    project.db              documents, segments, codes, codings, decisions (SQLite, WAL)
    vectors.db              embedding cache: (model, text hash) -> vector
    index/segments.faiss    FAISS index over every segment
    index/segments.meta.json
    encoders/tuned-<sha12>/ a tuned copy of the encoder, only after `codeseed tune` (index.tuned_model)

Everything a user hands us goes through a reader and a check first, then into the store in one
transaction: an import either happens whole or leaves the project exactly as it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index import DEFAULT_MODEL, Encoder, IndexLayerError, VectorCache, VectorIndex, encode_with_cache
from index.cache import CacheDamagedError, open_repairing, set_damaged_cache_aside
from index.encoder import BACKEND_CHOICES, requested_backend

from index.ingest.attributes import link_segments, parse_attributes, participant_for_document, unmatched_participants
from index.ingest.codebook import check_codebook, read_codebook
from index.ingest.codings import match_codings
from index.errors import InputFileError, ModelError, ProjectError
from index.ingest.readers import read_document
from index.ingest.readers.table import TableOptions
from index.ingest.plan import PlannedDocument, cycle_collection_paused, plan_document, same_text_warnings
from index.store.corpus import segment_values
from index.store.store import DB_NAME, Store
from index.ingest.tables import read_table
from index.types import Code, ParsedDocument, Segment, prototype_text
from index.vectors import TRAIN_PER_LIST, choose_kind

DEFAULT_SETTINGS: dict[str, Any] = {"model": DEFAULT_MODEL, "max_segment_chars": 1200, "tuned_encoder": None}
TUNED_ENCODERS = "encoders"  # where `codeseed tune` writes tuned copies of the encoder, inside the project
REFI_SUFFIXES = (".qdpx", ".qdc")
BUILD_CHUNK = 100_000  # segments whose vectors are read and added to the index at a time


def _refi_here(path: Path) -> InputFileError:
    """REFI-QDA files are read by index.exchange, which sits above the project (it imports the project, never
    the other way round)."""
    return InputFileError("a REFI-QDA file is imported through index.importing, not by the project itself",
                          file=str(path), fix="run `codeseed import PROJECT FILE`, or from Python "
                          "index.importing.import_files(project, [path]) (import_codebook for a codebook)")


@dataclass
class ImportReport:
    documents: list[dict[str, Any]] = field(default_factory=list)  # name, source, segments, encoding
    codes: int = 0
    codings: int = 0
    codings_skipped: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)  # who the imported codings are by
    participants: int = 0
    linked_segments: int = 0
    warnings: list[str] = field(default_factory=list)  # what a lenient import skipped or assumed, file by file


@dataclass
class IndexReport:
    segments: int
    encoded: int
    rebuilt: bool
    seconds: float
    model: str
    warnings: list[str] = field(default_factory=list)  # what was repaired on the way (a damaged cache rebuilt)
    kind: str = "exact"  # the vector index's kind (index.vectors.choose_kind)


class Project:
    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        self._encoder: Encoder | None = None
        self.notices: list[str] = []  # repairs made on the way (a damaged cache rebuilt), newest last

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def init(cls, folder: Path | str, *, model: str = DEFAULT_MODEL, max_segment_chars: int = 1200) -> "Project":
        folder = Path(folder)
        if (folder / DB_NAME).exists():
            raise ProjectError("a codeseed project already exists here", file=str(folder),
                               fix="use it as it is, or choose another folder name")
        if folder.exists() and any(folder.iterdir()):
            raise ProjectError("the folder exists and is not empty", file=str(folder),
                               fix="choose a new folder name; codeseed keeps each project in a folder of its own")
        if max_segment_chars < 50:
            raise ProjectError("--max-segment-chars must be at least 50", field="max_segment_chars")
        folder.mkdir(parents=True, exist_ok=True)
        store = Store.open(folder / DB_NAME, create=True)
        with store.transaction():
            store.set_setting("model", model)
            store.set_setting("max_segment_chars", max_segment_chars)
        return cls(folder, store)

    @classmethod
    def open(cls, folder: Path | str) -> "Project":
        folder = Path(folder)
        if not (folder / DB_NAME).exists():
            what = "folder does not exist" if not folder.exists() else "folder is not a codeseed project (no project.db)"
            raise ProjectError(what, file=str(folder),
                               fix="check the name, or create the project with `codeseed init FOLDER`")
        return cls(folder, Store.open(folder / DB_NAME))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings(self) -> dict[str, Any]:
        return {**DEFAULT_SETTINGS, **self.store.settings()}

    # -- import --------------------------------------------------------------------------------
    def import_documents(self, paths: Iterable[Path | str], *, attributes: Path | str | None = None,
                         table_options: TableOptions | None = None) -> ImportReport:
        """Read, segment and store transcripts (and optionally an attributes table), all or nothing.

        Reading, segmenting and checking happen before the write; the project is locked for writing only for
        the final insert, so a coder deciding in the app meanwhile waits a moment at most.
        A REFI-QDA project (.qdpx) is imported whole (codebook, sources, codings) by :mod:`index.exchange`;
        :func:`index.importing.import_files` decides which file goes where.
        """
        paths = [Path(p) for p in paths]
        for path in paths:
            if path.suffix.lower() in REFI_SUFFIXES:
                raise _refi_here(path)
        report = ImportReport()
        with cycle_collection_paused():
            parsed: list[ParsedDocument] = []
            for path in paths:  # read_document says "not found" or "a folder, not a file"
                parsed.extend(read_document(path, table_options=table_options))
            attribute_table = parse_attributes(read_table(attributes)) if attributes else None
            plans = self.plan_documents(parsed, report)
            with self.store.transaction():
                ids = self.store_documents(plans, report)
                if attribute_table is not None:
                    self._apply_attributes(attribute_table, str(attributes), report)
                report.linked_segments = self.link_participants(None if attribute_table is not None else ids)
        return report

    def add_documents(self, parsed: list[ParsedDocument], report: ImportReport | None = None) -> list[int]:
        """Segment and store documents already read (by a reader, or from a REFI-QDA project); returns their ids.

        Runs inside the caller's transaction if there is one, else in its own.
        """
        report = report if report is not None else ImportReport()
        plans = self.plan_documents(parsed, report)
        with self.store.transaction():
            return self.store_documents(plans, report)

    def plan_documents(self, parsed: list[ParsedDocument], report: ImportReport) -> list[PlannedDocument]:
        """Segment documents and check them against the project, writing nothing (no lock held)."""
        self._check_names(parsed)
        max_chars = int(self.settings["max_segment_chars"])
        plans = [plan_document(document, max_chars=max_chars) for document in parsed]
        for plan in plans:
            plan.values = segment_values(plan.segments)

        def known(sha256: str) -> str | None:
            row = self.store.document_by_sha(sha256)
            return row["name"] if row is not None else None

        report.warnings += same_text_warnings(plans, known)
        return plans

    def store_documents(self, plans: list[PlannedDocument], report: ImportReport) -> list[int]:
        """Insert planned documents and their segments: the short write of an import."""
        ids = []
        with self.store.transaction():
            self._check_names([plan.document for plan in plans])  # again: another process may have imported
            for plan in plans:
                document = plan.document
                document_id = self.store.add_document(
                    name=document.name, source=document.source, text=document.text, sha256=plan.sha256,
                    encoding=document.encoding, attributes=document.attributes)
                self.store.add_segment_values(document_id, plan.values or segment_values(plan.segments))
                report.documents.append({"name": document.name, "source": document.source,
                                         "segments": len(plan.segments), "encoding": document.encoding})
                report.warnings += [f"{document.source}: {warning}" for warning in document.warnings]
                ids.append(document_id)
        return ids

    def import_attributes(self, path: Path | str) -> ImportReport:
        table = parse_attributes(read_table(path))
        report = ImportReport()
        with self.store.transaction():
            self._apply_attributes(table, str(path), report)
            report.linked_segments = self.link_participants()
        return report

    def _check_names(self, parsed: list[ParsedDocument]) -> None:
        """A document name may be used once; the same file imported again is refused by its name."""
        seen: dict[str, str] = {}
        for document in parsed:
            existing = self.store.document_by_name(document.name)
            if existing is not None or document.name in seen:
                other = existing["source"] if existing is not None else seen[document.name]
                raise InputFileError(
                    f"a document named {document.name!r} is already in the project (from {other})",
                    file=document.source,
                    fix="rename the file (the document name is the file name), or leave it out if it is the same transcript",
                )
            seen[document.name] = document.source

    def _apply_attributes(self, table, file: str, report: ImportReport) -> None:
        if table.key == "participant":
            for participant_id, values in table.rows.items():
                self.store.upsert_participant(participant_id, values)
            report.participants = len(table.rows)
            documents = self.store.documents()
            report.warnings += unmatched_participants(list(table.rows), {s.speaker for s in self.store.segments(with_text=False)},
                                                      [(d["name"], d["attributes"]) for d in documents], file)
            return
        documents = {d["name"]: d for d in self.store.documents()}
        unknown = [name for name in table.rows if name not in documents]
        if unknown:
            raise InputFileError(f"no document named {unknown[0]!r} in the project", file=file, field="document",
                                 fix="use the document names shown by `codeseed status PROJECT --documents`")
        for name, values in table.rows.items():
            self.store.set_document_attributes(documents[name]["id"], {**documents[name]["attributes"], **values})

    def link_participants(self, document_ids: list[int] | None = None) -> int:
        """Join participants onto documents named after them and onto the segments they speak.

        ``document_ids`` limits the work to those documents (new ones, when the participants did not change).
        """
        participants = self.store.participants()
        if not participants:
            return 0
        ids = list(participants)
        wanted = None if document_ids is None else set(document_ids)
        document_participant: dict[int, str | None] = {}
        for document in self.store.documents():
            if wanted is not None and document["id"] not in wanted:
                continue
            participant = participant_for_document(document["name"], document["attributes"], ids)
            document_participant[document["id"]] = participant
            if participant is not None:
                merged = {**participants[participant], **document["attributes"], "participant_id": participant}
                if merged != document["attributes"]:
                    self.store.set_document_attributes(document["id"], merged)
        segments = self.store.segments(document_ids=document_ids, with_text=False)
        links = link_segments(segments, document_participant, ids)
        self.store.set_segment_participants(links)
        return len(links)

    def import_codebook(self, path: Path | str) -> ImportReport:
        if Path(path).suffix.lower() in REFI_SUFFIXES:  # REFI-QDA: codes keep their GUIDs for export
            raise _refi_here(Path(path))
        codes = read_codebook(path)
        check_codebook(codes, str(path), existing={c.id for c in self.store.codes()})
        with self.store.transaction():
            self.store.upsert_codes(codes)
        return ImportReport(codes=len(codes))

    def import_codings(self, path: Path | str, *, coder: str | None = None, skip_bad_rows: bool = False) -> ImportReport:
        codes = self.store.codes()
        if not codes:
            raise ProjectError("the project has no codebook yet", file=str(path),
                               fix="import one first: codeseed import PROJECT --codebook codebook.csv")
        documents = {d["name"]: self.store.document_by_name(d["name"])["text"] for d in self.store.documents()}
        match = match_codings(read_table(path), codes=codes, segments=self.store.segments(), documents=documents,
                              default_coder=coder)
        if match.problems and not skip_bad_rows:
            shown = "\n".join(f"  - {p}" for p in match.problems[:10])
            more = f"\n  ... and {len(match.problems) - 10} more" if len(match.problems) > 10 else ""
            raise InputFileError(
                f"{len(match.problems)} of {match.rows_read} rows cannot be imported; nothing was imported:\n"
                f"{shown}{more}", file=str(path),
                fix="correct those rows, or pass --skip-bad-rows to import the others",
            )
        with self.store.transaction():
            added = self.store.add_codings((s, c, who, "human") for s, c, who in match.rows)
        already = len(match.rows) - added
        kept = [f"{path}: {already} of the file's codings were already in the project; kept as they were"]
        return ImportReport(codings=added, codings_skipped=[str(p) for p in match.problems],
                            coders=sorted({who for _, _, who in match.rows}),
                            warnings=match.warnings + (kept if already else []))

    # -- embeddings and index --------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = Encoder(self.encoder_source(), backend=self.indexed_backend())
        return self._encoder

    def encoder_source(self) -> str:
        """The model the project encodes with: the tuned copy ``codeseed tune`` installed, else its model."""
        tuned = self.settings.get("tuned_encoder")
        if not tuned:
            return str(self.settings["model"])
        folder = self.folder / tuned
        if not folder.is_dir():
            raise ModelError(f"The project's tuned encoder {folder} is missing.",
                             fix=f"run `codeseed tune {self.folder} --off` to return to the base encoder "
                                 f"({self.settings['model']}), or tune again")
        return str(folder)

    def set_tuned_encoder(self, folder: Path | None) -> None:
        """Install a tuned copy of the encoder (a folder inside the project), or return to the base (None)."""
        value = None
        if folder is not None:
            value = Path(folder).resolve().relative_to(self.folder.resolve()).as_posix()
        with self.store.transaction():
            self.store.set_setting("tuned_encoder", value)
        self._encoder = None

    def indexed_backend(self) -> str | None:
        """The encoder backend the project's index was built with, kept while the user asks for none.

        With the automatic choice, a later measurement on a busy machine (or with other thread settings) could
        pick another backend, and the index would then be refused as built with another encoder. A project
        therefore keeps the backend of its index; choosing one (``CODESEED_ENCODER_BACKEND``) and
        ``codeseed index --rebuild`` switches it.
        """
        if requested_backend() != "auto":
            return None
        try:
            meta = json.loads((self.index_dir / "segments.meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        model = meta.get("model") if isinstance(meta, dict) else None
        backend = str(model).rpartition("+")[2] if isinstance(model, str) and "+" in model else None
        return backend if backend in BACKEND_CHOICES and backend != "auto" else None

    def use_encoder(self, encoder: Any) -> None:
        """Swap in another encoder with the same interface (tests use a deterministic fake)."""
        self._encoder = encoder

    @property
    def index_dir(self) -> Path:
        return self.folder / "index"

    def vector_cache(self) -> VectorCache:
        """The vector cache; a damaged one is moved aside and started afresh, and :attr:`notices` says so."""
        cache, note = open_repairing(self.folder / "vectors.db")
        self.notices += [note] if note else []
        return cache

    def embed(self, texts: list[str], *, progress: bool = False) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (cached by model and text), and how many had to be encoded."""
        cache = self.vector_cache()
        try:
            return encode_with_cache(self.encoder, texts, cache, progress=progress)
        except CacheDamagedError as error:  # found while reading: start afresh once
            cache.close()
            self.notices.append(set_damaged_cache_aside(cache.path, error))
            cache = self.vector_cache()
            return encode_with_cache(self.encoder, texts, cache, progress=progress)
        finally:
            cache.close()

    def build_index(self, *, rebuild: bool = False, progress: bool = False, kind: str = "auto") -> IndexReport:
        """Embed every segment not yet cached and write the FAISS index; a no-op when nothing changed.

        ``kind="auto"`` picks the index kind for the project's size (exact below
        :data:`index.vectors.APPROXIMATE_FROM` segments); an index of another kind is rebuilt. Vectors are read
        and added in chunks, so a million segments never sit in memory twice.
        """
        began, noticed = time.perf_counter(), len(self.notices)
        # the codebook's texts too (a few dozen), so fitting the suggester never has to load the model
        self.embed([prototype_text(c) for c in self.store.codes()])
        segments = self.store.segments()
        ids = np.array([s.id for s in segments], dtype=np.int64)
        wanted = choose_kind(len(segments)) if kind == "auto" else kind
        if not rebuild:
            current = self._current_index()
            if current is not None and current.kind == wanted and np.array_equal(np.sort(current.ids), np.sort(ids)):
                return IndexReport(len(segments), 0, False, time.perf_counter() - began, current.model,
                                   warnings=self.notices[noticed:], kind=current.kind)
        index = VectorIndex.for_count(self.encoder.dimension, self.encoder.identifier, len(segments), wanted)
        texts = [s.text for s in segments]
        del segments
        encoded = 0
        if not index.is_trained:
            sample = np.random.default_rng(0).permutation(len(texts))[: TRAIN_PER_LIST * index.lists]
            vectors, encoded = self.embed([texts[i] for i in np.sort(sample)], progress=progress)
            index.train(vectors)
        from tqdm.auto import tqdm

        quiet = not progress or len(texts) <= BUILD_CHUNK
        with tqdm(total=len(texts), unit="segment", desc="Indexing", disable=quiet) as bar:
            for start in range(0, len(texts), BUILD_CHUNK):  # a million segments: a minute or two, so say so
                vectors, fresh = self.embed(texts[start:start + BUILD_CHUNK], progress=progress)
                index.add(vectors, ids[start:start + BUILD_CHUNK])
                encoded += fresh
                bar.update(len(vectors))
        index.save(self.index_dir)
        return IndexReport(len(texts), encoded, True, time.perf_counter() - began, self.encoder.identifier,
                           warnings=self.notices[noticed:], kind=index.kind)

    def _current_index(self) -> VectorIndex | None:
        try:
            return VectorIndex.load(self.index_dir, expect_model=self.encoder.identifier)
        except IndexLayerError:
            return None

    def load_index(self) -> VectorIndex:
        """The saved index; refuses one built with another model, and says how to build a missing one."""
        if not (self.index_dir / "segments.meta.json").exists():
            raise ProjectError("the project has no index yet", file=str(self.folder),
                               fix=f"run `codeseed index {self.folder}`")
        return VectorIndex.load(self.index_dir, expect_model=self.encoder.identifier)

    # -- reading -------------------------------------------------------------------------------
    def segments(self, **filters: Any) -> list[Segment]:
        return self.store.segments(**filters)

    def codes(self) -> list[Code]:
        return self.store.codes()

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        meta_path = self.index_dir / "segments.meta.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            indexed = {int(i) for i in meta.get("ids", [])}
            current = self.store.segment_ids()
            missing = len(current - indexed)
            state = "up to date" if indexed == current else (
                f"stale: {missing} of {len(current)} segments not indexed; run `codeseed index {self.folder}`")
            index = {"state": state, "model": meta.get("model"), "segments": len(indexed & current),
                     "kind": meta.get("kind", "exact")}
        else:
            index = {"state": "not built", "model": self.settings["model"], "segments": 0}
        encoder = {"model": self.settings["model"], "tuned": self.settings.get("tuned_encoder")}
        return {"project": str(self.folder), "schema": self.store.schema_version, **counts, "index": index,
                "encoder": encoder}

