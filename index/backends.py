"""The ways codeseed can run the embedding model: which library, at which precision.

=============  ============  =========  ==================================================================
backend        runtime       precision  notes
=============  ============  =========  ==================================================================
``torch-fp32``  torch        fp32       sentence-transformers as it ships: the reference every other is checked against
``torch-bf16``  torch        bf16       the same in bfloat16 (fast only where the CPU does bf16 natively *and* torch uses it)
``onnx-fp32``   onnxruntime  fp32       the transformer exported once with torch.onnx (:mod:`index.onnx_export`)
``onnx-int8``   onnxruntime  int8       the same with block-wise int8 weights and arithmetic; vectors differ slightly
=============  ============  =========  ==================================================================

Every backend returns the same thing: L2-normalised float32 vectors, in input order, pooled exactly like
sentence-transformers (mean over the attention mask, then normalise). Texts are sorted by length over the
whole input (ONNX: by tokens; torch: by characters, as sentence-transformers does) and batched with similar
lengths (little padding), then put back in input order.

Nothing heavy is imported here: each backend imports its library when it is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .onnx_export import OnnxUnsupported, ensure_onnx, onnx_plan
from .vectors import normalise

REFERENCE = "torch-fp32"
SMALL_BATCH = 4  # texts per call up to which encoding runs on one thread (see TorchBackend.encode)
Progress = Callable[[int], None]


@dataclass(frozen=True)
class BackendSpec:
    name: str
    runtime: str
    precision: str

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.precision}"


SPECS = {s.name: s for s in (
    BackendSpec("torch-fp32", "torch", "fp32"),
    BackendSpec("torch-bf16", "torch", "bf16"),
    BackendSpec("onnx-fp32", "onnxruntime", "fp32"),
    BackendSpec("onnx-int8", "onnxruntime", "int8"),
)}


class BackendUnavailable(ModelError):
    """A backend cannot run here (library missing, model not exportable); calibration skips it."""


def available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def offline_environment() -> None:
    """Make every Hugging Face library refuse the network (must run before their import)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class TorchBackend:
    """sentence-transformers on torch, in fp32 or bf16."""

    def __init__(self, spec: BackendSpec, folder: Path, identifier: str) -> None:
        offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # the "Loading weights" bar is noise for users
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        if "OMP_NUM_THREADS" not in os.environ:
            # torch defaults to physical cores; inside containers/cgroups use what we may run on.
            torch.set_num_threads(available_cpus())
        try:
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - surface any load failure as a user-facing error
            raise ModelError(f"Could not load the embedding model from {folder}: {exc}",
                             fix="check that the folder is a complete sentence-transformers model, "
                             "or omit --model to use the built-in default") from exc
        model.eval()
        self.spec, self._torch = spec, torch
        self.model = model.to(torch.bfloat16) if spec.precision == "bf16" else model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(getter() or 0)
        if not self.dimension:
            raise ModelError(f"Model {identifier} does not report an embedding dimension.")

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        torch = self._torch
        threads = torch.get_num_threads()
        # One query (ask, the app) is latency-bound: on a busy 2-core machine two threads made a single short
        # text take ~220 ms instead of ~14 ms (benchmarks/ask_latency.py), so tiny batches use one thread.
        small = len(texts) <= SMALL_BATCH and threads > 1
        if small:
            torch.set_num_threads(1)
        try:
            out = np.empty((len(texts), self.dimension), dtype=np.float32)
            # Longest first over the whole input, so each batch holds texts of similar length (little padding);
            # a few batches per call, for progress. Sorting only inside each call padded a batch of short texts
            # to its longest neighbour's length: 0.6x sentence-transformers' own speed on NHS comments.
            order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            step = batch_size * 4
            with torch.inference_mode():
                for start in range(0, len(order), step):
                    rows = order[start : start + step]
                    out[rows] = np.asarray(self.model.encode(
                        [texts[i] for i in rows], batch_size=batch_size, show_progress_bar=False,
                        convert_to_numpy=True, normalize_embeddings=True), dtype=np.float32)
                    if progress:
                        progress(len(rows))
            return normalise(out)  # renormalise in float32 (bf16 output is only ~3 digits exact)
        finally:
            if small:
                torch.set_num_threads(threads)


class OnnxBackend:
    """The exported transformer on ONNX Runtime, with our own tokenisation, length bucketing and mean pooling."""

    def __init__(self, spec: BackendSpec, folder: Path, identifier: str, cache_dir: Path) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise BackendUnavailable(f"The {spec.name} backend needs onnxruntime, which is not installed ({exc}).",
                                     fix="pip install onnxruntime, or choose a torch backend") from exc
        plan = onnx_plan(folder)
        paths = ensure_onnx(plan, identifier, cache_dir)
        self.spec, self.dimension, self.max_len = spec, plan.dimension, plan.max_seq_length
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_len)
        self._sessions = {threads: self._session(ort, paths[spec.precision], threads)
                          for threads in sorted({1, available_cpus()})}
        self.input_names = [i.name for i in self._sessions[1].get_inputs()]

    @staticmethod
    def _session(ort: Any, path: Path, threads: int) -> Any:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a damaged export or an incompatible runtime
            raise BackendUnavailable(f"ONNX Runtime cannot load {path}: {exc}",
                                     fix=f"delete the folder {path.parent} (it is rebuilt on next use)") from exc

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        # sentence-transformers strips each text before tokenising; so do we, to get the same tokens.
        encodings = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        session = self._sessions[1 if len(texts) <= SMALL_BATCH else max(self._sessions)]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run(session, [encodings[i] for i in rows], int(lengths[rows].max()))
            if progress:
                progress(len(rows))
        return out

    def _run(self, session: Any, encodings: list[Any], width: int) -> np.ndarray:
        arrays = {n: np.zeros((len(encodings), width), dtype=np.int64) for n in self.input_names}
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            arrays["input_ids"][row, :n] = enc.ids
            arrays["attention_mask"][row, :n] = 1
            if "token_type_ids" in arrays:
                arrays["token_type_ids"][row, :n] = enc.type_ids
        hidden = session.run(None, arrays)[0]
        mask = arrays["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return normalise(pooled)


def load_backend(name: str, folder: Path, identifier: str, cache_dir: Path) -> TorchBackend | OnnxBackend:
    """Build backend ``name`` for the model in ``folder`` (seconds: loads weights, maybe exports ONNX once)."""
    spec = SPECS[name]
    if spec.runtime == "torch":
        return TorchBackend(spec, folder, identifier)
    try:
        return OnnxBackend(spec, folder, identifier, cache_dir)
    except OnnxUnsupported as exc:
        raise BackendUnavailable(str(exc), fix="use a torch backend (CODESEED_ENCODER_BACKEND=torch-fp32)") from exc
