"""Text -> unit-length float32 vectors with a sentence-transformers model, offline, on the fastest backend.

Why lazy: importing torch or onnxruntime costs seconds and hundreds of MB. ``import index`` and
``Encoder(...)`` do no heavy work, so the command line can start, validate input and print errors at once;
the model is loaded on the first call that needs it.

Why no network: the model folder is resolved locally by :mod:`index.model`, and loading additionally sets
``HF_HUB_OFFLINE`` and passes ``local_files_only``.

Backend (see :mod:`index.backends`): torch fp32 (sentence-transformers as it ships), torch bf16, ONNX Runtime
fp32 or int8, OpenVINO fp32, bf16 or int8. ``"auto"`` (the default) uses the backend a short measurement found
fastest on this machine (:mod:`index.calibration`; run once, remembered per CPU and library versions) among those
whose vectors agree with fp32 (cosine >= 0.99). Force one with ``Encoder(backend=...)`` or the environment
variable ``CODESEED_ENCODER_BACKEND`` (``auto`` or a name from :data:`index.backends.SPECS`); a forced
backend that cannot run here is an error, not a silent fallback.

The backend is part of :attr:`Encoder.identifier` (``<model>@<hash>+onnx-int8``), which keys the vector cache
and is written into every index: vectors from two backends are never mixed, and an index built with another
backend is refused with a "rebuild" message rather than searched with slightly different query vectors.
Measured figures: docs/benchmarks.md, "Speed: embedding" (``benchmarks/encoder_speed.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .backends import REFERENCE, SPECS, BackendUnavailable, load_backend
from .calibration import CALIBRATION_FILE, CalibrationStore, calibration_texts, choose_backend, machine_key
from .calibration import measure, min_cosines
from .errors import ModelError
from .model import DEFAULT_MODEL, ResolvedModel, codeseed_home, default_cache_dir, resolve_model

BACKEND_ENV = "CODESEED_ENCODER_BACKEND"
BACKEND_CHOICES = ("auto", *SPECS)


def requested_backend(backend: str | None = None) -> str:
    """The backend asked for: the argument, else ``$CODESEED_ENCODER_BACKEND``, else ``"auto"``; checked."""
    origin = "backend" if backend is not None else BACKEND_ENV
    value = (backend if backend is not None else os.environ.get(BACKEND_ENV, "") or "auto").strip().lower()
    if value not in BACKEND_CHOICES:
        raise ModelError(f"Unknown encoder backend {value!r} (from {origin}).",
                         fix=f"use one of: {', '.join(BACKEND_CHOICES)}")
    return value


# Texts per forward pass. Smaller than sentence-transformers' 32 because texts are sorted by length first, so a
# batch of 16 is barely padded and its activations stay in the CPU's cache: on NHS comments (2-core EPYC, quiet)
# 16 ran 1.2-1.4x faster than 32 for both torch-bf16 and onnx-fp32, for short and 450-character texts alike.
BATCH_SIZE = 16


class Encoder:
    """Lazily loaded embedding model producing L2-normalised float32 vectors."""

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_MODEL,
        *,
        backend: str | None = None,
        batch_size: int = BATCH_SIZE,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_name = os.fspath(model)
        self.requested = requested_backend(backend)
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._resolved: ResolvedModel | None = None
        self._backend_name: str | None = None if self.requested == "auto" else self.requested
        self._backend: Any = None
        self.calibration: dict[str, Any] | None = None  # the measurement behind an "auto" choice

    def __repr__(self) -> str:
        return f"Encoder({self.model_name!r}, backend={self.requested!r})"

    @property
    def resolved(self) -> ResolvedModel:
        """Local folder and identifier (cheap: no torch; verifies the default model's hash)."""
        if self._resolved is None:
            self._resolved = resolve_model(self.model_name, self.cache_dir)
        return self._resolved

    @property
    def backend(self) -> str:
        """The concrete backend, e.g. ``"onnx-int8"`` (with ``"auto"``, calibrates on first use on a machine)."""
        if self._backend_name is None:
            self._backend_name = self._choose()
        return self._backend_name

    @property
    def precision(self) -> str:
        """``"fp32"``, ``"bf16"`` or ``"int8"``."""
        return SPECS[self.backend].precision

    @property
    def description(self) -> str:
        """For people: ``"onnxruntime int8 (measured fastest here)"``."""
        how = "measured fastest here" if self.requested == "auto" else f"forced by {BACKEND_ENV} or backend="
        return f"{SPECS[self.backend].label} ({how})"

    @property
    def identifier(self) -> str:
        """Model and backend, recorded in caches and indexes so vectors from different ones never mix."""
        return f"{self.resolved.identifier}+{self.backend}"

    @property
    def dimension(self) -> int:
        """Length of each vector (loads the model)."""
        return int(self._load().dimension)

    def _models_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else default_cache_dir()

    def _build(self, name: str) -> Any:
        return load_backend(name, self.resolved.path, self.resolved.identifier, self._models_dir())

    def _load(self) -> Any:
        if self._backend is None:
            name = self.backend
            try:
                self._backend = self._build(name)
            except BackendUnavailable as exc:
                raise BackendUnavailable(f"The encoder backend {name!r} cannot run here: {exc.message}",
                                         fix=exc.fix or f"unset {BACKEND_ENV} to let codeseed choose") from exc
        return self._backend

    def _choose(self) -> str:
        """The remembered calibration for this machine, or a new one (seconds; keeps the winner loaded)."""
        store = CalibrationStore(codeseed_home() / CALIBRATION_FILE)
        key = machine_key(self.resolved.identifier)
        entry = store.get(key)
        if entry is None or entry["backend"] not in SPECS:
            print("codeseed: timing the encoder backends on this machine (once; seconds)...", file=sys.stderr)
            entry = self._calibrate()
            store.put(key, entry)
            rates = ", ".join(f"{name} {rate:.0f}/s" for name, rate in entry["segments_per_s"].items())
            print(f"codeseed: encoding with {entry['backend']} ({rates}; set {BACKEND_ENV} to choose)",
                  file=sys.stderr)
        self.calibration = entry
        return str(entry["backend"])

    def _calibrate(self) -> dict[str, Any]:
        loaded: dict[str, Any] = {}
        skipped: dict[str, str] = {}
        for name in SPECS:
            try:
                loaded[name] = self._build(name)
            except BackendUnavailable as exc:
                skipped[name] = exc.message
        texts = calibration_texts()
        for name in [n for n in loaded if n != REFERENCE]:
            problem = _fails_on(loaded[name], texts, self.batch_size)
            if problem:  # a runtime that misbehaves on this CPU must not stop encoding: the reference still runs
                skipped[name] = problem
                del loaded[name]
        encoders = {name: (lambda texts, b=b: b.encode(list(texts), self.batch_size)) for name, b in loaded.items()}
        rates, vectors = measure(encoders, texts)
        cosines = min_cosines(vectors)
        chosen = choose_backend(rates, cosines)
        self._backend = loaded[chosen]  # the others are dropped here
        return {"backend": chosen, "segments_per_s": {k: round(v, 1) for k, v in rates.items()},
                "min_cosine": {k: round(v, 5) for k, v in cosines.items()}, "skipped": skipped}

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Encode ``texts`` into an ``(n, dimension)`` float32 array of unit vectors, in input order.

        ``progress`` shows a tqdm bar in segments.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts, not a single string")
        texts = list(texts)
        backend = self._load()
        if not texts:
            return np.zeros((0, backend.dimension), dtype=np.float32)
        from tqdm.auto import tqdm

        with tqdm(total=len(texts), unit="segment", desc="Encoding", disable=not progress) as bar:
            return backend.encode(texts, self.batch_size, bar.update)


def _fails_on(backend: Any, texts: list[str], batch_size: int) -> str:
    """Why ``backend`` cannot encode ``texts`` into one finite vector each, or ``""`` if it can."""
    try:
        vectors = np.asarray(backend.encode(texts, batch_size), dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party runtime only rules that backend out
        return f"failed on the calibration texts: {exc}"
    if vectors.shape != (len(texts), backend.dimension) or not np.isfinite(vectors).all():
        return f"gave unusable vectors on the calibration texts (shape {vectors.shape}, or not finite)"
    return ""
