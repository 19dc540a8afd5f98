"""Encoder backends: ONNX vectors agree with sentence-transformers', calibration picks the measured fastest,
the cache keeps backends apart, and a backend that cannot run says so.

The agreement tests use the real packaged MiniLM (and export it to ONNX once per test session)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from index import BACKEND_ENV, BackendUnavailable, Encoder, ModelError, VectorCache, encode_with_cache
from index import calibration
from index.calibration import CalibrationStore, choose_backend, machine_key
from index.onnx_export import FILES, OnnxUnsupported, _trusted, ensure_onnx, onnx_plan

SENTENCES = [
    "The staff were kind and listened to everything I had to say.",
    "  We waited over four hours in a corridor with nowhere to sit.  ",  # stripped like sentence-transformers
    "Parking",
    "",
    "The nurse explained my medication clearly, but nobody told me when the next appointment was. " * 30,  # > 256 tokens
]


@pytest.fixture(scope="module")
def encoders():
    # The session's shared CODESEED_HOME (tests/conftest.py): the model and its ONNX export are made once.
    return {name: Encoder(backend=name) for name in ("torch-fp32", "onnx-fp32", "onnx-int8", "openvino-fp32",
                                                     "openvino-bf16", "openvino-int8")}


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


# ------------------------------------------------------------------- agreement with sentence-transformers


def test_onnx_vectors_agree_with_sentence_transformers(encoders):
    from sentence_transformers import SentenceTransformer

    reference_model = SentenceTransformer(str(encoders["torch-fp32"].resolved.path), device="cpu")
    reference = reference_model.encode(SENTENCES, normalize_embeddings=True)
    fp32 = encoders["onnx-fp32"].encode(SENTENCES)
    int8 = encoders["onnx-int8"].encode(SENTENCES)
    assert fp32.shape == int8.shape == (len(SENTENCES), 384) and int8.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert _cosines(fp32, reference).min() > 0.9999  # same graph, same pooling, same truncation
    assert _cosines(int8, reference).min() >= 0.99
    # Paraphrases stay nearer than unrelated texts with int8 too.
    pair = encoders["onnx-int8"].encode(["I could not sleep after the night shift.", "Night shifts ruined my sleep.",
                                         "The council approved a new bus timetable."])
    sims = pair @ pair.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_openvino_vectors_agree_with_sentence_transformers_and_int8_with_onnx_runtime(encoders):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(encoders["torch-fp32"].resolved.path), device="cpu").encode(
        SENTENCES, normalize_embeddings=True)
    fp32 = encoders["openvino-fp32"].encode(SENTENCES)
    int8 = encoders["openvino-int8"].encode(SENTENCES)
    assert fp32.shape == int8.shape == (len(SENTENCES), 384) and fp32.dtype == int8.dtype == np.float32
    assert _cosines(fp32, reference).min() > 0.9999  # fp32 asked for: OpenVINO must not quietly use bf16
    assert 0.99 <= _cosines(int8, reference).min() < 0.9999  # really int8, and close enough
    # The same int8 file as onnx-int8: the two runtimes agree with each other far better than with fp32.
    assert _cosines(int8, encoders["onnx-int8"].encode(SENTENCES)).min() > 0.999
    try:
        bf16 = encoders["openvino-bf16"].encode(SENTENCES)
    except BackendUnavailable as err:  # a CPU without native bf16: refused rather than run as fp32 under its name
        assert "native bf16" in str(err) and "openvino-fp32" in str(err)
    else:
        assert 0.999 <= _cosines(bf16, reference).min() < 0.999999


def _has_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def test_openvino_backends_run_the_precision_they_are_named_for(encoders):
    """OpenVINO's own report of the compiled graph: fp32 and int8 never run bf16 kernels (on a bf16 CPU it would
    switch to them unasked), int8 keeps its weights in int8 (checked on CPUs with VNNI), and bf16, where the CPU
    has it, runs bf16."""
    for name in ("openvino-fp32", "openvino-int8", "openvino-bf16"):
        try:
            encoders[name].encode(SENTENCES * 2)  # a batch: the all-threads graph, whose kernels are reported
        except BackendUnavailable:
            assert name == "openvino-bf16"  # a CPU without native bf16
            continue
        counts = encoders[name]._load().kernel_precisions()
        assert counts.get("f32", 0) > 0
        int8 = counts.get("u8", 0) + counts.get("i8", 0)
        if name == "openvino-bf16":
            assert counts.get("bf16", 0) > 0
        else:
            assert "bf16" not in counts and "f16" not in counts
        if name == "openvino-int8" and _has_vnni():  # measured there; elsewhere OpenVINO may widen int8 weights
            assert int8 > 2 * (encoders["openvino-fp32"]._load().kernel_precisions().get("u8", 0) + 1)
        # The matrix products, by the kernel OpenVINO chose: bf16 ones (AMX or AVX-512) only where asked for.
        kernels = encoders[name]._load().matmul_kernels()
        assert sum(kernels.values()) >= 6 * 2  # MiniLM: six layers, each with projections and attention products
        assert not any(kernel.startswith("undef") for kernel in kernels), kernels  # chosen: the graph has run
        if name == "openvino-bf16":
            assert all("bf16" in kernel for kernel in kernels), kernels
        else:
            assert not any("bf16" in kernel or "amx" in kernel for kernel in kernels), kernels


def test_a_graph_runtime_returning_malformed_output_is_a_clear_error(encoders, monkeypatch):
    """Seen with OpenVINO when its kernels and oneDNN's disagree about the CPU's instructions (an ISA cap set
    for one only): it returned hidden states of shape (0, 0, 384). That must be a clear error, not numpy's."""
    backend = encoders["onnx-fp32"]._load()
    monkeypatch.setattr(backend, "_infer", lambda arrays, threads: np.zeros((0, 0, 384), dtype=np.float32))
    with pytest.raises(BackendUnavailable) as err:
        backend.encode(SENTENCES[:2], 16)
    text = str(err.value)
    assert "returned hidden states of shape (0, 0, 384)" in text and "torch-fp32" in text and "How to fix" in text


