"""Embedding speed: every encoder backend against sentence-transformers' fp32 default, in the same run.

Run:  python benchmarks/encoder_speed.py [DATA_DIR] [--n 2000] [--runs 3] [--batch-size 16] [--onnx-variants]
          [--int8-groups] [--static-int8]

DATA_DIR is the benchmark data folder holding ``nhs-pxtextmining/v6framework_230831.csv`` (its FFT answers,
the comments the NHS benchmark codes); without it, deterministic synthetic interview-like text is used.

Baseline: ``SentenceTransformer(model).encode(texts)`` with its defaults (fp32, batch 32, torch's threads).
Candidates: codeseed's backends (``Encoder(backend=...)``), what ``auto`` picks here, and two ablations of
``onnx-int8`` that show where its speed comes from (batches in input order instead of by token length; one
thread). Each run times every candidate once, taking turns, so a busy machine slows all of them alike; each
figure is the median over ``--runs`` runs (range in brackets), the ratio is the median of per-run ratios to
the same run's baseline. Agreement with the baseline: cosine of each text's two vectors (min, mean) and the
overlap of each text's 10 nearest neighbours among the texts (self excluded).

``--onnx-variants`` adds three candidates beside ``onnx-fp32``, with its tokenisation, batches and threads:
the transformer exported with eager attention and fused by ONNX Runtime's transformer optimizer (model type
bert: ``Attention``, ``SkipLayerNormalization``, ``BiasGelu`` and ``EmbedLayerNormalization`` nodes; the op
counts are printed), the same fused graph with ``onnx-int8``'s block-wise int8 weights, and the shipped export
with the thread pool's spinning turned off (``session.intra_op.allow_spinning=0``). The fused model is built in a temporary folder on each run (seconds).

``--int8-groups`` adds ``openvino-int8`` as it could be set: OpenVINO quantises the activations of a product with
int8 weights on the fly, in groups as long as the weights' blocks (its dynamic quantisation, on CPUs with VNNI or
AMX), and multiplies in int8. The candidates: that turned off (``DYNAMIC_QUANTIZATION_GROUP_SIZE`` 0: int8
weights widened to fp32), and the weights in blocks of 64 and 128 with groups to match (fewer scales: faster,
less exact). The files are built in a temporary folder on each run (seconds).

``--static-int8`` (needs ``pip install nncf``) adds OpenVINO with int8 *arithmetic*, not only int8 weights:
the fp32 export quantised by NNCF (``nncf.quantize``, transformer preset, which applies SmoothQuant), its
activation scales calibrated on 300 further texts of the same source, never the measured ones. Two variants:
every matrix product in int8, and the same with each layer's feed-forward output product left in fp32. They
show what int8 arithmetic costs in agreement; codeseed does not ship them.

For each OpenVINO backend it also prints how many of the compiled graph's operations run at each precision
(OpenVINO's own report of what this CPU runs): ``openvino-int8`` and ``openvino-fp32`` should show no ``bf16``.
It prints the kernels the matrix products run on, whose names say the instructions (``avx2``, ``avx512``,
``amx``) but not OpenVINO's dynamic quantisation (int8 products still read ``_f32``), and any instruction-set
cap set in the environment (``ONEDNN_MAX_CPU_ISA``, ``OV_CPU_MAX_ISA``, ``MKL_ENABLE_INSTRUCTIONS``: set them
together to imitate a CPU with fewer instructions; docs/benchmarks.md shows how).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Encoder  # noqa: E402
from index.backends import SPECS, BackendUnavailable, available_cpus  # noqa: E402
from index.calibration import isa_caps  # noqa: E402
from index.encoder import BATCH_SIZE  # noqa: E402

NHS_FILE = Path("nhs-pxtextmining") / "v6framework_230831.csv"
CALIBRATION_TEXTS = 300  # --static-int8's activation scales come from these, after the measured texts
FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


_OPENERS = [
    "Honestly, I think",
    "When I first started here,",
    "My manager always said",
    "To be fair,",
    "What really struck me was that",
    "I remember when",
    "If I'm being honest,",
    "Most days",
    "The thing nobody tells you is that",
    "Looking back,",
]
_BODIES = [
    "the night shifts were the hardest part because you never really sleep properly",
    "we didn't have enough staff to cover the ward, so everyone just stayed late",
    "my family didn't understand why I kept going back to a job that paid so little",
    "the training was fine but nothing prepares you for the first time a patient dies",
    "I felt like nobody listened to the nurses when decisions were being made",
    "the rent went up again and we had to move further out of the city",
    "I started volunteering at the food bank after I lost my job",
    "the kids' school closed for months and I was trying to work from the kitchen table",
    "there was a lot of pressure to meet targets, even when it made no sense for the clients",
    "my colleagues were the only reason I stayed as long as I did",
    "the bus only comes twice an hour, so getting to appointments is a whole day out",
    "I never told my doctor how anxious I was because I thought it would go on my record",
    "we organised a petition and, surprisingly, the council actually changed the plan",
    "the app was supposed to make things easier but half of us couldn't log in",
    "I was the first person in my family to go to university and I felt like an impostor",
]
_CLOSERS = [
    "",
    " It still bothers me.",
    " I don't know, maybe that's just how it is.",
    " That's when I decided something had to change.",
    " You just get on with it, don't you?",
    " I think about it a lot, actually, more than I'd like to admit to anyone at work.",
]


def sentences(n: int, seed: int = 7) -> list[str]:
    """Deterministic interview-style segments of varied length (one to three sentences)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [f"{rng.choice(_OPENERS)} {rng.choice(_BODIES)}.{rng.choice(_CLOSERS)}"]
        if rng.random() < 0.35:
            parts.append(f"{rng.choice(_OPENERS)} {rng.choice(_BODIES)}.")
        out.append(" ".join(parts))
    return out


