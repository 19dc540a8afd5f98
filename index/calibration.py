"""Pick the fastest encoder backend on this machine by measuring it, once, and remember the choice.

Why measure: CPU flags do not predict speed. An AMD EPYC with AVX512_BF16 ran torch's bf16 at 1.0x and 2.0x
fp32 in two runs; int8 kernels are fast on some CPUs and not others. So on first use codeseed times every
backend that can run here on a few dozen interview-like texts (a few seconds), checks each one's vectors
against sentence-transformers' fp32 (cosine >= ``MIN_COSINE`` on every text, or it is not eligible), and takes
the fastest. The result is stored in ``$CODESEED_HOME/encoder-calibration.json`` under a key made of the CPU
model, its flags, the cores we may use, the library versions, the model and any instruction-set caps set in the
environment (``ONEDNN_MAX_CPU_ISA`` and the like): change any of them and the next use calibrates again.
Several machines may share one home folder; each keeps its own entry.

Pure parts (:func:`choose_backend`, :func:`machine_key`) are apart from the timing and the file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .backends import REFERENCE, available_cpus

MIN_COSINE = 0.99
CALIBRATION_VERSION = 3  # 3: the OpenVINO backends joined: measured again
CALIBRATION_FILE = "encoder-calibration.json"
ISA_CAP_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "OV_CPU_MAX_ISA", "MKL_ENABLE_INSTRUCTIONS")
_LIBRARIES = ("torch", "onnxruntime", "openvino", "sentence-transformers", "transformers", "tokenizers", "numpy")

_STARTS = ["Honestly,", "The staff were", "When I arrived", "My mum said", "To be fair", "Looking back,",
           "The nurse", "I waited", "Nobody told me", "Parking at the hospital"]
_MIDDLES = ["kind and listened to everything I had to say", "the appointment was cancelled twice without a reason",
            "we waited over four hours in a corridor with nowhere to sit", "very clean and the food was fine",
            "I could not get through on the phone for days", "the doctor explained the results clearly",
            "nobody checked on my father during the night shift", "the car park charges are far too high"]


def calibration_texts(n: int = 48) -> list[str]:
    """Deterministic texts of varied length (a few words to a paragraph), like interview segments."""
    texts = []
    for i in range(n):
        words = [f"{_STARTS[i % len(_STARTS)]} {_MIDDLES[(i * 3) % len(_MIDDLES)]}."]
        for j in range(i % 5):
            words.append(f"{_STARTS[(i + j) % len(_STARTS)]} {_MIDDLES[(i + 2 * j + 1) % len(_MIDDLES)]}.")
        texts.append(" ".join(words))
    return texts


def _cpu_description() -> tuple[str, str]:
    """(CPU model name, sha256 of its sorted flags) from /proc/cpuinfo; the platform's answer elsewhere."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), ""
    model, flags = "", set()
    for line in info.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and not model:
            model = value.strip()
        elif key.strip() in ("flags", "Features"):
            flags.update(value.split())
    digest = hashlib.sha256(" ".join(sorted(flags)).encode()).hexdigest()[:16] if flags else ""
    return model or platform.machine(), digest


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def isa_caps() -> dict[str, str]:
    """The environment variables set here that keep the math libraries off some of the CPU's instructions
    (oneDNN's, which OpenVINO and torch use, MKL's and OpenVINO's own): with them the same CPU runs other kernels,
    at other speeds."""
    return {name: os.environ[name] for name in ISA_CAP_VARIABLES if os.environ.get(name)}


def machine_key(model_identifier: str) -> dict[str, Any]:
    """What a calibration depends on; a different value for any field means calibrate again."""
    cpu, flags = _cpu_description()
    key = {"cpu": cpu, "flags_sha256": flags, "cpus": available_cpus(), "model": model_identifier,
           "libraries": {name: _version(name) for name in _LIBRARIES}, "version": CALIBRATION_VERSION}
    caps = isa_caps()
    if caps:  # only then, so calibrations stored without any stay valid
        key["isa_caps"] = caps
    return key


def key_id(key: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def choose_backend(rates: Mapping[str, float], min_cosines: Mapping[str, float],
                   min_cosine: float = MIN_COSINE) -> str:
    """The backend with the most segments/s among those whose vectors agree with the reference.

    ``rates``: measured segments/s of each backend that ran; ``min_cosines``: its lowest cosine to the
    reference's vectors. The reference itself is always eligible; on equal rates the earlier in ``rates`` wins.
    """
    eligible = [name for name in rates if name == REFERENCE or min_cosines.get(name, -1.0) >= min_cosine]
    if not eligible:
        raise ValueError("no backend was measured")
    return max(eligible, key=lambda name: rates[name])


def measure(encoders: Mapping[str, Callable[[Sequence[str]], np.ndarray]], texts: Sequence[str],
            repeats: int = 2) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Best-of-``repeats`` segments/s per backend, taking turns so a busy machine slows all alike."""
    vectors = {name: np.asarray(encode(texts[:8]), dtype=np.float32) for name, encode in encoders.items()}  # warm
    best = {name: float("inf") for name in encoders}
    for _ in range(repeats):
        for name, encode in encoders.items():
            began = time.perf_counter()
            vectors[name] = np.asarray(encode(texts), dtype=np.float32)
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: len(texts) / max(best[name], 1e-9) for name in encoders}, vectors


def min_cosines(vectors: Mapping[str, np.ndarray]) -> dict[str, float]:
    reference = vectors[REFERENCE]
    return {name: float(np.min(np.sum(v * reference, axis=1))) for name, v in vectors.items()}


class CalibrationStore:
    """The JSON file of calibrations, one entry per machine key; written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}  # missing or damaged: calibrate again, never fail on it

    def get(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        entry = self._read().get(key_id(key))
        if isinstance(entry, dict) and entry.get("key") == dict(key) and entry.get("backend"):
            return entry
        return None

    def put(self, key: Mapping[str, Any], entry: Mapping[str, Any]) -> None:
        data = self._read()
        data[key_id(key)] = {**entry, "key": dict(key)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".calibration-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass  # an unwritable home only means calibrating again next time