def test_openvino_encoding_sends_nothing(encoders, monkeypatch):
    """OpenVINO's telemetry package comes with it (used by its conversion tools): encoding must not use it,
    nor open any connection."""
    import socket

    import openvino_telemetry

    calls: list[str] = []
    monkeypatch.setattr(openvino_telemetry.Telemetry, "__init__",
                        lambda *a, **k: calls.append("telemetry") or None)
    real_connect = socket.socket.connect

    def connect(sock, address):
        calls.append(f"connect {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    for name in ("openvino-fp32", "openvino-int8"):
        fresh = Encoder(backend=name)  # loads (compiles) here, inside the watch
        fresh.encode(SENTENCES[:3])
    assert calls == []


def test_fused_attention_variant_of_the_speed_benchmark_fuses_and_agrees(encoders, tmp_path):
    """benchmarks/encoder_speed.py --onnx-variants: the eager-attention export is fused by ONNX Runtime's
    transformer optimizer (the default export's attention is not), and its vectors are fp32's."""
    import onnx
    from sentence_transformers import SentenceTransformer

    bench = _encoder_speed_module()
    folder = encoders["torch-fp32"].resolved.path
    fused = bench.fused_attention_model(folder, tmp_path)
    ops = [node.op_type for node in onnx.load(str(fused)).graph.node]
    assert ops.count("Attention") == 6 and "Softmax" not in ops  # one fused node per layer of MiniLM-L6
    backend = encoders["onnx-fp32"]._load()
    sessions = {threads: bench._session(fused, threads, True) for threads in backend._sessions}
    reference = SentenceTransformer(str(folder), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    together = bench._with_sessions(backend, sessions, SENTENCES, 16)
    alone = np.vstack([bench._with_sessions(backend, sessions, [text], 16) for text in SENTENCES])
    assert _cosines(together, reference).min() > 0.9999
    np.testing.assert_allclose(alone, together, atol=1e-5)  # padding is masked in the fused graph too


def _encoder_speed_module():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "encoder_speed.py"
    spec = importlib.util.spec_from_file_location("encoder_speed", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_int8_group_variants_of_the_speed_benchmark(encoders, tmp_path):
    """benchmarks/encoder_speed.py --int8-groups: each variant agrees with fp32, and on CPUs with VNNI turning
    OpenVINO's dynamic quantisation off brings openvino-int8's vectors closer to fp32 (it was multiplying in
    int8, whatever its kernels' names say)."""
    bench = _encoder_speed_module()
    found = bench.int8_group_candidates(tmp_path, 16)
    assert list(found) == ["openvino-int8, no dynamic quantisation", "openvino-int8, blocks and groups of 64",
                           "openvino-int8, blocks and groups of 128"]
    assert (tmp_path / "int8-64.onnx").exists() and (tmp_path / "int8-128.onnx").exists()
    reference = encoders["torch-fp32"].encode(SENTENCES)
    for label, encode in found.items():
        assert _cosines(encode(SENTENCES), reference).min() > 0.99, label
    if _has_vnni():
        shipped = _cosines(encoders["openvino-int8"].encode(SENTENCES), reference).mean()
        off = _cosines(found["openvino-int8, no dynamic quantisation"](SENTENCES), reference).mean()
        assert off > shipped


def test_static_int8_benchmark_without_nncf_says_what_to_install(monkeypatch, capsys):
    """benchmarks/encoder_speed.py --static-int8 needs NNCF, which codeseed does not install: it says so and
    times the rest."""
    bench = _encoder_speed_module()
    monkeypatch.setitem(sys.modules, "nncf", None)  # as if NNCF were not installed
    assert bench.static_int8_candidates(["The staff were kind."], 16) == {}
    assert "pip install nncf" in capsys.readouterr().err


def test_torch_backend_sorts_the_whole_input_and_returns_input_order(encoders):
    """More texts than one call holds (4 batches), short and long mixed: every vector is its own text's."""
    from sentence_transformers import SentenceTransformer

    rng = np.random.default_rng(3)
    words = "staff kind waited hours parking nurse medication appointment corridor".split()
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 60, size=150)]
    reference = SentenceTransformer(str(encoders["torch-fp32"].resolved.path), device="cpu").encode(
        texts, normalize_embeddings=True)
    assert _cosines(encoders["torch-fp32"].encode(texts), reference).min() > 0.9999


def test_graph_backend_vector_does_not_depend_on_the_batch(encoders):
    """Unlike torch-bf16's: a text's vector is the same alone and among others (padding is masked)."""
    checked = []
    for name in ("onnx-fp32", "onnx-int8", "openvino-fp32", "openvino-bf16", "openvino-int8"):
        try:
            together = encoders[name].encode(SENTENCES)
        except BackendUnavailable:
            assert name == "openvino-bf16"  # a CPU without native bf16 (checked above)
            continue
        alone = np.vstack([encoders[name].encode([text]) for text in SENTENCES])
        np.testing.assert_allclose(alone, together, atol=1e-5, err_msg=name)
        checked.append(name)
    assert len(checked) >= 4


# ------------------------------------------------------------------- the cache keeps backends apart


def test_identifier_names_backend_and_cache_keeps_them_apart(encoders, tmp_path):
    fp32, int8 = encoders["torch-fp32"], encoders["onnx-int8"]
    assert fp32.identifier.endswith("+torch-fp32") and int8.identifier.endswith("+onnx-int8")
    assert (fp32.precision, int8.precision) == ("fp32", "int8")
    texts = SENTENCES[:3]
    with VectorCache(tmp_path / "vectors.db") as cache:
        first, n_first = encode_with_cache(fp32, texts, cache)
        second, n_second = encode_with_cache(int8, texts, cache)  # nothing of fp32's may come back
        again, n_again = encode_with_cache(int8, texts, cache)
    assert (n_first, n_second, n_again) == (3, 3, 0)
    assert not np.array_equal(first, second)  # int8 vectors differ slightly: they are int8's own
    np.testing.assert_array_equal(second, again)
    np.testing.assert_allclose(second, int8.encode(texts), atol=1e-6)


# ------------------------------------------------------------------- calibration


def test_choose_backend_takes_fastest_that_agrees():
    rates = {"torch-fp32": 100.0, "torch-bf16": 150.0, "onnx-fp32": 300.0, "onnx-int8": 450.0}
    agree = {"torch-fp32": 1.0, "torch-bf16": 0.9999, "onnx-fp32": 1.0, "onnx-int8": 0.995}
    assert choose_backend(rates, agree) == "onnx-int8"
    assert choose_backend(rates, {**agree, "onnx-int8": 0.95}) == "onnx-fp32"  # too far from fp32: not eligible
    assert choose_backend({"torch-fp32": 100.0, "torch-bf16": 90.0}, agree) == "torch-fp32"
    assert choose_backend({"torch-fp32": 100.0, "onnx-fp32": 100.0}, agree) == "torch-fp32"  # a tie: the first
    assert choose_backend({"torch-fp32": 100.0, "onnx-int8": 400.0}, {}) == "torch-fp32"  # unknown agreement
    with pytest.raises(ValueError):
        choose_backend({}, {})


class _Fake:
    def __init__(self, name: str) -> None:
        self.name, self.dimension = name, 4

    def encode(self, texts, batch_size, progress=None):
        out = np.tile(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))
        if self.name.endswith("int8"):  # far from fp32's vectors: never eligible however fast
            out[:, :2] = [0.6, 0.8]
        return out