def load_texts(data_dir: Path | None, n: int, seed: int = 0) -> tuple[list[str], str]:
    if data_dir is None:
        return sentences(n), "synthetic interview-style segments"
    with open(data_dir / NHS_FILE, encoding="utf-8", newline="") as handle:
        texts = [row["FFT answer"].strip() for row in csv.DictReader(handle)
                 if (row.get("FFT answer") or "").strip() and row.get("Labelling not possible") != "1"]
    random.Random(seed).shuffle(texts)
    return texts[:n], "NHS FFT comments"


def machine() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"{platform.processor() or platform.machine()}, {available_cpus()} cores"
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    shown = " ".join(f for f in FLAGS_OF_INTEREST if f in flags) or "none of " + " ".join(FLAGS_OF_INTEREST)
    caps = isa_caps()
    capped = f"; instruction sets capped by {' '.join(f'{k}={v}' for k, v in caps.items())}" if caps else ""
    return f"{model}, {available_cpus()} cores usable, flags: {shown}{capped}"


def versions() -> str:
    import importlib.metadata as md

    return ", ".join(f"{p} {md.version(p)}" for p in ("torch", "onnxruntime", "openvino", "sentence-transformers"))


def candidates(batch_size: int, workdir: Path | None = None, static_int8: list[str] | None = None,
               int8_groups: Path | None = None) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """name -> encode function; the baseline first. Loading happens here, outside the timings.

    ``workdir``: a folder for the ``--onnx-variants`` fused model (no variants without it). ``static_int8``:
    texts to calibrate the ``--static-int8`` variants on (none without them). ``int8_groups``: a folder for the
    ``--int8-groups`` files (none without it)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    auto = Encoder(batch_size=batch_size)
    st = SentenceTransformer(str(auto.resolved.path), device="cpu", local_files_only=True)
    found = {"sentence-transformers fp32 (baseline)": lambda texts: st.encode(texts)}
    for name in SPECS:
        encoder = Encoder(backend=name, batch_size=batch_size)
        try:
            encoder.encode(["warm up"] * 8)  # a batch, so the all-threads graph runs and its kernels are chosen
        except BackendUnavailable as exc:
            print(f"{name}: skipped, {exc.message}", file=sys.stderr)
            continue
        found[name] = encoder.encode
        backend = encoder._load()
        if hasattr(backend, "kernel_precisions"):
            counts = backend.kernel_precisions()
            print(f"{name} runs its operations at: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}")
            kernels = backend.matmul_kernels()
            print(f"{name} runs its matrix products on: {', '.join(f'{k} {v}' for k, v in sorted(kernels.items()))}")
    found[f"auto (picked {auto.backend})"] = auto.encode
    if int8_groups is not None:
        found.update(int8_group_candidates(int8_groups, batch_size))
    if static_int8:
        found.update(static_int8_candidates(static_int8, batch_size))
    int8 = Encoder(backend="onnx-int8", batch_size=batch_size)._load()
    found["onnx-int8, input order (no length bucketing)"] = lambda texts: _unsorted(int8, texts, batch_size)
    found["onnx-int8, 1 thread"] = lambda texts: _one_thread(int8, texts, batch_size)
    if workdir is not None:
        from index.onnx_export import _quantise, ensure_onnx, onnx_plan

        encoder = Encoder(backend="onnx-fp32", batch_size=batch_size)
        fp32 = encoder._load()
        shipped = ensure_onnx(onnx_plan(encoder.resolved.path), encoder.resolved.identifier,
                              encoder._models_dir())["fp32"]  # cached: the file fp32's sessions run
        fused = fused_attention_model(encoder.resolved.path, workdir)
        fused_int8 = workdir / "fused.int8.onnx"
        _quantise(fused, fused_int8)  # the shipped int8 recipe, on the fused graph
        for label, backend, path, spinning in (("onnx-fp32, fused attention", fp32, fused, True),
                                               ("onnx-int8, fused attention", int8, fused_int8, True),
                                               ("onnx-fp32, no thread spinning", fp32, shipped, False)):
            sessions = {threads: _session(path, threads, spinning) for threads in backend._sessions}
            found[label] = lambda texts, b=backend, s=sessions: _with_sessions(b, s, texts, batch_size)
            found[label](["warm up"])
    return found


def fused_attention_model(folder: Path, workdir: Path) -> Path:
    """MiniLM exported with eager attention, then fused by ``onnxruntime.transformers.optimizer`` (bert)."""
    import onnx
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    from index.onnx_export import _export, onnx_plan

    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    raw, fused = workdir / "eager.onnx", workdir / "fused.onnx"
    _export(onnx_plan(folder), raw, attention="eager")
    model = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config["num_attention_heads"],
                                     hidden_size=config["hidden_size"], optimization_options=FusionOptions("bert"),
                                     opt_level=0)
    model.save_model_to_file(str(fused))
    ops = collections.Counter(node.op_type for node in onnx.load(str(fused)).graph.node)
    print(f"fused model's nodes: {', '.join(f'{op} {n}' for op, n in ops.most_common())}")
    if not ops["Attention"]:
        print("warning: the optimizer fused no attention in this export", file=sys.stderr)
    return fused


def int8_group_candidates(workdir: Path, batch_size: int) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """``openvino-int8`` without OpenVINO's dynamic quantisation, and with coarser weight blocks and groups."""
    import openvino as ov

    from index.onnx_export import BLOCK, _quantise, ensure_onnx, onnx_plan

    encoder = Encoder(backend="openvino-int8", batch_size=batch_size)
    backend = encoder._load()
    files = ensure_onnx(onnx_plan(encoder.resolved.path), encoder.resolved.identifier, encoder._models_dir())
    core, found = ov.Core(), {}
    for label, path, groups in (("openvino-int8, no dynamic quantisation", files["int8"], 0),
                                ("openvino-int8, blocks and groups of 64", workdir / "int8-64.onnx", 64),
                                ("openvino-int8, blocks and groups of 128", workdir / "int8-128.onnx", 128)):
        if groups and groups != BLOCK:
            _quantise(files["fp32"], path, block=groups)
        model = core.read_model(str(path))
        options = {"DYNAMIC_QUANTIZATION_GROUP_SIZE": str(groups)}
        requests = {threads: core.compile_model(model, "CPU", {**backend.compile_options(threads), **options})
                    .create_infer_request() for threads in backend._requests}
        found[label] = lambda texts, r=requests: _with_requests(backend, r, lambda: backend.encode(texts, batch_size))
        found[label](["warm up"] * 8)
    return found


