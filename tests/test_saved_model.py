"""The saved suggester: a round trip gives the same suggestions, every learned attribute is carried, and a
changed, missing or foreign file is refused with an error naming it."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from conftest import FakeEncoder, coded_project
from index.errors import CodeseedError, ModelError
from suggest.estimator import CodeSuggester, Example
from suggest.saved_model import (SavedModelError, encoder_spec, load_suggester, save_project_suggester,
                                 save_suggester)
from suggest.saved_state import StateError, StateWriter, decode

WORDS = "wait long staff kind parking cost nurse doctor food cold clean dirty rude helpful ward".split()


def comments(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, int(rng.integers(3, 9)))) for _ in range(n)]


@pytest.fixture(scope="module")
def fitted():
    """A suggester with every channel in use: neighbours, linear, prototypes, calibration, decisions after fit."""
    encoder = FakeEncoder()
    texts = comments(120)
    examples = []
    for i, text in enumerate(texts):
        codes = {c: coder for c, word, coder in (("W", "wait", "ana"), ("R", "kind", "bo"), ("P", "parking", None))
                 if word in text} or {"X": "ana"}
        examples.append(Example(i, codes, group=f"doc{i % 7}"))
    model = CodeSuggester().fit(encoder.encode(texts), examples, codes=["W", "R", "P", "X"], texts=texts,
                                prototypes=encoder.encode(["waiting lists", "respect", "parking", "other"]))
    extra = "rude nurse cold ward"
    model.add_example(500, encoder.encode([extra])[0], "R", "ana", extra)
    model.add_rejection(3, encoder.encode([texts[3]])[0], "W")
    assert model.linear_ is not None and model.calibrated_  # the fixture exercises every channel
    return model


def same(a, b) -> bool:
    """Deep equality of two states: same types, arrays equal (NaN equal to NaN), objects attribute by attribute."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return same(dataclasses.asdict(a), dataclasses.asdict(b))
    if isinstance(a, float) and np.isnan(a):
        return np.isnan(b)
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return same(vars(a), vars(b))
    return a == b


def test_round_trip_gives_exactly_the_same_suggestions(fitted, tmp_path):
    encoder = FakeEncoder()
    queries = comments(40, seed=1) + ["", "parking parking parking"]
    saved = load_suggester(save_suggester(fitted, tmp_path / "model", encoder=encoder))
    vectors = encoder.encode(queries)
    assert saved.suggest(vectors, queries) == fitted.suggest(vectors, queries)
    assert saved.suggest(vectors, queries, top=2) == fitted.suggest(vectors, queries, top=2)
    assert np.array_equal(saved.model.scores(vectors, queries), fitted.scores(vectors, queries))


def test_every_attribute_of_a_fitted_suggester_is_carried(fitted, tmp_path):
    """Fails when a new channel or learned attribute is not saved, or comes back different."""
    loaded = load_suggester(save_suggester(fitted, tmp_path / "model", encoder=FakeEncoder())).model
    learned = [name for name in vars(fitted) if name.endswith("_") and not name.startswith("_")]
    assert {"codes_", "examples_", "vectors_", "Y_", "linear_", "platt_", "thresholds_", "prototypes_",
            "rejections_"} <= set(learned)
    assert sorted(vars(loaded)) == sorted(vars(fitted))
    for name, value in vars(fitted).items():
        assert same(value, getattr(loaded, name)), f"attribute {name} is not carried by the saved model"
    assert loaded.get_params() == fitted.get_params() and loaded.version == fitted.version


def test_an_attribute_that_cannot_be_saved_fails_at_save_time(fitted, tmp_path):
    class Opaque:
        pass

    fitted.mystery_channel_ = Opaque()
    try:
        with pytest.raises(SavedModelError, match="mystery_channel_"):
            save_suggester(fitted, tmp_path / "model", encoder=FakeEncoder())
    finally:
        del fitted.mystery_channel_
    assert not (tmp_path / "model").exists()  # nothing half-written


def test_a_state_cannot_name_a_class_outside_codeseed():
    with pytest.raises(StateError, match="does not load"):
        decode({"__object__": "subprocess.Popen", "params": {"args": ["true"]}, "state": {}}, {})
    with pytest.raises(StateError, match="Python objects"):
        StateWriter().encode(np.array([object()]))


