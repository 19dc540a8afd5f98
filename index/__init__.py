"""codeseed's data layer: what is indexed — the project's corpus and its vectors. Imports nothing above it.

Rooms:

``importing.py``   every import a user starts: the file decides the room (.qdpx/.qdc → ``exchange/``, else ``project.py``)
``project.py``     the :class:`~index.project.Project` facade: open/init a project folder, import files, build the index
``store/``         the SQLite store (WAL) and its numbered migrations: **where a segment is stored**
                   (``store/store.py``); all SQL lives here
``ingest/``        reading input: transcript readers, speaker turns → segments, codebooks, codings, attributes, user tables
``exchange/``      REFI-QDA (.qdpx/.qdc) in and out, and the codings CSV export
``rounds.py``      blind coding rounds: who codes which segments, what each round coder may see (``CoderView``),
                   and each coder's reviewed segments (``ratings``)
``types.py``       the plain records every layer shares: ``Segment``, ``Code``, ``Turn``, ``ParsedDocument``; and
                   :func:`~index.types.coder_name`, the one rule for coder names

Rooms import one way: ``importing`` → ``exchange`` → ``project`` → ``ingest`` → ``store`` (``tests/test_layers.py``).
``errors.py``      the one error root, ``CodeseedError``, and its kinds (input file, project, model, index)
``model.py``       which embedding model: the packaged MiniLM (hash-checked) or a local sentence-transformers model
``encoder.py``     text → vectors; the backend (torch/ONNX Runtime, fp32/bf16/int8) chosen by measurement
``backends.py``    the backends themselves; ``onnx_export.py`` the one-time, hash-checked ONNX export
``calibration.py`` the short timing that picks the backend per machine, remembered in the user cache
``tuning.py``      fine-tuning a copy of the model on coded segments (``codeseed tune``); ``tuned_model.py`` its
                   folder in the project (safetensors + manifest, hash-checked at every load)
``cache.py``       the vector cache (``vectors.db``), keyed by model and text hash
``vectors.py``     the FAISS index (exact, or IVF with 8-bit codes from 100,000 segments) and its JSON description (no pickle)
``demo.py``, ``sample/``  the bundled Foye et al. (2022) sample project

Light to import: torch, onnxruntime, sentence-transformers and FAISS are loaded only when a model is first used or an
index is built, so ``import index`` is instant.
"""

from .cache import VectorCache, encode_with_cache, text_hash
from .backends import BackendUnavailable
from .encoder import BACKEND_CHOICES, BACKEND_ENV, Encoder
from .errors import IndexLayerError, IndexMismatchError, ModelError
from .model import (
    DEFAULT_MODEL,
    DEFAULT_MODEL_SHA256,
    ResolvedModel,
    codeseed_home,
    default_cache_dir,
    resolve_model,
)
from .vectors import IndexCorruptError, VectorIndex, normalise

__all__ = [
    "BACKEND_CHOICES",
    "BACKEND_ENV",
    "BackendUnavailable",
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_SHA256",
    "Encoder",
    "IndexCorruptError",
    "IndexLayerError",
    "IndexMismatchError",
    "ModelError",
    "ResolvedModel",
    "VectorCache",
    "VectorIndex",
    "codeseed_home",
    "default_cache_dir",
    "encode_with_cache",
    "normalise",
    "resolve_model",
    "text_hash",
]