def test_calibration_is_measured_once_stored_and_redone_when_the_machine_changes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CODESEED_HOME", str(tmp_path))
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    measured: list[list[str]] = []
    fake_rates = {"torch-fp32": 100.0, "torch-bf16": 80.0, "onnx-fp32": 250.0, "onnx-int8": 900.0,
                  "openvino-fp32": 240.0, "openvino-bf16": 0.0, "openvino-int8": 901.0}

    def fake_measure(encoders, texts, repeats=2):
        measured.append(list(encoders))
        return {n: fake_rates[n] for n in encoders}, {n: e(texts) for n, e in encoders.items()}

    def fake_build(self, name):
        if name in ("torch-bf16", "openvino-bf16"):
            raise BackendUnavailable("no bf16 here")
        return _Fake(name)

    monkeypatch.setattr("index.encoder.measure", fake_measure)
    monkeypatch.setattr(Encoder, "_build", fake_build)
    first = Encoder()
    assert first.backend == "onnx-fp32"  # int8 is faster but disagrees with fp32
    assert first.identifier.endswith("+onnx-fp32") and first.description.startswith("onnxruntime fp32")
    assert measured == [["torch-fp32", "onnx-fp32", "onnx-int8", "openvino-fp32", "openvino-int8"]]
    assert ("encoding with onnx-fp32 (torch-fp32 100/s, onnx-fp32 250/s, onnx-int8 900/s, openvino-fp32 240/s, "
            "openvino-int8 901/s" in capsys.readouterr().err)
    stored = json.loads((tmp_path / calibration.CALIBRATION_FILE).read_text())
    (entry,) = stored.values()
    assert entry["backend"] == "onnx-fp32"
    assert entry["skipped"] == {"torch-bf16": "no bf16 here", "openvino-bf16": "no bf16 here"}
    assert entry["min_cosine"]["onnx-int8"] < 0.99

    assert Encoder().backend == "onnx-fp32" and len(measured) == 1  # remembered, not measured again
    real_key = machine_key
    monkeypatch.setattr("index.encoder.machine_key", lambda ident: {**real_key(ident), "cpus": 64})
    fake_rates["onnx-fp32"] = fake_rates["openvino-fp32"] = 50.0
    assert Encoder().backend == "torch-fp32" and len(measured) == 2  # another machine: measured again
    assert len(json.loads((tmp_path / calibration.CALIBRATION_FILE).read_text())) == 2  # both kept


