"""Export a sentence-transformers model's transformer to ONNX (fp32 and int8) once, and keep it, hash-checked.

Why: ONNX Runtime runs MiniLM several times faster than torch on CPUs with int8 instructions (VNNI), and
does not need torch at all once the files exist. The export needs torch and transformers and takes a few
seconds, so it happens on the first use of an ONNX backend (never at import time) and its result is cached
in ``$CODESEED_HOME/models/onnx-<name>-<key>/``:

    model.fp32.onnx      the transformer, exported with torch.onnx (inputs: the tokenizer's ids/mask/types;
                         output: the last hidden state, so pooling stays ours and matches sentence-transformers)
    model.int8.onnx      the same with int8 weights and int8 arithmetic, in blocks of 32 (see _quantise)
    codeseed-verified.json   sha256, size and mtime of both, written last

Like the packaged weights (:mod:`index.model`), a cached export is trusted only while its marker matches; a
file changed since it was written is re-hashed, and rebuilt when wrong. The export is built in a temporary
sibling folder and renamed into place, so a crash never leaves half a model that a later run would trust.

Only plain "transformer + mean pooling (+ normalise)" models are exported: anything else (CLS pooling, a
Dense layer, ...) would need more than we export, so :func:`onnx_plan` says why it is not supported.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .model import sha256_file

OPSET = 17
BLOCK = 32  # weights per int8 scale
EXPORT_VERSION = 2  # bump when the export recipe changes, so old exports are not reused
FILES = {"fp32": "model.fp32.onnx", "int8": "model.int8.onnx"}
MARKER = "codeseed-verified.json"
_SUPPORTED = ("Transformer", "Pooling", "Normalize")  # sentence-transformers' module classes we export


def _module_kind(type_path: str) -> str:
    """``Transformer`` for ``sentence_transformers.models.Transformer`` (5.x) and for
    ``sentence_transformers.base.modules.transformer.Transformer`` (6.x, which also saves tuned models); else ''."""
    parts = str(type_path).split(".")
    return parts[-1] if parts[0] == "sentence_transformers" and parts[-1] in _SUPPORTED else ""


class OnnxUnsupported(ModelError):
    """This model (or this installation) cannot run on ONNX Runtime."""


@dataclass(frozen=True)
class OnnxPlan:
    """What an ONNX backend needs to know about a sentence-transformers folder."""

    folder: Path
    max_seq_length: int
    dimension: int


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OnnxUnsupported(f"Cannot read {path}: {exc}") from exc


def onnx_plan(folder: Path) -> OnnxPlan:
    """Check that ``folder`` is transformer + mean pooling (+ normalise) and read its length limit and size."""
    folder = Path(folder)
    modules = _read_json(folder / "modules.json") if (folder / "modules.json").is_file() else None
    if not isinstance(modules, list):
        raise OnnxUnsupported(f"{folder} has no sentence-transformers modules.json; only such models are exported.")
    types = [m.get("type", "") for m in modules]
    kinds = [_module_kind(t) for t in types]
    if "" in kinds or kinds[:2] != ["Transformer", "Pooling"]:
        raise OnnxUnsupported(f"Model {folder} has modules {types}; the ONNX backend supports transformer + "
                              "mean pooling (+ normalise) only.")
    if modules[0].get("path", "") not in ("", "0_Transformer"):
        raise OnnxUnsupported(f"Model {folder}: transformer module in {modules[0].get('path')!r} is not supported.")
    pooling = _read_json(folder / modules[1]["path"] / "config.json")
    # sentence-transformers 5 writes one flag per mode; 6 writes "pooling_mode": "mean".
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    if isinstance(pooling.get("pooling_mode"), str):
        modes.add(f"pooling_mode_{pooling['pooling_mode']}_tokens")
    if modes != {"pooling_mode_mean_tokens"}:
        raise OnnxUnsupported(f"Model {folder} pools with {sorted(modes)}; the ONNX backend does mean pooling only.")
    config = _read_json(folder / "sentence_bert_config.json") if (folder / "sentence_bert_config.json").is_file() else {}
    if config.get("do_lower_case"):
        raise OnnxUnsupported(f"Model {folder} lower-cases outside its tokenizer; not supported by the ONNX backend.")
    if not (folder / "tokenizer.json").is_file():
        raise OnnxUnsupported(f"Model {folder} has no tokenizer.json (a fast tokenizer is needed for ONNX).")
    max_len = _max_seq_length(folder, config)
    dimension = pooling.get("word_embedding_dimension") or pooling.get("embedding_dimension")
    if not dimension:
        raise OnnxUnsupported(f"Model {folder}: its pooling config does not give the embedding dimension.")
    return OnnxPlan(folder=folder, max_seq_length=max_len, dimension=int(dimension))


def _max_seq_length(folder: Path, config: dict) -> int:
    """Where sentence-transformers reads a model's length limit: its own config (5.x), else the tokenizer's
    ``model_max_length`` (6.x saves it there), capped by the transformer's position embeddings."""
    if config.get("max_seq_length"):
        return int(config["max_seq_length"])
    positions = int(_read_json(folder / "config.json").get("max_position_embeddings", 512))
    tokenizer = folder / "tokenizer_config.json"
    limit = _read_json(tokenizer).get("model_max_length") if tokenizer.is_file() else None
    return min(int(limit), positions) if isinstance(limit, (int, float)) and limit > 0 else positions


