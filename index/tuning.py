"""Fine-tune a copy of the encoder on a project's coded segments, on the CPU (``codeseed tune``).

The recipe measured in docs/benchmarks.md ("Fine-tuning the encoder"): a linear head on the mean-pooled,
unnormalised embedding, trained together with the transformer on the coded segments' texts and codes;
cross-entropy when every coded segment has exactly one code, a binary cross-entropy per code otherwise (segments
marked "no code applies" then count as negatives of every code), each weighted towards rare codes
(:func:`class_weights`; ``balanced=False`` for the unweighted loss); AdamW (fused; encoder ``lr``, head ``head_lr``, weight
decay 0.01), 10% warm-up then linear decay, gradients clipped at 1, batches of similar length (little padding),
texts cut at ``max_tokens`` while training, seeded. The head is thrown away: the suggester works on the
tuned encoder's vectors as on the base encoder's.

Precision: weights, gradients and the loss are fp32; the forward pass runs in fp32 or in bf16 autocast. bf16 is
faster on CPUs that do it natively and several times slower on others, and CPU flags do not tell which, so
``precision="auto"`` times one step each way on a batch of median length (:func:`auto_precision`, seconds) and
takes bf16 only where it measured clearly faster (:func:`choose_precision`).

Cost: about a second per batch of 32 on two cores in fp32 (forward and backward through MiniLM); ``fine_tune``
shows a progress bar with the time left. Nothing is written here: saving is :mod:`index.tuned_model`'s.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .backends import offline_environment
from .errors import ModelError


PRECISIONS = ("auto", "fp32", "bf16")
BF16_MARGIN = 1.2  # "auto" takes bf16 only where a bf16 step measured at least this many times faster than fp32
PROBE_MIN_STEPS = 20  # fewer steps than this: "auto" trains in fp32 without measuring (the probe would cost more)


@dataclass(frozen=True)
class TuneSettings:
    epochs: int = 2
    lr: float = 3e-5
    head_lr: float = 1e-3
    batch: int = 32
    max_tokens: int = 128
    seed: int = 0
    balanced: bool = True  # rare codes weigh more (class_weights); NHS lost less macro-F1 with it
    precision: str = "auto"  # "fp32", "bf16" (autocast), or "auto": measured on one batch (auto_precision)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch < 1 or self.max_tokens < 8:
            raise ValueError("epochs and batch must be at least 1, max_tokens at least 8")
        if not (self.lr > 0 and self.head_lr > 0):
            raise ValueError("learning rates must be positive")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def length_batches(rng: np.random.Generator, rows: np.ndarray, lengths: Sequence[int], size: int,
                   chunk: int = 50) -> list[np.ndarray]:
    """Shuffled batches of similar length: random chunks of ``chunk`` batches sorted by length, cut, shuffled.
    Every row lands in exactly one batch. Random batches padded 4.2x (AnnoMI) to 4.4x (NHS) more tokens."""
    order = rng.permutation(np.asarray(rows))
    batches = []
    for start in range(0, len(order), size * chunk):
        part = sorted(order[start:start + size * chunk].tolist(), key=lambda i: lengths[i])
        batches += [np.asarray(part[b:b + size]) for b in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def class_weights(Y: np.ndarray, *, cap: float = 10.0) -> np.ndarray:
    """Per-code loss weights that lift rare codes, damped by a square root and capped at ``cap``.

    Single-label (softmax head): ``sqrt(mean count / count)`` per code, so the weights average about 1. Multi-label
    (one binary loss per code): the positive weight ``sqrt(negatives / positives)``, never below 1. A code with no
    positive gets weight 1 (it has nothing to lift)."""
    Y = np.asarray(Y, dtype=np.float64)
    if single_label(Y):
        counts = Y[Y.sum(axis=1) > 0].sum(axis=0)
        present = counts > 0
        weights = np.ones(Y.shape[1])
        weights[present] = np.sqrt(counts[present].mean() / counts[present])
    else:
        positives = Y.sum(axis=0)
        negatives = len(Y) - positives
        weights = np.where(positives > 0, np.sqrt(negatives / np.maximum(positives, 1)), 1.0)
        weights = np.maximum(weights, 1.0)
    return np.minimum(weights, cap)


def choose_precision(fp32_seconds: float, bf16_seconds: float, *, margin: float = BF16_MARGIN) -> str:
    """``"bf16"`` where a measured bf16 training step took at most ``1/margin`` of an fp32 one, else ``"fp32"``."""
    return "bf16" if bf16_seconds * margin <= fp32_seconds else "fp32"


def single_label(Y: np.ndarray) -> bool:
    """Every coded segment carries exactly one code (then the head is a softmax over codes)."""
    counts = np.asarray(Y).sum(axis=1)
    return bool(np.all(counts[counts > 0] == 1))


def fine_tune(base_folder: Path, texts: Sequence[str], Y: np.ndarray, settings: TuneSettings = TuneSettings(), *,
              progress: bool = True, desc: str = "Tuning", record: dict[str, Any] | None = None) -> Any:
    """A fine-tuned copy of the sentence-transformers model in ``base_folder`` (a ``SentenceTransformer``, in
    eval mode), trained on ``texts`` and their codes ``Y`` (segments x codes, 0/1) only.

    ``record``, if given, receives ``precision`` (what the training ran at) and, where it was measured,
    ``step_seconds`` (one training step in each precision)."""
    offline_environment()
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm.auto import tqdm

    Y = np.asarray(Y)
    if len(texts) != len(Y) or Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError("fine_tune needs one row of Y per text and at least two codes")
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    if "OMP_NUM_THREADS" not in os.environ:
        from .backends import available_cpus

        torch.set_num_threads(available_cpus())
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" is noise beside our own bar
    except Exception:  # noqa: BLE001 - cosmetic only
        pass
    try:
        model = SentenceTransformer(str(base_folder), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is the user's model folder
        raise ModelError(f"Could not load the encoder to tune from {base_folder}: {exc}",
                         fix="check that the project's model is a complete sentence-transformers model") from exc
    full_length = model.max_seq_length
    model.max_seq_length = min(settings.max_tokens, full_length or settings.max_tokens)
    body = torch.nn.Sequential(model[0], model[1])  # transformer + mean pooling, before normalising
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    head = torch.nn.Linear(int(getter()), Y.shape[1])
    weight = torch.tensor(class_weights(Y), dtype=torch.float32) if settings.balanced else None
    if single_label(Y):
        rows = np.flatnonzero(Y.sum(axis=1) > 0)
        target, loss_fn = torch.tensor(np.argmax(Y, axis=1)), torch.nn.CrossEntropyLoss(weight=weight)
    else:
        rows = np.arange(len(texts))
        target, loss_fn = torch.tensor(Y, dtype=torch.float32), torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    if len(rows) == 0:
        raise ValueError("fine_tune needs coded segments")
    optimiser = _adamw(torch, [{"params": model.parameters(), "lr": settings.lr},
                               {"params": head.parameters(), "lr": settings.head_lr}])
    total = math.ceil(len(rows) / settings.batch) * settings.epochs
    warm = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    lengths = [len(t) for t in texts]

    def features_of(idx: np.ndarray) -> Any:
        batch = [texts[i] for i in idx]
        return model.preprocess(batch) if hasattr(model, "preprocess") else model.tokenize(batch)

    def loss_of(idx: np.ndarray, bf16: bool) -> Any:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):  # weights, gradients and loss stay fp32
            logits = head(body(features_of(idx))["sentence_embedding"])
        return loss_fn(logits.float(), target[idx])

    precision, step_seconds = settings.precision, None
    if precision == "auto":
        model.train()  # measured as it will run: dropout on
        typical = median_batch(rows, lengths, settings.batch)
        precision, step_seconds = auto_precision(total, lambda bf16: loss_of(typical, bf16), [model, head])
    if record is not None:
        record.update({"precision": precision, **({"step_seconds": step_seconds} if step_seconds else {})})
    with tqdm(total=total, unit="batch", desc=f"{desc} ({precision})", disable=not progress) as bar:
        for epoch in range(1, settings.epochs + 1):
            model.train()
            losses: list[float] = []
            for idx in length_batches(rng, rows, lengths, settings.batch):
                loss = loss_of(idx, precision == "bf16")
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_([*model.parameters(), *head.parameters()], 1.0)
                optimiser.step()
                schedule.step()
                losses.append(float(loss.detach()))
                bar.set_postfix(epoch=f"{epoch}/{settings.epochs}", loss=f"{np.mean(losses[-20:]):.3f}")
                bar.update(1)
    model.eval()
    model.max_seq_length = full_length  # the tuned copy reads texts as far as the base model does
    return model


def _adamw(torch: Any, groups: list[dict[str, Any]]) -> Any:
    """AdamW (weight decay 0.01), fused where this torch has the fused CPU kernel: its step took 15 ms against
    60-80 ms per batch for MiniLM on two cores, a fifth of a whole fp32 training step."""
    try:
        return torch.optim.AdamW(groups, weight_decay=0.01, fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older torch, or a device without the fused kernel
        return torch.optim.AdamW(groups, weight_decay=0.01)


def median_batch(rows: np.ndarray, lengths: Sequence[int], size: int) -> np.ndarray:
    """``size`` of ``rows`` around the median length: a batch like those :func:`length_batches` makes."""
    by_length = np.asarray(rows)[np.argsort([lengths[i] for i in rows], kind="stable")]
    start = max(0, len(by_length) // 2 - size // 2)
    return by_length[start:start + size]


def auto_precision(steps: int, loss_of: Any, modules: list[Any]) -> tuple[str, dict[str, float] | None]:
    """``precision="auto"``: fp32 unmeasured for fewer than ``PROBE_MIN_STEPS`` steps or where the probe fails
    (a torch without bf16 autocast on this CPU); else the measured choice, with its measurement."""
    if steps < PROBE_MIN_STEPS:
        return "fp32", None
    try:
        seconds = measure_precision(loss_of, modules)
    except RuntimeError:
        return "fp32", None
    return choose_precision(seconds["fp32"], seconds["bf16"]), seconds


def measure_precision(loss_of: Any, modules: list[Any]) -> dict[str, float]:
    """Seconds of one training step (forward and backward, no update) in fp32 and in bf16 autocast, on the same
    batch: each warmed once, then timed in turns, the faster of two. Leaves the modules' gradients empty and
    torch's random state as it was, so the training that follows is the one an fp32 run would do."""
    import time

    import torch

    state = torch.get_rng_state()
    best = {"fp32": float("inf"), "bf16": float("inf")}
    try:
        for round_ in range(3):
            for name in best:
                began = time.perf_counter()
                loss_of(name == "bf16").backward()
                if round_:  # the first round warms each up
                    best[name] = min(best[name], time.perf_counter() - began)
    finally:  # also when a step fails: the training that follows must not see the probe
        for module in modules:
            module.zero_grad(set_to_none=True)
        torch.set_rng_state(state)
    return {name: round(seconds, 4) for name, seconds in best.items()}


def saver(model: Any):
    """``save(folder)`` for :func:`index.tuned_model.write_tuned`: safetensors and JSON, never pickle."""
    def save(folder: Path) -> None:
        model.save(str(folder), create_model_card=False, safe_serialization=True)
    return save


def embedder(model: Any, *, batch_size: int = 32):
    """``embed(texts)``: unit-length float32 vectors from an in-memory model (fp32, as the check compares them)."""
    def embed(texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vectors = model.encode(list(texts), batch_size=batch_size, show_progress_bar=False,
                                   convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
    return embed