class _Broken(_Fake):
    def encode(self, texts, batch_size, progress=None):
        if self.name == "onnx-int8":
            raise RuntimeError("illegal instruction in kernel")
        return np.zeros((0, 4), dtype=np.float32)  # malformed: no vector per text


def test_calibration_skips_a_backend_that_fails_on_its_texts(tmp_path, monkeypatch):
    """A runtime that loads but then fails or returns nonsense on this CPU is ruled out with its reason; the
    choice is made among the others."""
    monkeypatch.setenv("CODESEED_HOME", str(tmp_path))
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    rates = {"torch-fp32": 100.0, "torch-bf16": 80.0, "onnx-fp32": 250.0, "onnx-int8": 900.0,
             "openvino-fp32": 240.0, "openvino-bf16": 950.0, "openvino-int8": 901.0}
    measured: list[list[str]] = []

    def fake_measure(encoders, texts, repeats=2):
        measured.append(list(encoders))
        return {n: rates[n] for n in encoders}, {n: e(texts) for n, e in encoders.items()}

    broken = {"onnx-int8", "openvino-bf16"}
    monkeypatch.setattr("index.encoder.measure", fake_measure)
    monkeypatch.setattr(Encoder, "_build", lambda self, name: _Broken(name) if name in broken else _Fake(name))
    encoder = Encoder()
    assert encoder.backend == "onnx-fp32"  # openvino-int8 disagrees; the two faster ones failed
    assert measured == [["torch-fp32", "torch-bf16", "onnx-fp32", "openvino-fp32", "openvino-int8"]]
    skipped = encoder.calibration["skipped"]
    assert skipped["onnx-int8"] == "failed on the calibration texts: illegal instruction in kernel"
    assert skipped["openvino-bf16"].startswith("gave unusable vectors") and "(0, 4)" in skipped["openvino-bf16"]

    # The reference is never ruled out this way: if it cannot encode, that is the user's error to see.
    monkeypatch.setenv("CODESEED_HOME", str(tmp_path / "other"))
    broken.add("torch-fp32")
    monkeypatch.setattr(_Broken, "encode", lambda self, texts, batch_size, progress=None: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        Encoder().backend


def test_instruction_set_caps_are_part_of_the_machine(monkeypatch):
    """ONEDNN_MAX_CPU_ISA and the like make the same CPU run other kernels: a calibration made without a cap is
    not used with one. Without any, the key is what it always was, so stored calibrations stay valid."""
    for name in calibration.ISA_CAP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    plain = machine_key("m")
    assert "isa_caps" not in plain
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_VNNI")
    capped = machine_key("m")
    assert capped["isa_caps"] == {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"}
    assert calibration.key_id(capped) != calibration.key_id(plain)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "")  # set but empty: no cap
    assert machine_key("m") == plain


def test_damaged_calibration_file_is_measured_again(tmp_path):
    store = CalibrationStore(tmp_path / "c.json")
    key = machine_key("m")
    assert store.get(key) is None
    store.put(key, {"backend": "onnx-int8"})
    assert store.get(key)["backend"] == "onnx-int8"
    assert store.get({**key, "model": "other"}) is None
    (tmp_path / "c.json").write_text("{not json")
    assert store.get(key) is None


# ------------------------------------------------------------------- forcing a backend


def test_unknown_backend_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "onnx-int4")
    with pytest.raises(ModelError) as err:
        Encoder()
    assert "onnx-int4" in str(err.value) and BACKEND_ENV in str(err.value) and "onnx-int8" in str(err.value)
    with pytest.raises(ModelError):
        Encoder(backend="gpu")


