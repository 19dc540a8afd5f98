"""`codeseed tune PROJECT`: fine-tune a copy of the encoder on the project's human codings, and install it only
if a held-out comparison shows the suggester gains (:mod:`eval.tune_check`).

Steps: the human-coded segments (as ``codeseed eval`` reads them: :func:`eval.project_eval.project_data`); the
held-out check (tunes on four fifths, compares on the rest; skipped with ``check=False``); when it passes, a
tuning on every coded segment, written to ``PROJECT/encoders/tuned-<sha12>/`` (:mod:`index.tuned_model`) and
installed as the project's encoder; then the index is rebuilt with it (every segment embedded again; the base
encoder's vectors stay in the cache, so ``--off`` is quick). Nothing in the project changes before the tuned
copy is complete on disk: an interrupted tuning leaves the project as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from index.encoder import Encoder
from index.errors import ProjectError
from index.model import sha256_file
from index.project import TUNED_ENCODERS, IndexReport, Project
from index.tuned_model import write_tuned
from index.tuning import TuneSettings, embedder, fine_tune, saver, single_label
from index.types import prototype_text

from .project_eval import project_data
from .tune_check import TuneCheck, check_tuning

MIN_SEGMENTS = 100  # below this a held-out fifth is a handful of segments: no comparison can show a gain


@dataclass
class TuneReport:
    installed: bool
    segments: int
    codes: int
    check: TuneCheck | None
    folder: Path | None = None
    index: IndexReport | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    training: dict[str, Any] = field(default_factory=dict)  # the precision it ran at, and its measurement


def tune_project(project: Project, settings: TuneSettings = TuneSettings(), *, check: bool = True,
                 progress: bool = False, min_segments: int = MIN_SEGMENTS) -> TuneReport:
    began = time.perf_counter()
    installed = project.settings.get("tuned_encoder")
    if installed:
        raise ProjectError(f"a tuned encoder is already installed ({installed})", file=str(project.folder),
                           fix=f"run `codeseed tune {project.folder} --off` first (quick: the base encoder's "
                               "vectors are still cached), then tune again")
    data = project_data(project, progress=progress)
    if len(data.texts) < min_segments:
        raise ProjectError(f"tuning needs at least {min_segments} human-coded segments; the project has "
                           f"{len(data.texts)}", file=str(project.folder),
                           fix="code more segments first; with few coded segments the suggester learns from "
                               "them directly, without tuning the encoder")
    if len(data.codes) < 2:
        raise ProjectError(f"tuning needs codings of at least two codes; every coded segment has "
                           f"{' '.join(data.codes) or 'no code'}", file=str(project.folder),
                           fix="code segments with the other codes of the codebook first: tuning learns what "
                               "tells codes apart")
    by_id = {c.id: c for c in project.codes()}
    prototype_texts = [prototype_text(by_id[code]) for code in data.codes]
    base = Encoder(project.settings["model"]).resolved

    training: dict[str, Any] = {}

    def tune(texts: list[str], Y: Any):
        return embedder(fine_tune(base.path, texts, Y, settings, progress=progress, desc="Tuning (held-out check)",
                                  record=training))

    result = None
    if check:
        try:
            result = check_tuning(data, prototype_texts, tune)
        except ValueError as exc:
            raise ProjectError(str(exc), file=str(project.folder),
                               fix="code segments in more documents, or pass --no-check to tune without it") from exc
        if not result.keep:
            return TuneReport(False, len(data.texts), len(data.codes), result, seconds=time.perf_counter() - began,
                              training=training)
    final = settings
    if settings.precision == "auto" and training.get("step_seconds"):  # measured in the check: not again
        final = replace(settings, precision=training["precision"])
    model = fine_tune(base.path, data.texts, data.Y, final, progress=progress, desc="Tuning", record=training)
    manifest = {
        "base_model": str(project.settings["model"]), "base_identifier": base.identifier,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trained_on": {"segments": len(data.texts), "codes": list(data.codes), "single_label": single_label(data.Y),
                       "settings": settings.as_dict(), "training": training},
        "check": result.as_dict() if result is not None else None,
    }
    folder = write_tuned(saver(model), project.folder / TUNED_ENCODERS, manifest, sha256_file)
    project.set_tuned_encoder(folder)
    index = project.build_index(progress=progress)
    return TuneReport(True, len(data.texts), len(data.codes), result, folder, index,
                      seconds=time.perf_counter() - began, training=training)


def untune_project(project: Project, *, progress: bool = False) -> tuple[str | None, IndexReport]:
    """Return to the base encoder and rebuild the index (from the cache). The tuned folder stays on disk."""
    was = project.settings.get("tuned_encoder")
    project.set_tuned_encoder(None)
    return was, project.build_index(progress=progress)
