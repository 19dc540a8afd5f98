"""The ways codeseed can run the embedding model: which library, at which precision.

=================  ===========  =========  =====================================================================================
backend            runtime      precision  notes
=================  ===========  =========  =====================================================================================
``torch-fp32``     torch        fp32       sentence-transformers as it ships: the reference every other is checked against
``torch-bf16``     torch        bf16       the same in bfloat16 (fast only where the CPU does bf16 natively *and* torch uses it)
``onnx-fp32``      onnxruntime  fp32       the transformer exported once with torch.onnx (:mod:`index.onnx_export`)
``onnx-int8``      onnxruntime  int8       the same with block-wise int8 weights and arithmetic; vectors differ slightly
``openvino-fp32``  openvino     fp32       the same fp32 export on OpenVINO's CPU runtime
``openvino-bf16``  openvino     bf16       that export run in bfloat16 by OpenVINO; only on CPUs that have bf16 natively
``openvino-int8``  openvino     int8       ``onnx-int8``'s file on OpenVINO (int8 arithmetic where the CPU has VNNI or AMX)
=================  ===========  =========  =====================================================================================

The ONNX and OpenVINO backends share the export (:mod:`index.onnx_export`), the tokenisation, the batching
and the pooling; only the runtime that runs the graph differs. OpenVINO ships a telemetry package as a
dependency, used only by its model-conversion tools, which codeseed never calls: importing openvino loads the
package, and a test checks that encoding never starts it and opens no connection.

Every backend returns the same thing: L2-normalised float32 vectors, in input order, pooled exactly like
sentence-transformers (mean over the attention mask, then normalise). Texts are sorted by length over the
whole input (ONNX, OpenVINO: by tokens; torch: by characters, as sentence-transformers does) and batched with similar
lengths (little padding), then put back in input order.

Nothing heavy is imported here: each backend imports its library when it is loaded.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
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
    BackendSpec("openvino-fp32", "openvino", "fp32"),
    BackendSpec("openvino-bf16", "openvino", "bf16"),
    BackendSpec("openvino-int8", "openvino", "int8"),
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


class GraphBackend:
    """The exported transformer run by a graph runtime, with our own tokenisation, length bucketing and pooling.

    Subclasses name their runtime's module (``library``), load the graph (``_prepare``) and run one padded batch
    (``_infer``, small or full thread pool).
    """

    library = ""

    def __init__(self, spec: BackendSpec, folder: Path, identifier: str, cache_dir: Path) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - a dependency of sentence-transformers
            raise BackendUnavailable(f"The {spec.name} backend needs tokenizers ({exc}).",
                                     fix="pip install tokenizers, or choose a torch backend") from exc
        plan = onnx_plan(folder)
        self.spec, self.dimension, self.max_len = spec, plan.dimension, plan.max_seq_length
        try:  # a missing runtime is reported before the (seconds-long) first export
            self._lib = importlib.import_module(self.library)
        except ImportError as exc:
            raise BackendUnavailable(f"The {spec.name} backend needs {self.library}, which is not installed ({exc}).",
                                     fix=f"pip install {self.library}, or choose another backend") from exc
        paths = ensure_onnx(plan, identifier, cache_dir)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_len)
        self.threads = sorted({1, available_cpus()})
        self.input_names = self._prepare(paths["int8" if spec.precision == "int8" else "fp32"])  # bf16 runs fp32's

    def _prepare(self, path: Path) -> list[str]:
        """Load the graph at ``path`` for each thread count in ``self.threads``; return its input names."""
        raise NotImplementedError

    def _infer(self, arrays: dict[str, np.ndarray], threads: int) -> np.ndarray:
        """The last hidden state for one padded batch."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        # sentence-transformers strips each text before tokenising; so do we, to get the same tokens.
        encodings = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        threads = 1 if len(texts) <= SMALL_BATCH else max(self.threads)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([encodings[i] for i in rows], int(lengths[rows].max()), threads)
            if progress:
                progress(len(rows))
        return out

    def _arrays(self, encodings: list[Any], width: int) -> dict[str, np.ndarray]:
        """The graph's inputs for one batch, padded to ``width`` tokens."""
        arrays = {n: np.zeros((len(encodings), width), dtype=np.int64) for n in self.input_names}
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            arrays["input_ids"][row, :n] = enc.ids
            arrays["attention_mask"][row, :n] = 1
            if "token_type_ids" in arrays:
                arrays["token_type_ids"][row, :n] = enc.type_ids
        return arrays

    def _run(self, encodings: list[Any], width: int, threads: int) -> np.ndarray:
        arrays = self._arrays(encodings, width)
        hidden = np.asarray(self._infer(arrays, threads), dtype=np.float32)
        if hidden.shape[:2] != (len(encodings), width):
            raise BackendUnavailable(f"{self.library} returned hidden states of shape {hidden.shape} for a batch of "
                                     f"{len(encodings)} texts of {width} tokens",
                                     fix=f"use another backend, e.g. {REFERENCE} (CODESEED_ENCODER_BACKEND="
                                         f"{REFERENCE}), or unset CODESEED_ENCODER_BACKEND to let codeseed choose")
        mask = arrays["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return normalise(pooled)


class OnnxBackend(GraphBackend):
    """The export on ONNX Runtime."""

    library = "onnxruntime"

    def _prepare(self, path: Path) -> list[str]:
        self._sessions = {threads: self._session(self._lib, path, threads) for threads in self.threads}
        return [i.name for i in self._sessions[1].get_inputs()]

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

    def _infer(self, arrays: dict[str, np.ndarray], threads: int) -> np.ndarray:
        return self._sessions[threads].run(None, arrays)[0]


class OpenVinoBackend(GraphBackend):
    """The export on OpenVINO's CPU runtime; bf16 is refused where OpenVINO would quietly run fp32 instead."""

    library = "openvino"

    def compile_options(self, threads: int) -> dict[str, Any]:
        """OpenVINO's settings for this backend's graph on ``threads`` threads."""
        # OpenVINO picks bf16 by itself on CPUs that have it; fp32 and int8 ask for fp32 so they stay what they say.
        precision = "bf16" if self.spec.precision == "bf16" else "f32"
        return {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
                "INFERENCE_NUM_THREADS": threads}

    def _prepare(self, path: Path) -> list[str]:
        ov = self._lib
        try:
            core = ov.Core()
            model = core.read_model(str(path))
            self._requests = {}
            for threads in self.threads:
                compiled = core.compile_model(model, "CPU", self.compile_options(threads))
                self._requests[threads] = compiled.create_infer_request()
        except Exception as exc:  # noqa: BLE001 - a damaged export or an incompatible runtime
            raise BackendUnavailable(f"OpenVINO cannot load {path}: {exc}",
                                     fix=f"delete the folder {path.parent} (it is rebuilt on next use)") from exc
        actual = compiled.get_property("INFERENCE_PRECISION_HINT")
        if self.spec.precision == "bf16" and actual != ov.Type.bf16:
            raise BackendUnavailable(f"OpenVINO runs bf16 only on CPUs with native bf16; this one would run "
                                     f"{actual.get_type_name()}.",
                                     fix="use openvino-fp32 or openvino-int8 (auto chooses by itself)")
        return [port.get_any_name() for port in compiled.inputs]

    def _infer(self, arrays: dict[str, np.ndarray], threads: int) -> np.ndarray:
        return self._requests[threads].infer(arrays)[0]

    def _runtime_ops(self) -> list[dict[str, str]]:
        """Each operation of the compiled graph that encodes batches (all threads) as OpenVINO's runtime model
        describes it (strings). Kernels are chosen on the first run: before it they read ``undef_...``."""
        request = self._requests[max(self._requests)]
        return [{key: value.astype(str) for key, value in op.get_rt_info().items()}
                for op in request.get_compiled_model().get_runtime_model().get_ordered_ops()]

    def _count(self, field: str, layers: tuple[str, ...] | None = None) -> dict[str, int]:
        """How many operations (of ``layers``, or all) have each value of their runtime ``field``."""
        return dict(Counter(info[field] for info in self._runtime_ops()
                            if field in info and (layers is None or info.get("layerType") in layers)))

    def kernel_precisions(self) -> dict[str, int]:
        """How many operations of the compiled graph run at each precision (``f32``, ``u8``, ``bf16``, ...), as
        OpenVINO reports them: what this CPU actually runs, whatever was asked."""
        return self._count("runtimePrecision")

    def matmul_kernels(self) -> dict[str, int]:
        """How many of the matrix products (``FullyConnected`` and ``MatMul``: nearly all the arithmetic) run on
        each kernel, by OpenVINO's name for it: ``brgemm_avx512_f32``, ``brgemm_avx512_amx_bf16``, ... The name
        says which instructions (AVX2, AVX-512, AMX) the CPU really uses. It does not show OpenVINO's dynamic
        quantisation: ``openvino-int8``'s products multiply in int8 on CPUs with VNNI and still read ``_f32``."""
        return self._count("primitiveType", ("FullyConnected", "MatMul"))


def load_backend(name: str, folder: Path, identifier: str, cache_dir: Path) -> TorchBackend | GraphBackend:
    """Build backend ``name`` for the model in ``folder`` (seconds: loads weights, maybe exports ONNX once)."""
    spec = SPECS[name]
    if spec.runtime == "torch":
        return TorchBackend(spec, folder, identifier)
    graph = OpenVinoBackend if spec.runtime == "openvino" else OnnxBackend
    try:
        return graph(spec, folder, identifier, cache_dir)
    except OnnxUnsupported as exc:
        raise BackendUnavailable(str(exc), fix="use a torch backend (CODESEED_ENCODER_BACKEND=torch-fp32)") from exc