def test_forced_backend_that_cannot_run_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if onnxruntime were not installed
    monkeypatch.setenv(BACKEND_ENV, "onnx-int8")
    encoder = Encoder()
    assert encoder.backend == "onnx-int8"  # forced: no calibration
    with pytest.raises(BackendUnavailable) as err:
        encoder.encode(["hello"])
    text = str(err.value)
    assert "'onnx-int8' cannot run here" in text and "onnxruntime" in text and "How to fix" in text

    monkeypatch.setitem(sys.modules, "openvino", None)
    with pytest.raises(BackendUnavailable) as err:
        Encoder(backend="openvino-int8").encode(["hello"])
    assert "'openvino-int8' cannot run here" in str(err.value) and "pip install openvino" in str(err.value)


def test_model_the_onnx_backend_cannot_run_is_refused(tmp_path, encoders):
    folder = tmp_path / "cls-model"
    shutil.copytree(encoders["torch-fp32"].resolved.path, folder,
                    ignore=shutil.ignore_patterns("*.safetensors", "*.onnx"))
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(OnnxUnsupported, match="mean pooling only"):
        onnx_plan(folder)
    with pytest.raises(BackendUnavailable, match="cannot run here"):
        Encoder(str(folder), backend="onnx-fp32").encode(["hello"])


