"""Shared test fixtures: a deterministic fake encoder and small projects built through the public API."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class FakeEncoder:
    """Bag of words hashed into a small space, L2-normalised: texts sharing words are near, exactly reproducibly.

    ``calls`` records what it was asked to encode, so tests can see what the cache saved.
    """

    def __init__(self, dimension: int = 64, identifier: str = "fake-bow-64") -> None:
        self.dimension = dimension
        self.identifier = identifier
        self.calls: list[list[str]] = []

    @property
    def n_encoded(self) -> int:
        return sum(len(c) for c in self.calls)

    def encode(self, texts, *, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        self.calls.append(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little") % self.dimension
                out[row, bucket] += 1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def cli_on_fake_encoder(monkeypatch, fake_encoder):
    """The command line opens projects with the fake encoder (through its one seam, ``cli.registry.open_project``)."""
    import cli.registry
    from index.project import Project

    def with_fake(folder):
        opened = Project.open(folder)
        opened.use_encoder(fake_encoder)
        return opened

    monkeypatch.setattr(cli.registry, "open_project", with_fake)


@pytest.fixture
def project(tmp_path, fake_encoder):
    """An empty project using the fake encoder."""
    from index.project import Project

    p = Project.init(tmp_path / "proj")
    p.use_encoder(fake_encoder)
    yield p
    p.close()


CODEBOOK_CSV = ("code,parent,name,description\nACC,,Access,\nW,ACC,Waiting,waiting lists and delays\n"
                "R,,Respect,staff kind and respectful\nP,,Parking,parking and cost of parking\n")
FIRST_PASS_CSV = "document,text,code\nP1,The waiting list was months long,W\nP1,The staff were kind,R\n"


def coded_project(folder: Path, encoder, transcripts: dict[str, str], *, attributes: str | None = None,
                  coder: str = "ana"):
    """A project with the given transcripts, the Access/Respect/Parking codebook and two first-pass codings."""
    from index.project import Project

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in transcripts.items():
        (folder / f"{name}.txt").write_text(text)
    (folder / "codebook.csv").write_text(CODEBOOK_CSV)
    (folder / "codings.csv").write_text(FIRST_PASS_CSV)
    if attributes is not None:
        (folder / "people.csv").write_text(attributes)
    p = Project.init(folder / "proj")
    p.use_encoder(encoder)
    p.import_documents([folder / f"{name}.txt" for name in transcripts],
                       attributes=folder / "people.csv" if attributes is not None else None)
    p.import_codebook(folder / "codebook.csv")
    p.import_codings(folder / "codings.csv", coder=coder)
    return p


def snapshot(project) -> dict:
    """Every row of every table: what a failed import must leave exactly as it was."""
    db = project.store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY rowid")] for t in tables}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Keep codeseed's user-level state out of the real home, except the extracted model (expensive to redo)."""
    monkeypatch.setenv("CODESEED_HOME", str(_shared_home(tmp_path_factory)))


_HOME: list[Path] = []


def _shared_home(factory) -> Path:
    if not _HOME:
        _HOME.append(factory.mktemp("codeseed-home"))
    return _HOME[0]
