"""A fitted suggester saved as a self-contained folder, loadable anywhere (a Ray worker, another machine) with a
hash check: what ``codeseed suggest PROJECT --save-model DIR`` writes and ``codeseed batch DIR ...`` reads.

The folder::

    manifest.json   format and version, the encoder (name, identifier, SHA-256 of its weights, backend),
                    the codes (id and name), the suggester version, and the SHA-256 of every other file
    state.json      the fitted CodeSuggester: parameters, learned attributes (codes, examples, calibration,
                    thresholds, rejections, the linear channel with its TF-IDF vocabulary), in JSON
    arrays.npz      its arrays: the examples' vectors and codes, prototypes, thresholds, linear weights, idf
    encoder/        only for a model given as a local folder: a copy of it (the default model and models from
                    the Hugging Face cache are referred to by name and checked by the hash of their weights)

No pickle: arrays are read with ``allow_pickle=False``, and :mod:`suggest.saved_state` instantiates only
codeseed's own classes and the TF-IDF vectoriser. A file whose hash differs from the manifest's, a missing
file, or another format version is refused with an error naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import CodeseedError, ModelError
from index.model import WEIGHTS_FILE, resolve_model, sha256_file
from suggest.estimator import CodeSuggester
from suggest.saved_state import StateError, StateWriter, decode
from suggest.suggestion import Suggestion

FORMAT = "codeseed-suggester"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STATE = "state.json"
ARRAYS = "arrays.npz"
BUNDLED_ENCODER = "encoder"


class SavedModelError(CodeseedError):
    """A saved suggester folder is missing, damaged, tampered with, or of another format version."""


def encoder_spec(encoder: Any) -> dict[str, Any]:
    """What a saved model records about the encoder that made its vectors."""
    resolved = getattr(encoder, "resolved", None)
    if resolved is None:  # an encoder codeseed cannot rebuild by name (e.g. a test's fake)
        return {"name": None, "identifier": encoder.identifier, "weights_sha256": None, "bundled": False}
    # a user's local folder or a project's tuned encoder: copied into the saved model
    bundled = resolved.identifier.startswith(("path:", "tuned:"))
    # The backend that made the examples' vectors (torch/ONNX, fp32/bf16/int8) makes the batch's too: the same
    # vectors, so the same scores, wherever the batch runs (a backend a worker cannot run is an error there).
    return {"name": encoder.model_name, "identifier": encoder.identifier,
            "weights_sha256": weights_sha256(resolved.path), "bundled": bundled, "backend": encoder.backend}


def weights_sha256(folder: Path) -> str:
    for name in (WEIGHTS_FILE, "pytorch_model.bin"):
        if (Path(folder) / name).is_file():
            return sha256_file(Path(folder) / name)
    raise ModelError(f"No weights ({WEIGHTS_FILE} or pytorch_model.bin) in the model folder {folder}.",
                     fix="pass the folder that contains the model's config.json and weights")


def save_suggester(model: CodeSuggester, folder: str | Path, *, encoder: Any,
                   code_names: dict[str, str] | None = None) -> Path:
    """Write a fitted ``model`` (and what its encoder is) to ``folder``, atomically: a half-written folder never
    replaces a good one. ``folder`` must not exist, or hold an earlier saved model (which is replaced)."""
    if not hasattr(model, "codes_"):
        raise ValueError("fit the suggester before saving it")
    folder = Path(folder)
    if folder.exists() and not (folder / MANIFEST).is_file():
        raise SavedModelError("the folder exists and is not a saved suggester; refusing to overwrite it",
                              file=str(folder), fix="choose a new folder for --save-model")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        _write(model, tmp, encoder, code_names or {})
        if folder.exists():
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _write(model: CodeSuggester, tmp: Path, encoder: Any, code_names: dict[str, str]) -> None:
    writer = StateWriter()
    try:
        state = writer.encode(model, "suggester")
    except StateError as exc:
        raise SavedModelError(f"the fitted suggester cannot be saved: {exc}") from exc
    (tmp / STATE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    np.savez(tmp / ARRAYS, **writer.arrays)
    spec = encoder_spec(encoder)
    if spec["bundled"]:
        shutil.copytree(encoder.resolved.path, tmp / BUNDLED_ENCODER)
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "suggester": model.version, "encoder": spec,
        "codes": [{"id": c, "name": code_names.get(c, "")} for c in model.codes_],
        "examples": len(model.examples_),
        "files": {p.relative_to(tmp).as_posix(): sha256_file(p) for p in files},
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass
class SavedSuggester:
    """A loaded suggester: ``suggest(vectors, texts)`` gives what the fitted CodeSuggester gave."""

    folder: Path
    manifest: dict[str, Any]
    model: CodeSuggester
    model_id: str  # SHA-256 of the manifest: names these exact files

    @property
    def codes(self) -> list[str]:
        return list(self.model.codes_)

    @property
    def encoder_identifier(self) -> str:
        return self.manifest["encoder"]["identifier"]

    def suggest(self, vectors: np.ndarray, texts: list[str] | None = None, *, top: int = 5) -> list[list[Suggestion]]:
        return self.model.suggest(vectors, texts, top=top)

    def load_encoder(self):
        """The encoder the suggester was fitted with (same model, same backend), checked by the SHA-256 of its
        weights. Cheap: the model itself is loaded on the first ``encode``."""
        from index.encoder import Encoder

        spec = self.manifest["encoder"]
        if spec.get("name") is None:
            raise ModelError(f"This saved suggester was made with the encoder {spec['identifier']!r}, which "
                             "codeseed cannot rebuild by name.", fix="pass that encoder explicitly")
        source = self.folder / BUNDLED_ENCODER if spec.get("bundled") else spec["name"]
        resolved = resolve_model(source)
        actual = weights_sha256(resolved.path)
        if actual != spec["weights_sha256"]:
            raise ModelError(f"The encoder {source} has other weights than the one this suggester was fitted with "
                             f"(SHA-256 {actual[:12]}…, expected {spec['weights_sha256'][:12]}…).",
                             fix=f"install the model the suggester was saved with ({spec['identifier']}), "
                                 "or save the suggester again with this one")
        return Encoder(source, backend=spec["backend"])

    def check_encoder(self, encoder: Any) -> None:
        """Refuse an encoder given by the caller that is not the one the suggester was fitted with."""
        if getattr(encoder, "identifier", None) != self.encoder_identifier and not self.manifest["encoder"]["bundled"]:
            raise ModelError(f"The encoder {encoder.identifier!r} is not the one this suggester was fitted with "
                             f"({self.encoder_identifier!r}).", fix="use the saved model's own encoder")


def save_project_suggester(suggester: Any, folder: str | Path) -> Path:
    """Save a fitted :class:`~suggest.project_suggester.ProjectSuggester`'s model with its project's encoder."""
    names = {c.id: c.name for c in suggester.project.codes()}
    return save_suggester(suggester.model, folder, encoder=suggester.project.encoder, code_names=names)


def load_suggester(folder: str | Path) -> SavedSuggester:
    """Read and verify a saved suggester folder (hashes and format version first, then the state)."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise SavedModelError("not a saved suggester (no manifest.json)", file=str(folder),
                              fix="give the folder written by: codeseed suggest PROJECT --save-model DIR")
    raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise SavedModelError(f"the manifest is not valid JSON ({exc})", file=str(manifest_path),
                              fix="save the suggester again") from exc
    _check_manifest(manifest, manifest_path)
    _check_hashes(folder, manifest["files"])
    with np.load(folder / ARRAYS, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    try:
        model = decode(json.loads((folder / STATE).read_text(encoding="utf-8")), arrays)
    except (StateError, KeyError, TypeError, ValueError) as exc:
        raise SavedModelError(f"the saved state cannot be read: {exc}", file=str(folder / STATE),
                              fix="save the suggester again with this version of codeseed") from exc
    if not isinstance(model, CodeSuggester):
        raise SavedModelError("the saved state is not a code suggester", file=str(folder / STATE))
    return SavedSuggester(folder, manifest, model, hashlib.sha256(raw).hexdigest())


def _check_manifest(manifest: Any, path: Path) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SavedModelError("not a codeseed saved suggester manifest", file=str(path),
                              fix="give the folder written by: codeseed suggest PROJECT --save-model DIR")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise SavedModelError(f"format version {manifest.get('format_version')!r}; this codeseed reads version "
                              f"{FORMAT_VERSION}", file=str(path),
                              fix="save the suggester again with this version of codeseed (or use the version "
                                  "that saved it)")
    files = manifest.get("files")
    if not isinstance(files, dict) or not {STATE, ARRAYS} <= set(files):
        raise SavedModelError("the manifest does not list the state and arrays files", file=str(path),
                              fix="save the suggester again")


def _check_hashes(folder: Path, files: dict[str, str]) -> None:
    root = folder.resolve()
    for name, expected in sorted(files.items()):
        path = (folder / name).resolve()
        if not path.is_relative_to(root):
            raise SavedModelError(f"the manifest names a file outside the folder: {name!r}", file=str(folder))
        if not path.is_file():
            raise SavedModelError("a file of the saved suggester is missing", file=str(folder / name),
                                  fix="copy the whole folder, or save the suggester again")
        actual = sha256_file(path)
        if actual != expected:
            raise SavedModelError(f"SHA-256 mismatch: the file was changed after saving "
                                  f"(expected {expected[:12]}…, found {actual[:12]}…)", file=str(folder / name),
                                  fix="copy the folder again from where it was saved, or save the suggester again")