def test_onnx_plan_reads_models_saved_by_sentence_transformers_6(tmp_path):
    """sentence-transformers 6 (which also saves `codeseed tune`'s models) writes other module paths, a
    "pooling_mode" string and the length limit in the tokenizer's config; the plan reads both layouts."""
    folder = tmp_path / "st6"
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"}]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, "pooling_mode": "mean"}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"transformer_task": "feature-extraction"}))
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 512}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 256}))
    (folder / "tokenizer.json").write_text("{}")
    plan = onnx_plan(folder)
    assert (plan.dimension, plan.max_seq_length) == (384, 256)
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 10**30}))  # "no limit"
    assert onnx_plan(folder).max_seq_length == 512
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, "pooling_mode": "cls"}))
    with pytest.raises(OnnxUnsupported, match="mean pooling only"):
        onnx_plan(folder)
    modules[1]["type"] = "my_package.Pooling"  # not sentence-transformers' own
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(OnnxUnsupported, match="my_package.Pooling"):
        onnx_plan(folder)


def test_onnx_export_is_cached_and_a_changed_file_is_not_trusted(encoders, tmp_path):
    encoder = encoders["onnx-int8"]
    encoder.encode(["x"])
    # This model's export (the session's shared cache may also hold a tuned copy's, from tests/test_tune.py).
    export = ensure_onnx(onnx_plan(encoder.resolved.path), encoder.resolved.identifier, encoder._models_dir())[
        "int8"].parent
    assert _trusted(export) and all((export / name).is_file() for name in FILES.values())
    copy = tmp_path / export.name
    shutil.copytree(export, copy)
    assert _trusted(copy)  # mtimes differ: re-hashed, found right
    data = bytearray((copy / FILES["int8"]).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / FILES["int8"]).write_bytes(bytes(data))
    assert not _trusted(copy)


# ------------------------------------------------------------------- what a project records and says


def test_index_and_status_say_the_backend_and_another_backend_is_not_mixed_in(encoders, tmp_path):
    from index import IndexMismatchError
    from index.project import Project

    (tmp_path / "p1.txt").write_text("Interviewer: How was it?\nP1: The staff were kind.\n\nP1: Parking cost a fortune.\n")
    with Project.init(tmp_path / "proj") as project:
        project.import_documents([tmp_path / "p1.txt"])
        project.use_encoder(encoders["onnx-int8"])
        report = project.build_index()
        assert report.model.endswith("+onnx-int8") and report.encoded == report.segments > 0
        assert project.status()["index"]["model"] == report.model
        project.use_encoder(encoders["torch-fp32"])
        with pytest.raises(IndexMismatchError, match=r"\+onnx-int8.*\+torch-fp32"):
            project.load_index()  # searching int8 vectors with fp32 queries is refused, with a rebuild hint
        again = project.build_index()
        assert again.rebuilt and again.encoded == report.segments  # none of int8's cached vectors reused
        assert project.status()["index"]["model"].endswith("+torch-fp32")


def test_a_project_keeps_the_backend_of_its_index_unless_one_is_chosen(encoders, tmp_path, monkeypatch):
    """A later automatic measurement must not strand an index: the project asks for the backend it was built with."""
    from index.project import Project

    monkeypatch.delenv(BACKEND_ENV, raising=False)
    (tmp_path / "p1.txt").write_text("P1: The staff were kind.\n\nP1: Parking cost a fortune.\n")
    with Project.init(tmp_path / "proj") as project:
        project.import_documents([tmp_path / "p1.txt"])
        assert project.indexed_backend() is None  # no index yet: the automatic choice
        project.use_encoder(encoders["onnx-fp32"])
        built = project.build_index()
    with Project.open(tmp_path / "proj") as project:
        assert project.encoder.requested == "onnx-fp32"  # not measured again
        assert project.load_index().model == built.model
    monkeypatch.setenv(BACKEND_ENV, "torch-fp32")  # the user's explicit choice wins, and the index is rebuilt
    with Project.open(tmp_path / "proj") as project:
        assert project.indexed_backend() is None and project.encoder.requested == "torch-fp32"
        assert project.build_index().model.endswith("+torch-fp32")