def export_key(identifier: str, folder: Path) -> str:
    """Names the export: the model identifier (the default model's carries its weights' hash), plus, for a
    local folder whose identifier is only its path, the weights' size and mtime, so edited weights re-export."""
    parts = [identifier, f"opset{OPSET}", f"v{EXPORT_VERSION}"]
    if identifier.startswith("path:"):
        for weights in sorted(Path(folder).glob("*.safetensors")) + sorted(Path(folder).glob("*.bin")):
            info = weights.stat()
            parts.append(f"{weights.name}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def _stamp(path: Path) -> dict[str, int]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _trusted(folder: Path) -> bool:
    """The marker matches both files (cheap), or they re-hash to what the marker says (then refresh it)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = marker["files"]
        if all(files[name] == {"sha256": files[name]["sha256"], **_stamp(folder / name)} for name in FILES.values()):
            return True
        if all(sha256_file(folder / name) == files[name]["sha256"] for name in FILES.values()):
            _write_marker(folder, marker.get("source", ""))
            return True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return False


def _write_marker(folder: Path, source: str) -> None:
    files = {name: {"sha256": sha256_file(folder / name), **_stamp(folder / name)} for name in FILES.values()}
    record = {"source": source, "opset": OPSET, "export_version": EXPORT_VERSION, "files": files}
    (folder / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def ensure_onnx(plan: OnnxPlan, identifier: str, cache_dir: Path) -> dict[str, Path]:
    """Paths of the fp32 and int8 ONNX files for this model, exporting them first if not cached (seconds)."""
    cache_dir = Path(cache_dir)
    final = cache_dir / f"onnx-{plan.folder.name[:40]}-{export_key(identifier, plan.folder)}"
    if final.is_dir() and _trusted(final):
        return {precision: final / name for precision, name in FILES.items()}
    shutil.rmtree(final, ignore_errors=True)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_dir))
    except OSError as exc:
        raise ModelError(f"Cannot write the model cache folder {cache_dir}: {exc}",
                         fix="set CODESEED_HOME to a folder you can write to") from exc
    try:
        _export(plan, tmp / FILES["fp32"])
        _quantise(tmp / FILES["fp32"], tmp / FILES["int8"])
        _write_marker(tmp, identifier)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final.is_dir() and _trusted(final)):  # another process won the race with a sound copy?
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {precision: final / name for precision, name in FILES.items()}


def _export(plan: OnnxPlan, target: Path, attention: str | None = None) -> None:
    """torch.onnx export of the transformer's last hidden state, dynamic in batch and sequence length.

    ``attention``: the transformers attention implementation to trace (``None``: the library's default, sdpa).
    ``"eager"`` gives a graph whose attention ONNX Runtime's transformer optimizer fuses into ``Attention``
    nodes (the default's is not fused); that graph is measured against this export's by
    ``benchmarks/encoder_speed.py --onnx-variants``.
    """
    import warnings

    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(plan.folder), local_files_only=True)
    options = {"attn_implementation": attention} if attention else {}
    base = AutoModel.from_pretrained(str(plan.folder), local_files_only=True, **options).eval()
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]

    class LastHidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    # Two texts of different length, so the traced graph handles padding and the mask.
    sample = tokenizer(["a short one", "a somewhat longer sample sentence to trace"], padding=True,
                       return_tensors="pt")
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes: checked by tests
        torch.onnx.export(LastHidden(base).eval(), tuple(sample[n] for n in names), str(target), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def _quantise(source: Path, target: Path, block: int = BLOCK) -> None:
    """int8 weights in blocks of ``block`` along the input dimension, int8 arithmetic (accuracy level 4).

    Why not ``quantize_dynamic``: it scales activations per tensor over the whole batch, so MiniLM's vectors
    drifted to cosine 0.96 (mean 0.99) from fp32 on NHS comments and changed with the other texts in the batch.
    Block-wise weights with block-wise activation scales kept cosine >= 0.997 and a text's vector independent
    of its batch (measured with benchmarks/encoder_speed.py).
    """
    import logging

    import onnx

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:  # the quantiser calls logging.basicConfig(level=INFO) on import: undo it, keep the user's logging
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        root.handlers[:] = handlers
        root.setLevel(max(level, logging.WARNING))
        quantiser = MatMulNBitsQuantizer(onnx.load(str(source)), bits=8, block_size=block, is_symmetric=True,
                                         accuracy_level=4)
        quantiser.process()
        quantiser.model.save_model_to_file(str(target), use_external_data_format=False)
    except ImportError as exc:
        raise OnnxUnsupported(f"int8 quantisation needs the onnx and onnx-ir packages ({exc}).",
                              fix="pip install onnx onnx-ir, or use the onnx-fp32 or a torch backend") from exc
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
