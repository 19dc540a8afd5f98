"""Text -> unit-length float32 vectors with a sentence-transformers model, offline.

Why lazy: importing torch and sentence-transformers costs seconds and hundreds of
MB. ``import index`` and ``Encoder(...)`` do no heavy work, so the command line
can start, validate input and print errors at once; the model is loaded on the
first call that needs it.

Why no network: the model folder is resolved locally by :mod:`index.model`, and
loading additionally sets ``HF_HUB_OFFLINE`` and passes ``local_files_only``.

Precision. ``"auto"`` picks bfloat16 only where the CPU has native bf16 matrix
instructions (AMX or AVX512_BF16); elsewhere bf16 is emulated and slower.
Measured with ``benchmarks/encoder_precision.py`` (500 interview-style segments,
mean 170 chars, batch 64; 2-vCPU Xeon @ 2.5 GHz with AVX-512 + VNNI but no
AVX512_BF16/AMX; torch 2.13 CPU; machine shared with other jobs, so absolute
figures vary run to run; bf16 was 2-3.5x slower in every run):

    quiet run:  fp32 151 segments/s   bf16 44.5 segments/s  (0.29x)
    busy runs:  fp32 38-54 segments/s bf16 18-20 segments/s (0.37-0.49x)
    cosine(fp32 vector, bf16 vector): mean 0.99995, min 0.99992 (all runs)

So on such CPUs "auto" means fp32. Where the CPU has native bf16 (not
available here to measure; rerun the benchmark there) "auto" takes it: the
vectors agree to >0.9999 cosine, far below anything that changes which
segments are suggested. The identifier does not include the precision, so
vectors from both may share a cache.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .model import DEFAULT_MODEL, ResolvedModel, resolve_model
from .vectors import normalise

PRECISIONS = ("auto", "fp32", "bf16")
SMALL_BATCH = 4  # texts per call up to which encoding runs on one thread (see Encoder.encode)


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """True when the CPU advertises AMX-BF16 or AVX512_BF16 (Linux ``/proc/cpuinfo`` flags).

    Off Linux (no /proc/cpuinfo) we answer False: fp32 is always correct, bf16
    is only a speed trade.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and ":" in line:
            flags.update(line.split(":", 1)[1].split())
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def choose_precision(precision: str) -> str:
    """Map ``"auto"``/``"fp32"``/``"bf16"`` to the concrete ``"fp32"`` or ``"bf16"``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return precision


def _available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _offline_environment() -> None:
    """Make every Hugging Face library refuse the network (must run before their import)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Encoder:
    """Lazily loaded sentence-transformers model producing L2-normalised float32 vectors."""

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_MODEL,
        *,
        precision: str = "auto",
        batch_size: int = 64,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_name = os.fspath(model)
        self.requested_precision = precision
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._resolved: ResolvedModel | None = None
        self._model: Any = None
        self._precision: str | None = None

    def __repr__(self) -> str:
        return f"Encoder({self.model_name!r}, precision={self.requested_precision!r})"

    @property
    def resolved(self) -> ResolvedModel:
        """Local folder and identifier (cheap: no torch; verifies the default model's hash)."""
        if self._resolved is None:
            self._resolved = resolve_model(self.model_name, self.cache_dir)
        return self._resolved

    @property
    def identifier(self) -> str:
        """Stable model name recorded in caches and indexes (see :class:`ResolvedModel`)."""
        return self.resolved.identifier

    @property
    def precision(self) -> str:
        """The concrete precision in use, ``"fp32"`` or ``"bf16"``."""
        if self._precision is None:
            self._precision = choose_precision(self.requested_precision)
        return self._precision

    @property
    def dimension(self) -> int:
        """Length of each vector (loads the model)."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise ModelError(f"Model {self.identifier} does not report an embedding dimension.")
        return int(dim)

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        folder = self.resolved.path
        _offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # the "Loading weights" bar is noise for users
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        if "OMP_NUM_THREADS" not in os.environ:
            # torch defaults to physical cores; inside containers/cgroups use what we may run on.
            torch.set_num_threads(_available_cpus())
        try:
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - surface any load failure as a user-facing error
            raise ModelError(
                f"Could not load the embedding model from {folder}: {exc}",
                fix="check that the folder is a complete sentence-transformers model, "
                "or omit --model to use the built-in default",
            ) from exc
        model.eval()
        if self.precision == "bf16":
            model = model.to(torch.bfloat16)
        self._model = model
        return model

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Encode ``texts`` into an ``(n, dimension)`` float32 array of unit vectors, in input order.

        Texts are sorted by length before batching (less padding, faster) and
        put back in order afterwards. ``progress`` shows a tqdm bar in segments.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts, not a single string")
        texts = list(texts)
        model = self._load()
        dim = self.dimension
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        import torch
        from tqdm.auto import tqdm

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), dim), dtype=np.float32)
        step = self.batch_size * 4  # a few batches per call keeps the bar moving
        threads = torch.get_num_threads()
        # One query (ask, the app) is latency-bound: on a busy 2-core machine two threads made a single short
        # text take ~220 ms instead of ~14 ms (benchmarks/ask_latency.py), so tiny batches use one thread.
        small = len(texts) <= SMALL_BATCH and threads > 1
        if small:
            torch.set_num_threads(1)
        try:
            self._encode_sorted(model, texts, order, out, step, progress, tqdm, torch)
        finally:
            if small:
                torch.set_num_threads(threads)
        return normalise(out)  # renormalise in float32 (bf16 output is only ~3 digits exact)

    def _encode_sorted(self, model, texts, order, out, step, progress, tqdm, torch) -> None:
        with tqdm(total=len(texts), unit="segment", desc="Encoding", disable=not progress) as bar:
            with torch.inference_mode():
                for start in range(0, len(order), step):
                    chunk = order[start : start + step]
                    vectors = model.encode(
                        [texts[i] for i in chunk],
                        batch_size=self.batch_size,
                        show_progress_bar=False,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                    )
                    out[chunk] = np.asarray(vectors, dtype=np.float32)
                    bar.update(len(chunk))
