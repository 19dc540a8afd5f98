"""Does fine-tuning the encoder inside the training fold help the shipped suggester? Tuned vs frozen, same run.

    CODESEED_ENCODER_BACKEND=torch-fp32 OMP_NUM_THREADS=1 python benchmarks/tune.py DATA_DIR
    python benchmarks/tune.py DATA_DIR --only annomi --epochs 2 --lr 3e-5

For AnnoMI therapist (its one fold: 126 single-coded transcripts train, the 7 coded by 10 annotators test) and
NHS v6 fold 1 (grouped by respondent; all examples), the packaged MiniLM is fine-tuned on the **training fold's
texts and codes only**: a linear head on the mean-pooled (unnormalised) embedding, cross-entropy for AnnoMI's
single label, binary cross-entropy for NHS's codes, AdamW (encoder lr ``--lr``, head ``--head-lr``, 10% warm-up
then linear decay), batches of similar length, max 128 tokens, fp32 on the CPU, fixed seed. After each epoch
every text and code prototype is re-embedded with the tuned encoder and the shipped suggester
(``eval.methods.SuggesterMethod``) is fitted on the training fold's tuned vectors, exactly as on the frozen ones.

Printed per benchmark: the frozen row, a tuned row per epoch, the tuned-minus-frozen difference with a paired
95% bootstrap interval over groups (respondents; AnnoMI transcripts), the tuning time and the gain per
minute of tuning. Frozen vectors come from the bench cache; tuned ones are never cached.
With more than one torch thread on a busy machine each training step ran ~5x slower: set OMP_NUM_THREADS=1 there.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coldstart  # noqa: E402  (same loaders and vectors as the cold-start bars)

from eval.agreement import suggester_vs_coders  # noqa: E402
from eval.metrics import bootstrap_statistics, cohen_kappa, macro_f1, micro_f1  # noqa: E402
from eval.methods import CodedData, SuggesterMethod  # noqa: E402
from eval.runner import cross_validate  # noqa: E402
from eval.scoring import method_metrics  # noqa: E402

BENCHES = {"annomi": "annomi", "nhs": "nhs_v6"}


def _batches(rng: np.random.Generator, rows: np.ndarray, lengths: list[int], size: int,
             chunk: int = 50) -> list[np.ndarray]:
    """Shuffled batches of similar length: random chunks of ``chunk`` batches sorted by length, cut, shuffled.
    Random batches padded 4.2x (AnnoMI) to 4.4x (NHS) more tokens than the texts have."""
    order = rng.permutation(rows)
    batches = []
    for start in range(0, len(order), size * chunk):
        part = sorted(order[start:start + size * chunk], key=lambda i: lengths[i])
        batches += [np.asarray(part[b:b + size]) for b in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def fine_tune(texts: list[str], Y: np.ndarray, single: bool, folder: Path, *, epochs: int, lr: float,
              head_lr: float, batch: int, seed: int) -> Iterator[tuple[int, Path, float]]:
    """Train the packaged MiniLM with a classification head on ``texts``/``Y`` (the training fold only);
    yields ``(epoch, saved model folder, seconds of that epoch)`` after each epoch."""
    import torch
    from sentence_transformers import SentenceTransformer

    from index import Encoder

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(str(Encoder().resolved.path), device="cpu", local_files_only=True)
    model.max_seq_length = 128
    body = torch.nn.Sequential(model[0], model[1])  # transformer + mean pooling, before normalising
    head = torch.nn.Linear(model.get_embedding_dimension(), Y.shape[1])
    if single:
        rows = np.flatnonzero(Y.sum(axis=1) > 0)
        target, loss_fn = torch.tensor(np.argmax(Y, axis=1)), torch.nn.CrossEntropyLoss()
    else:
        rows = np.arange(len(texts))
        target, loss_fn = torch.tensor(Y, dtype=torch.float32), torch.nn.BCEWithLogitsLoss()
    optimiser = torch.optim.AdamW([{"params": model.parameters(), "lr": lr},
                                   {"params": head.parameters(), "lr": head_lr}], weight_decay=0.01)
    total = math.ceil(len(rows) / batch) * epochs
    warm = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    lengths = [len(t) for t in texts]
    for epoch in range(1, epochs + 1):
        model.train()
        began, losses = time.perf_counter(), []
        batches = _batches(rng, rows, lengths, batch)
        for k, idx in enumerate(batches):
            loss = loss_fn(head(body(model.tokenize([texts[i] for i in idx]))["sentence_embedding"]), target[idx])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*model.parameters(), *head.parameters()], 1.0)
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            if k % 20 == 0 or k == len(batches) - 1:
                spent = time.perf_counter() - began
                print(f"\r    epoch {epoch}: batch {k + 1}/{len(batches)}, loss {np.mean(losses[-20:]):.3f}, "
                      f"ETA {spent / (k + 1) * (len(batches) - k - 1):.0f} s   ", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        model.eval()
        model.save(str(folder / f"epoch{epoch}"))
        yield epoch, folder / f"epoch{epoch}", time.perf_counter() - began


def tuned_data(data: CodedData, prototype_texts: list[str], model_folder: Path) -> tuple[CodedData, float]:
    """``data`` with every text and code prototype re-embedded by the tuned encoder (fp32, not cached)."""
    from index import Encoder

    encoder = Encoder(model=str(model_folder), backend="torch-fp32")
    began = time.perf_counter()
    vectors, prototypes = encoder.encode(data.texts), encoder.encode(prototype_texts)
    tuned = CodedData(name=data.name, texts=data.texts, vectors=vectors, Y=data.Y, groups=data.groups,
                      codes=data.codes, names=data.names, prototypes=prototypes, unit_ids=data.unit_ids,
                      codings=data.codings, notes=data.notes)
    return tuned, time.perf_counter() - began


def measure(data: CodedData, fold, grouped: bool) -> dict:
    """The shipped suggester on one fold: its figures, predictions and top-1 codes on the test segments."""
    method = SuggesterMethod()
    runs, tested = cross_validate(data, [fold], [method], check_groups=grouped)
    run = runs[method.name]
    figures = method_metrics(data, run, tested, n_boot=0)
    top1 = {data.unit_ids[i]: data.codes[int(np.argmax(run.scores[i]))] for i in tested}
    out = {"micro_f1": figures["micro_f1"], "macro_f1": figures["macro_f1"], "hit@1": figures["hit@1"],
           "tested": tested, "P": run.predicted[tested].astype(np.int8), "top1": top1}
    if data.codings:
        predicted = {data.unit_ids[i]: {data.codes[j] for j in np.flatnonzero(run.predicted[i])} for i in tested}
        rows = suggester_vs_coders(data.codings, predicted, data.codes, top1=top1) or []
        out["kappa"] = float(np.mean([r["nominal_kappa_suggester"] for r in rows]))
    return out


def _annotator_kappa(data: CodedData, units: list, top1: dict) -> float:
    """Mean over annotators of Cohen's κ between the annotator's single label and the top-1 code."""
    kappas = []
    for coder, coded in data.codings.items():
        mine = [u for u in units if len(coded.get(u, ())) == 1]
        if mine:
            kappas.append(cohen_kappa([next(iter(coded[u])) for u in mine], [top1[u] for u in mine]))
    return float(np.nanmean(kappas))


def paired_intervals(data: CodedData, frozen: dict, tuned: dict, n: int = 1000) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of tuned minus frozen, resampling groups (respondents, transcripts) in pairs."""
    tested = frozen["tested"]
    positions: dict = {}
    for k, i in enumerate(tested):
        positions.setdefault(data.groups[i], []).append(k)
    T = data.Y[tested]
    statistics = {name: (lambda ks, fn=fn: fn(T[ks], tuned["P"][ks]) - fn(T[ks], frozen["P"][ks]))
                  for name, fn in (("micro_f1", micro_f1), ("macro_f1", macro_f1))}
    if "kappa" in frozen:
        units = [data.unit_ids[i] for i in tested]
        statistics["kappa"] = lambda ks: (_annotator_kappa(data, [units[k] for k in ks], tuned["top1"])
                                          - _annotator_kappa(data, [units[k] for k in ks], frozen["top1"]))
    out = {}
    for name, statistic in statistics.items():
        values = bootstrap_statistics(positions, statistic, n, seed=0)
        values = values[~np.isnan(values)]
        out[name] = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
    return out