FFN_OUTPUT = r".*layer\.\d+/output/dense/MatMul.*"  # each layer's second feed-forward product in the export


def static_int8_candidates(calibration: list[str], batch_size: int) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """OpenVINO running NNCF's statically quantised fp32 export (int8 weights *and* activations)."""
    try:
        import nncf
    except ImportError:
        print("--static-int8: skipped, it needs NNCF (pip install nncf)", file=sys.stderr)
        return {}
    import logging

    import openvino as ov

    from index.onnx_export import ensure_onnx, onnx_plan

    nncf.set_log_level(logging.ERROR)
    encoder = Encoder(backend="openvino-fp32", batch_size=batch_size)
    backend = encoder._load()
    fp32 = ensure_onnx(onnx_plan(encoder.resolved.path), encoder.resolved.identifier, encoder._models_dir())["fp32"]
    encodings = backend.tokenizer.encode_batch([t.strip() for t in calibration])
    dataset = nncf.Dataset([backend._arrays([e], len(e.ids)) for e in encodings])
    core, found = ov.Core(), {}
    for label, ignored in (("openvino, static int8 (every product)", None),
                           ("openvino, static int8, FFN output fp32", nncf.IgnoredScope(patterns=[FFN_OUTPUT]))):
        began = time.perf_counter()
        quantised = nncf.quantize(core.read_model(str(fp32)), dataset, model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(calibration), ignored_scope=ignored)
        requests = {threads: core.compile_model(quantised, "CPU", backend.compile_options(threads))
                    .create_infer_request() for threads in backend._requests}
        found[label] = lambda texts, r=requests: _with_requests(backend, r, lambda: backend.encode(texts, batch_size))
        found[label](["warm up"] * 8)  # kernels are chosen on the first run of the all-threads graph
        kernels = _with_requests(backend, requests, backend.matmul_kernels)
        print(f"{label}: quantised in {time.perf_counter() - began:.0f} s on {len(calibration)} texts; matrix "
              f"products on: {', '.join(f'{k} {v}' for k, v in sorted(kernels.items()))}")
    return found


