"""codeseed's index layer: text -> vectors -> nearest neighbours.

Light to import: torch, sentence-transformers and FAISS are loaded only when a
model is first used or an index is built, so ``import index`` is instant.
This package depends on nothing else in codeseed.
"""

from .cache import VectorCache, encode_with_cache, text_hash
from .encoder import Encoder, choose_precision, cpu_has_native_bf16
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
    "choose_precision",
    "codeseed_home",
    "cpu_has_native_bf16",
    "default_cache_dir",
    "encode_with_cache",
    "normalise",
    "resolve_model",
    "text_hash",
]