def _row(label: str, r: dict) -> str:
    kappa = f"  κ with each annotator {r['kappa']:.3f}" if "kappa" in r else ""
    return f"  {label:<22} micro-F1 {r['micro_f1']:.3f}  macro-F1 {r['macro_f1']:.3f}  hit@1 {r['hit@1']:.3f}{kappa}"


def run(key: str, data_dir: Path, args: argparse.Namespace) -> None:
    data, folds, grouped = coldstart.load(BENCHES[key], data_dir)
    prototype_texts = coldstart.load_bench(coldstart.load_spec(coldstart.SPECS / f"{BENCHES[key]}.yaml"),
                                           data_dir).prototype_texts
    fold = folds[0]
    train = np.asarray(fold[0])
    print(f"\n{data.name}: {len(train)} training, {len(fold[1])} test segments (fold 1)", flush=True)
    frozen = measure(data, fold, grouped)
    print(_row("frozen MiniLM", frozen), flush=True)
    tuning = 0.0
    with tempfile.TemporaryDirectory(prefix="codeseed-tune-") as tmp:
        for epoch, folder, seconds in fine_tune(
                [data.texts[i] for i in train], data.Y[train], key == "annomi", Path(tmp), epochs=args.epochs,
                lr=args.lr, head_lr=args.head_lr, batch=args.batch, seed=args.seed):
            tuning += seconds
            tuned, embed_seconds = tuned_data(data, prototype_texts, folder)
            result = measure(tuned, fold, grouped)
            print(_row(f"tuned, {epoch} epoch(s)", result), flush=True)
            for name, (low, high) in paired_intervals(data, frozen, result).items():
                gain = result[name] - frozen[name]
                print(f"    {name} tuned - frozen {gain:+.3f} [{low:+.3f}, {high:+.3f}]; "
                      f"{gain / (tuning / 60):+.4f} per minute of tuning", flush=True)
            print(f"    tuning {tuning:.0f} s (epoch {epoch}: {seconds:.0f} s), re-embedding {embed_seconds:.0f} s",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--only", choices=sorted(BENCHES))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-5, help="the encoder's learning rate (default 3e-5)")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="the head's learning rate (default 1e-3)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if "OMP_NUM_THREADS" not in os.environ:
        print("note: set OMP_NUM_THREADS=1 on a busy machine (see the docstring)", file=sys.stderr)
    for key in BENCHES:
        if not args.only or key == args.only:
            run(key, args.data_dir, args)


if __name__ == "__main__":
    main()
