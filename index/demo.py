"""Build the bundled sample project (Foye et al. 2022) so that a new user has something real to try."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from index.project import Project

SAMPLE_CODER = "foye2022"


def sample_dir() -> Path:
    return Path(str(resources.files("index.sample")))


def build_demo(folder: Path | str, *, index: bool = True, progress: bool = False, encoder=None) -> Project:
    """Create a project at ``folder`` with the sample transcripts, attributes, codebook and first-pass codings."""
    sample = sample_dir()
    project = Project.init(folder)
    try:
        if encoder is not None:
            project.use_encoder(encoder)
        project.import_documents(sorted((sample / "transcripts").glob("*.txt")),
                                 attributes=sample / "participants.csv")
        project.import_codebook(sample / "codebook.csv")
        project.import_codings(sample / "first_pass.csv", coder=SAMPLE_CODER)
        if index:
            project.build_index(progress=progress)
    except BaseException:
        project.close()
        raise
    return project