def test_a_tampered_file_is_refused_naming_it(fitted, tmp_path):
    folder = save_suggester(fitted, tmp_path / "model", encoder=FakeEncoder())
    state = folder / "state.json"
    state.write_text(state.read_text().replace('"k": 15', '"k": 16'))
    with pytest.raises(SavedModelError) as caught:
        load_suggester(folder)
    assert "state.json" in str(caught.value) and "SHA-256 mismatch" in str(caught.value)
    assert "How to fix" in str(caught.value)


def test_a_missing_file_or_another_format_version_is_refused(fitted, tmp_path):
    folder = save_suggester(fitted, tmp_path / "model", encoder=FakeEncoder())
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(SavedModelError, match="format version 99"):
        load_suggester(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "arrays.npz").unlink()
    with pytest.raises(SavedModelError, match="missing") as caught:
        load_suggester(folder)
    assert "arrays.npz" in str(caught.value)
    with pytest.raises(SavedModelError, match="no manifest"):
        load_suggester(tmp_path)


def test_saving_never_overwrites_a_folder_that_is_not_a_saved_model(fitted, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.docx").write_text("precious")
    with pytest.raises(SavedModelError, match="refusing to overwrite"):
        save_suggester(fitted, tmp_path / "notes", encoder=FakeEncoder())
    assert (tmp_path / "notes" / "thesis.docx").read_text() == "precious"
    first = save_suggester(fitted, tmp_path / "model", encoder=FakeEncoder())
    save_suggester(fitted, first, encoder=FakeEncoder())  # an earlier saved model is replaced
    assert load_suggester(first).model.version == fitted.version


def test_a_project_suggester_saves_with_its_code_names(tmp_path, fake_encoder):
    from suggest.project_suggester import ProjectSuggester

    project = coded_project(tmp_path / "p", fake_encoder, {
        "P1": "P1: The waiting list was months long\nP1: The staff were kind\nP1: Parking cost a fortune",
        "P2": "P2: I waited weeks\nP2: Kind nurses"})
    with project:
        suggester = ProjectSuggester(project).fit()
        saved = load_suggester(save_project_suggester(suggester, tmp_path / "model"))
        segments = project.store.segments()
        texts = [s.text for s in segments]
        vectors = fake_encoder.encode(texts)
        assert saved.suggest(vectors, texts) == suggester.model.suggest(vectors, texts)
    assert {c["id"]: c["name"] for c in saved.manifest["codes"]}["W"] == "Waiting"
    assert saved.encoder_identifier == "fake-bow-64"
    with pytest.raises(ModelError, match="cannot rebuild"):
        saved.load_encoder()


def test_the_default_encoder_is_named_and_checked_by_the_hash_of_its_weights(fitted, tmp_path):
    from index.encoder import Encoder
    from index.model import DEFAULT_MODEL_SHA256

    encoder = Encoder(backend="torch-fp32")
    spec = encoder_spec(encoder)  # resolves and hashes the packaged model; loads no model
    assert spec["weights_sha256"] == DEFAULT_MODEL_SHA256 and not spec["bundled"]
    folder = save_suggester(fitted, tmp_path / "model", encoder=encoder)
    assert not (folder / "encoder").exists()  # referred to by name, not copied
    rebuilt = load_suggester(folder).load_encoder()
    assert rebuilt.identifier == spec["identifier"] == encoder.identifier and rebuilt.backend == "torch-fp32"
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["encoder"]["weights_sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="other weights"):
        load_suggester(folder).load_encoder()


def test_a_local_model_folder_is_copied_into_the_saved_model(fitted, tmp_path):
    from index.encoder import Encoder

    local = tmp_path / "my-model"
    local.mkdir()
    (local / "config.json").write_text("{}")
    (local / "model.safetensors").write_bytes(b"weights of a model on this machine only")
    folder = save_suggester(fitted, tmp_path / "model", encoder=Encoder(str(local), backend="onnx-fp32"))
    saved = load_suggester(folder)
    assert saved.manifest["encoder"]["bundled"] and (folder / "encoder" / "model.safetensors").is_file()
    assert saved.manifest["files"]["encoder/model.safetensors"]
    rebuilt = saved.load_encoder()
    assert rebuilt.model_name == str(folder / "encoder") and rebuilt.backend == "onnx-fp32"
    (folder / "encoder" / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(CodeseedError, match="encoder/model.safetensors"):
        load_suggester(folder)