def _swapped(backend, attribute: str, value, call: Callable):
    """``call()`` with ``backend.<attribute>`` set to ``value`` for its duration (sessions, requests, threads)."""
    saved = getattr(backend, attribute)
    setattr(backend, attribute, value)
    try:
        return call()
    finally:
        setattr(backend, attribute, saved)


def _with_requests(backend, requests: dict, call: Callable):
    return _swapped(backend, "_requests", requests, call)


def _session(path: Path, threads: int, spinning: bool):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _with_sessions(backend, sessions: dict, texts: list[str], batch_size: int) -> np.ndarray:
    return _swapped(backend, "_sessions", sessions, lambda: backend.encode(texts, batch_size))


def _unsorted(backend, texts: list[str], batch_size: int) -> np.ndarray:
    encodings = backend.tokenizer.encode_batch([t.strip() for t in texts])
    parts = [backend._run(encodings[i : i + batch_size], max(len(e.ids) for e in encodings[i : i + batch_size]),
                          max(backend.threads)) for i in range(0, len(encodings), batch_size)]
    return np.concatenate(parts)


def _one_thread(backend, texts: list[str], batch_size: int) -> np.ndarray:
    return _swapped(backend, "threads", [1], lambda: backend.encode(texts, batch_size))


def neighbour_overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    def top(v: np.ndarray) -> np.ndarray:
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        return np.argpartition(-sims, k, axis=1)[:, :k]

    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(top(a), top(b))]))


def run(encoders: dict[str, Callable], texts: list[str], runs: int) -> tuple[dict[str, list[float]], dict]:
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for r in range(runs):
        for name, encode in encoders.items():
            began = time.perf_counter()
            out = np.asarray(encode(texts), dtype=np.float32)
            rates[name].append(len(texts) / (time.perf_counter() - began))
            vectors[name] = out / np.linalg.norm(out, axis=1, keepdims=True)
        print(f"  run {r + 1}/{runs} done", file=sys.stderr)
    return rates, vectors


def report(rates: dict[str, list[float]], vectors: dict[str, np.ndarray]) -> None:
    names = list(rates)
    base_name = names[0]
    base, base_rates = vectors[base_name], np.array(rates[base_name])
    print("| encoder | segments/s median [range] | × baseline median [range] | cosine to fp32 min / mean "
          "| top-10 overlap |")
    print("|---|---|---|---|---|")
    for name in names:
        r = np.array(rates[name])
        ratio = r / base_rates
        cos = np.sum(vectors[name] * base, axis=1)
        print(f"| {name} | {np.median(r):.0f} [{r.min():.0f}–{r.max():.0f}] | **{np.median(ratio):.2f}×** "
              f"[{ratio.min():.2f}–{ratio.max():.2f}] | {cos.min():.4f} / {cos.mean():.5f} "
              f"| {neighbour_overlap(vectors[name], base):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, help="benchmark data folder (else synthetic text)")
    parser.add_argument("--n", type=int, default=2000, help="texts to encode per candidate and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="codeseed's batch (its default)")
    parser.add_argument("--onnx-variants", action="store_true",
                        help="also time onnx-fp32 and onnx-int8 with fused attention, and onnx-fp32 "
                             "with thread spinning off")
    parser.add_argument("--int8-groups", action="store_true",
                        help="also time openvino-int8 without OpenVINO's dynamic quantisation, and with weight "
                             "blocks and activation groups of 64 and 128")
    parser.add_argument("--static-int8", action="store_true",
                        help="also time OpenVINO with NNCF's static int8 quantisation, calibrated on 300 "
                             "further texts (needs pip install nncf)")
    args = parser.parse_args()

    texts, source = load_texts(args.data_dir, args.n + CALIBRATION_TEXTS)
    texts, calibration = texts[: args.n], texts[args.n :]
    print(f"{len(texts)} {source}, mean {np.mean([len(t) for t in texts]):.0f} chars; {args.runs} runs; "
          f"codeseed batch {args.batch_size}")
    print(f"machine: {machine()}")
    print(f"{versions()}; load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    with tempfile.TemporaryDirectory(prefix="encoder-speed-") as workdir:
        encoders = candidates(args.batch_size, Path(workdir) if args.onnx_variants else None,
                              calibration if args.static_int8 else None, Path(workdir) if args.int8_groups else None)
        rates, vectors = run(encoders, texts, args.runs)
    report(rates, vectors)
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
