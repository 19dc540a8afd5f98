"""A project's tuned copy of the encoder on disk: a sentence-transformers folder plus a manifest that pins it.

``codeseed tune PROJECT`` writes ``PROJECT/encoders/tuned-<sha12>/``: what ``SentenceTransformer.save`` writes
(``model.safetensors``, JSON configs, the tokenizer; no pickle) and ``codeseed-tuned.json``::

    {"format": "codeseed-tuned", "format_version": 1, "weights_sha256": "...", "base_model": "all-MiniLM-L6-v2",
     "base_identifier": "sentence-transformers/all-MiniLM-L6-v2@53aa5117", "trained_on": {...}, "check": {...}}

Every load checks the weights against ``weights_sha256`` (a changed file is refused, never used), cheaply: a marker
records the size and modification time seen when the hash last matched, and the file is hashed again only when
they differ. The identifier (``tuned:<base identifier>~<sha12>``) keys the vector cache and the index, so vectors
of the tuned and the base encoder never mix; it does not contain the folder's path, so a project that is moved or
copied keeps its cache and index.

Writing is atomic: the folder is filled under a temporary name and renamed into place once complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ModelError

TUNED_MANIFEST = "codeseed-tuned.json"
TUNED_FORMAT = "codeseed-tuned"
TUNED_FORMAT_VERSION = 1
TUNED_MARKER = ".codeseed-verified.json"
WEIGHTS = "model.safetensors"


def is_tuned_folder(folder: Path) -> bool:
    return (Path(folder) / TUNED_MANIFEST).is_file()


def _stamp(path: Path) -> dict[str, int]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, checked for the fields codeseed relies on; a clear error naming the file otherwise."""
    path = Path(folder) / TUNED_MANIFEST
    fix = "run `codeseed tune PROJECT` again, or `codeseed tune PROJECT --off` to return to the base encoder"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The tuned encoder's manifest {path} cannot be read: {exc}", fix=fix) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != TUNED_FORMAT:
        raise ModelError(f"{path} is not a codeseed tuned-encoder manifest.", fix=fix)
    if manifest.get("format_version") != TUNED_FORMAT_VERSION:
        raise ModelError(f"{path} has format version {manifest.get('format_version')!r}; this codeseed reads "
                         f"version {TUNED_FORMAT_VERSION}.", fix="upgrade codeseed, or " + fix)
    for key in ("weights_sha256", "base_identifier", "base_model"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            raise ModelError(f"{path} lacks the field {key!r}.", fix=fix)
    return manifest


def tuned_identifier(manifest: dict[str, Any]) -> str:
    return f"tuned:{manifest['base_identifier']}~{manifest['weights_sha256'][:12]}"


def verify_tuned(folder: Path, sha256_file: Callable[[Path], str]) -> str:
    """Check the weights in ``folder`` against its manifest; return the identifier. Refuses a changed file."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise ModelError(f"The tuned encoder in {folder} has no {WEIGHTS}.",
                         fix="run `codeseed tune PROJECT` again, or `codeseed tune PROJECT --off`")
    expected = manifest["weights_sha256"]
    marker_path = folder / TUNED_MARKER
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        marker = {}
    if not (isinstance(marker, dict) and marker.get("sha256") == expected
            and {k: marker.get(k) for k in ("size", "mtime_ns")} == _stamp(weights)):
        actual = sha256_file(weights)
        if actual != expected:
            raise ModelError(
                f"The tuned encoder's weights {weights} were changed after tuning (SHA-256 {actual[:12]}…, "
                f"the manifest says {expected[:12]}…); codeseed will not use them.",
                fix="run `codeseed tune PROJECT` again, or `codeseed tune PROJECT --off` to return to the base encoder")
        try:
            marker_path.write_text(json.dumps({"sha256": expected, **_stamp(weights)}) + "\n", encoding="utf-8")
        except OSError:
            pass  # a read-only project still works; the weights are hashed at every load
    return tuned_identifier(manifest)


def write_tuned(save: Callable[[Path], None], parent: Path, manifest: dict[str, Any],
                sha256_file: Callable[[Path], str]) -> Path:
    """Fill a temporary folder with ``save(folder)`` and the manifest (with the weights' hash), then rename it to
    ``parent/tuned-<sha12>``. A crash leaves at most a hidden temporary folder, never a half-written model."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tuned-tmp-", dir=parent))
    try:
        save(tmp)
        if not (tmp / WEIGHTS).is_file():
            raise ModelError(f"Saving the tuned encoder wrote no {WEIGHTS}.",
                             fix="update sentence-transformers (it must save safetensors)")
        digest = sha256_file(tmp / WEIGHTS)
        record = {"format": TUNED_FORMAT, "format_version": TUNED_FORMAT_VERSION, "weights_sha256": digest,
                  **manifest}
        (tmp / TUNED_MANIFEST).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        final = parent / f"tuned-{digest[:12]}"
        if final.exists():
            shutil.rmtree(final)
        os.chmod(tmp, 0o755)
        os.rename(tmp, final)
        return final
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
