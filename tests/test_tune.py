"""`codeseed tune`: the keep rule, the held-out check (never tunes on a held-out text), the tuned encoder's
folder (hash-checked, named by its weights), and the real thing end to end on a small project with MiniLM."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from eval.methods import CodedData
from eval.tune_check import MACRO_TOLERANCE, check_tuning, decide, held_out_split
from index import Encoder
from index.errors import ModelError
from index.model import resolve_model, sha256_file
from index.tuned_model import TUNED_MANIFEST, read_manifest, verify_tuned, write_tuned
from index.tuning import TuneSettings, choose_precision, class_weights, length_batches, single_label


# -- the keep rule, hand-made cases --------------------------------------------------------------------------------
@pytest.mark.parametrize("gain, interval, macro, keep", [
    (0.05, (0.02, 0.09), 0.03, True),
    (0.05, (0.02, 0.09), -MACRO_TOLERANCE, True),       # at the tolerance: kept
    (0.05, (0.02, 0.09), -MACRO_TOLERANCE - 0.001, False),  # rare codes lose
    (0.02, (-0.01, 0.05), 0.02, False),                  # a gain not shown
    (0.00, (0.00, 0.00), 0.00, False),                   # identical
    (0.05, (float("nan"), float("nan")), 0.03, False),   # no interval: nothing shown
])
def test_decide_keeps_only_a_shown_gain_that_spares_rare_codes(gain, interval, macro, keep):
    kept, reason = decide(gain, interval, macro)
    assert kept is keep
    assert f"{gain:+.3f}" in reason and ("better" in reason) is keep


def test_length_batches_put_every_row_in_one_batch_of_similar_length():
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 500, size=1000).tolist()
    rows = np.arange(0, 1000, 3)
    batches = length_batches(np.random.default_rng(0), rows, lengths, 8, chunk=10)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == rows.tolist()
    assert max(len(b) for b in batches) == 8
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    random_spread = np.mean([np.ptp([lengths[i] for i in b]) for b in np.array_split(rng.permutation(rows), len(batches))])
    assert spread < random_spread / 3  # sorted inside chunks: far less padding than random batches


def test_single_label_ignores_uncoded_rows():
    assert single_label(np.array([[1, 0], [0, 1], [0, 0]]))
    assert not single_label(np.array([[1, 1], [0, 1]]))


def test_class_weights_lift_rare_codes_hand_counted():
    # single label: counts 4, 1 (the uncoded row ignored); mean 2.5 -> sqrt(2.5/4), sqrt(2.5/1)
    single = np.array([[1, 0]] * 4 + [[0, 1], [0, 0]])
    assert np.allclose(class_weights(single), [np.sqrt(2.5 / 4), np.sqrt(2.5)])
    # multi-label, 8 rows: code a 2 positives (sqrt(6/2)), b 6 (sqrt(2/6) < 1 -> 1), c none (1), d 1 (sqrt(7) capped)
    multi = np.zeros((8, 4), dtype=int)
    multi[:2, 0] = 1
    multi[:6, 1] = 1
    multi[7, 3] = 1
    assert np.allclose(class_weights(multi, cap=2.0), [np.sqrt(3), 1.0, 1.0, 2.0])
    assert class_weights(multi)[3] == pytest.approx(np.sqrt(7))


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError):
        TuneSettings(epochs=0)
    with pytest.raises(ValueError):
        TuneSettings(lr=0)
    with pytest.raises(ValueError, match="auto, fp32, bf16, not 'fp16'"):
        TuneSettings(precision="fp16")


def test_tuning_uses_the_fused_adamw_where_torch_has_it(monkeypatch):
    import torch

    from index.tuning import _adamw

    params = [torch.nn.Parameter(torch.ones(3))]
    assert _adamw(torch, [{"params": params, "lr": 0.1}]).defaults["fused"] is True  # torch >= 2.4 on the CPU
    real = torch.optim.AdamW

    def no_fused(groups, **options):
        if options.get("fused"):
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return real(groups, **options)

    monkeypatch.setattr(torch.optim, "AdamW", no_fused)
    plain = _adamw(torch, [{"params": params, "lr": 0.1}])
    assert not plain.defaults.get("fused") and plain.defaults["weight_decay"] == 0.01


@pytest.mark.parametrize("fp32, bf16, chosen", [
    (1.0, 0.5, "bf16"),          # twice as fast
    (1.2, 1.0, "bf16"),          # exactly the margin (1.2x)
    (1.0, 0.9, "fp32"),          # faster, but within the margin
    (0.5, 1.5, "fp32"),          # a CPU without native bf16: three times slower
])
def test_choose_precision_takes_bf16_only_when_clearly_faster(fp32, bf16, chosen):
    assert choose_precision(fp32, bf16) == chosen


def test_training_precision_is_measured_and_the_probe_leaves_no_trace(monkeypatch):
    """The real model, tiny set. Forced bf16 trains (and differs from fp32, slightly); "auto" below the probe's
    step count is fp32 without measuring; "auto" that measures and then picks fp32 trains exactly the forced fp32
    encoder: the probe's gradients and its use of the random generator are gone."""
    from index import tuning
    from index.tuning import embedder, fine_tune

    base = Encoder().resolved.path
    texts = [f"the nurse on ward {i} was kind and patient" for i in range(10)] + ["parking cost far too much"] * 4
    Y = np.array([[1, 0]] * 10 + [[0, 1]] * 4)
    probe = ["the car park was expensive", "the staff were lovely"]

    def run(precision: str) -> tuple[np.ndarray, dict]:
        record: dict = {}
        model = fine_tune(base, texts, Y, TuneSettings(epochs=1, batch=7, precision=precision), progress=False,
                          record=record)
        return embedder(model)(probe), record

    fp32, fp32_record = run("fp32")
    bf16, bf16_record = run("bf16")
    assert fp32_record == {"precision": "fp32"} and bf16_record == {"precision": "bf16"}
    gap = np.abs(fp32 - bf16).max()
    assert 1e-5 < gap and float(np.min(np.sum(fp32 * bf16, axis=1))) > 0.99

    small, small_record = run("auto")  # 2 steps: under PROBE_MIN_STEPS, no measurement
    assert small_record == {"precision": "fp32"}
    np.testing.assert_array_equal(small, fp32)

    monkeypatch.setattr(tuning, "PROBE_MIN_STEPS", 1)
    monkeypatch.setattr(tuning, "choose_precision", lambda fp32_s, bf16_s: "fp32")
    measured, measured_record = run("auto")
    assert measured_record["precision"] == "fp32"
    assert set(measured_record["step_seconds"]) == {"fp32", "bf16"}
    assert all(seconds > 0 for seconds in measured_record["step_seconds"].values())
    np.testing.assert_array_equal(measured, fp32)  # the probe changed nothing

    monkeypatch.setattr(tuning, "choose_precision", lambda fp32_s, bf16_s: "bf16")
    chosen, chosen_record = run("auto")
    assert chosen_record["precision"] == "bf16"
    np.testing.assert_allclose(chosen, bf16, atol=1e-6)

    real_measure = tuning.measure_precision

    def no_bf16(loss_of, modules):  # the real probe, whose bf16 step fails after its fp32 one ran
        def failing(bf16):
            if bf16:
                raise RuntimeError("CPU autocast does not support bfloat16 here")
            return loss_of(bf16)
        return real_measure(failing, modules)

    monkeypatch.setattr(tuning, "measure_precision", no_bf16)  # fp32, not a crash, and no trace of the probe
    failed, failed_record = run("auto")
    assert failed_record == {"precision": "fp32"}
    np.testing.assert_array_equal(failed, fp32)


# -- the held-out check with a stand-in tuner (exact control over what "tuned" vectors are) --------------------------
def _data(n_docs: int = 10, per_doc: int = 12, noise: float = 1.2, seed: int = 0) -> CodedData:
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 16, dtype=np.float32)
    labels = rng.integers(0, 3, size=n_docs * per_doc)
    vectors = centres[labels] + noise * rng.normal(size=(len(labels), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    Y = np.eye(3, dtype=np.int8)[labels]
    texts = [f"segment {i} about topic {labels[i]}" for i in range(len(labels))]
    return CodedData(name="toy", texts=texts, vectors=vectors, Y=Y, groups=[f"d{i // per_doc}" for i in range(len(labels))],
                     codes=["a", "b", "c"], names=["A", "B", "C"], prototypes=centres.copy(), unit_ids=list(range(len(labels))))


def oracle_embedding(topic: dict[str, int]):
    """What a perfect tuning would give: each text near its true code's axis (a little noise, as real vectors)."""
    def embed(batch):
        out = 0.3 * np.random.default_rng(len(batch)).normal(size=(len(batch), 16)).astype(np.float32)
        for r, t in enumerate(batch):
            out[r, topic.get(t, r % 3)] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)
    return embed


def test_check_never_tunes_on_a_held_out_text_and_keeps_an_encoder_that_separates_the_codes():
    data = _data()
    train, test = held_out_split(data)
    seen: list[str] = []
    topic = {t: int(t.rsplit(" ", 1)[1]) for t in data.texts}  # what a perfect encoder would know

    def oracle(texts, Y):
        seen.extend(texts)
        assert len(Y) == len(texts)

        return oracle_embedding(topic)

    result = check_tuning(data, ["A", "B", "C"], oracle, n_boot=200)
    held = {data.texts[i] for i in test}
    assert seen and not held & set(seen)
    assert sorted(seen) == sorted(data.texts[i] for i in train)
    assert result.tuned["micro_f1"] > result.frozen["micro_f1"] + 0.1
    assert result.micro_interval[0] > 0 and result.keep
    assert (result.trained_on, result.held_out) == (len(train), len(test))


def test_check_does_not_keep_an_encoder_that_changes_nothing():
    data = _data()
    lookup = {**dict(zip(data.texts, data.vectors)), **dict(zip("ABC", data.prototypes))}
    result = check_tuning(data, ["A", "B", "C"], lambda texts, Y: (lambda b: np.stack([lookup[t] for t in b])),
                          n_boot=200)
    assert result.micro_gain == pytest.approx(0.0) and not result.keep


def test_check_needs_two_documents():
    data = _data(n_docs=1, per_doc=30)
    with pytest.raises(ValueError, match="two documents"):
        check_tuning(data, ["A", "B", "C"], lambda t, y: None)


# -- the tuned folder -------------------------------------------------------------------------------------------
def _fake_save(payload: bytes):
    def save(folder):
        (folder / "model.safetensors").write_bytes(payload)
        (folder / "config.json").write_text("{}")
    return save


def test_tuned_folder_is_named_by_its_weights_verified_and_refused_once_changed(tmp_path):
    manifest = {"base_model": "all-MiniLM-L6-v2", "base_identifier": "base@1234"}
    folder = write_tuned(_fake_save(b"weights-1"), tmp_path / "encoders", manifest, sha256_file)
    digest = sha256_file(folder / "model.safetensors")
    assert folder.name == f"tuned-{digest[:12]}" and read_manifest(folder)["weights_sha256"] == digest
    assert [p.name for p in (tmp_path / "encoders").iterdir()] == [folder.name]  # no temporary folder left
    hashed = []

    def counting(path):
        hashed.append(path)
        return sha256_file(path)

    identifier = verify_tuned(folder, counting)
    assert identifier == f"tuned:base@1234~{digest[:12]}" and len(hashed) == 1
    assert verify_tuned(folder, counting) == identifier and len(hashed) == 1  # unchanged file: not hashed again
    moved = shutil.copytree(folder, tmp_path / "elsewhere" / folder.name)
    assert resolve_model(moved).identifier == identifier  # the path is not part of the name
    (folder / "model.safetensors").write_bytes(b"weights-2")
    with pytest.raises(ModelError, match="changed after tuning") as caught:
        verify_tuned(folder, sha256_file)
    assert "codeseed tune PROJECT --off" in str(caught.value)


def test_a_failed_save_leaves_nothing_behind(tmp_path):
    def broken(folder):
        (folder / "model.safetensors").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_tuned(broken, tmp_path / "encoders", {"base_model": "m", "base_identifier": "m@1"}, sha256_file)
    assert list((tmp_path / "encoders").iterdir()) == []


def test_a_damaged_manifest_is_a_clear_error(tmp_path):
    folder = write_tuned(_fake_save(b"w"), tmp_path, {"base_model": "m", "base_identifier": "m@1"}, sha256_file)
    record = json.loads((folder / TUNED_MANIFEST).read_text())
    del record["base_identifier"]
    (folder / TUNED_MANIFEST).write_text(json.dumps(record))
    with pytest.raises(ModelError, match="base_identifier"):
        resolve_model(folder)
    (folder / TUNED_MANIFEST).write_text("{not json")
    with pytest.raises(ModelError, match="cannot be read"):
        resolve_model(folder)


# -- the real thing: MiniLM tuned on a small project, installed, used, refused when changed, and turned off ----------
TOPICS = {
    "W": ["I waited {n} weeks for an appointment", "The waiting list was {n} months long",
          "Nobody called me back for {n} days", "The delay before the first visit was {n} weeks"],
    "R": ["The nurse number {n} was kind and listened", "Staff treated me with respect on visit {n}",
          "The doctor was polite and patient {n} times over", "I felt respected by the team of {n}"],
    "P": ["Parking cost {n} pounds a day", "I drove round the car park {n} times",
          "There were {n} parking spaces for hundreds of patients", "The parking meter took {n} coins"],
}


CODEBOOK = ("code,parent,name,description\nACC,,Access,\nW,ACC,Waiting,waiting lists and delays\n"
            "R,,Respect,staff kind and respectful\nP,,Parking,parking and its cost\n")


def coded_project(folder, documents: int, code_of):
    """A project in ``folder/proj``: ``documents`` interviews of 8 turns, turn k of interview d coded
    ``code_of(d, k)`` by "ana", with the codebook above (not indexed). Returns the open project and how many
    codings were imported."""
    from index.project import Project

    rows = ["document,text,code"]
    for d in range(documents):
        turns = []
        for k in range(8):
            code = code_of(d, k)
            text = TOPICS[code][k % 4].format(n=d * 8 + k + 2)
            turns.append(f"P{d}: {text}.")
            rows.append(f"I{d},{text},{code}")
        (folder / f"I{d}.txt").write_text("\n\n".join(turns) + "\n", encoding="utf-8")
    (folder / "codebook.csv").write_text(CODEBOOK)
    (folder / "codings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    p = Project.init(folder / "proj")
    p.import_documents(sorted(folder.glob("I*.txt")))
    p.import_codebook(folder / "codebook.csv")
    return p, p.import_codings(folder / "codings.csv", coder="ana").codings


@pytest.fixture(scope="module")
def tuned_project(tmp_path_factory):
    """Six interviews, 48 turns, each coded with one of three codes; the index built with the real MiniLM."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CODESEED_ENCODER_BACKEND", "torch-fp32")  # no calibration: this test is about tuning
    folder = tmp_path_factory.mktemp("tune")
    p, codings = coded_project(folder, 6, lambda d, k: "WRP"[(d + k) % 3])
    with p:
        assert codings == 48
        p.build_index()
    yield folder / "proj"
    mp.undo()


def test_tune_refuses_a_project_with_few_coded_segments(tuned_project, capsys):
    from codeseed_cli import main

    assert main(["tune", str(tuned_project)]) == 2
    err = capsys.readouterr().err
    assert "at least 100 human-coded segments; the project has 48" in err and "Traceback" not in err
    assert main(["tune", str(tuned_project), "--epochs", "0"]) == 2
    assert "epochs" in capsys.readouterr().err


def test_tuned_encoder_is_installed_used_refused_when_changed_and_turned_off(tuned_project, capsys):
    from codeseed_cli import main
    from eval.project_tune import tune_project
    from index.errors import ProjectError
    from index.project import Project

    with Project.open(tuned_project) as p:
        base_id = p.encoder.identifier
        segment = p.segments()[1].text
        base_vector = p.embed([segment])[0][0]
        report = tune_project(p, TuneSettings(epochs=1, batch=8), check=False, min_segments=20)
        assert report.installed and report.check is None and report.segments == 48
        manifest = read_manifest(report.folder)
        assert manifest["trained_on"]["segments"] == 48 and manifest["trained_on"]["single_label"]
        # 6 steps: too few to be worth measuring the precision; fp32, and said so
        assert manifest["trained_on"]["training"] == report.training == {"precision": "fp32"}
        assert manifest["base_identifier"] == base_id.rsplit("+", 1)[0]
        tuned_id = p.encoder.identifier
        assert tuned_id.startswith("tuned:") and tuned_id.endswith("+torch-fp32")
        assert p.status()["index"]["model"] == tuned_id and report.index.encoded >= 48
        assert p.status()["encoder"]["tuned"] == f"encoders/{report.folder.name}"
        tuned_vector = p.embed([segment])[0][0]
        assert 0.5 < float(base_vector @ tuned_vector) < 0.9999  # moved by tuning, still the same text
        # The tuned copy runs on the exported backends too (its own export, keyed by its identifier).
        graph = Encoder(p.encoder_source(), backend="openvino-int8")
        assert graph.identifier == tuned_id.replace("+torch-fp32", "+openvino-int8")
        assert float(graph.encode([segment])[0] @ tuned_vector) > 0.99
        with pytest.raises(ProjectError, match="already installed"):
            tune_project(p, TuneSettings(epochs=1), check=False, min_segments=20)
    with Project.open(tuned_project) as p:  # reopened: the setting and the index hold
        assert p.encoder.identifier == tuned_id and p.load_index().model == tuned_id
        from suggest.project_suggester import ProjectSuggester
        from suggest.saved_model import load_suggester, save_project_suggester

        saved = load_suggester(save_project_suggester(ProjectSuggester(p).fit(), tuned_project.parent / "model"))
        assert saved.manifest["encoder"]["bundled"]  # `codeseed batch` elsewhere gets the tuned copy with it
        assert saved.load_encoder().identifier == tuned_id

    assert main(["status", str(tuned_project)]) == 0
    assert f"tuned on this project's codings (encoders/{report.folder.name}" in capsys.readouterr().out
    assert main(["tune", str(tuned_project), "--off"]) == 0
    out = capsys.readouterr().out
    assert "Returned from the tuned encoder" in out and "0 newly encoded" in out  # the base vectors were cached
    with Project.open(tuned_project) as p:
        assert p.encoder.identifier == base_id and p.load_index().model == base_id
        p.set_tuned_encoder(report.folder)
    weights = report.folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")  # one byte changed
    assert main(["index", str(tuned_project)]) == 2
    err = capsys.readouterr().err
    assert "changed after tuning" in err and "--off" in err and "Traceback" not in err
    assert main(["tune", str(tuned_project), "--off"]) == 0
    capsys.readouterr()


def test_the_held_out_check_installs_nothing_unless_it_keeps(tuned_project, monkeypatch):
    import eval.project_tune as project_tune
    from index.project import Project

    with Project.open(tuned_project) as p:
        before = sorted((tuned_project / "encoders").iterdir()) if (tuned_project / "encoders").exists() else []
        report = project_tune.tune_project(p, TuneSettings(epochs=1, batch=8), check=True, min_segments=20)
        c = report.check
        assert c.trained_on + c.held_out == 48 and c.held_out >= 8
        assert report.installed is c.keep
        after = sorted((tuned_project / "encoders").iterdir()) if (tuned_project / "encoders").exists() else []
        if c.keep:
            assert p.encoder.identifier.startswith("tuned:") and len(after) >= len(before)
            project_tune.untune_project(p)
        else:
            assert p.settings["tuned_encoder"] is None and after == before


def test_tuning_measures_its_precision_once_and_records_it(tuned_project, monkeypatch):
    """With the check, the precision is measured while tuning for the check, and the final tuning runs at the
    same one without measuring again; the manifest and the command's line say which, with the timings."""
    import eval.project_tune as project_tune
    import eval.tune_check as tune_check
    from cli.tuning import _training_line
    from index import tuning
    from index.project import Project

    calls: list[dict] = []
    real = tuning.measure_precision
    monkeypatch.setattr(tuning, "PROBE_MIN_STEPS", 1)
    monkeypatch.setattr(tuning, "measure_precision", lambda *a: calls.append(real(*a)) or calls[-1])
    monkeypatch.setattr(tune_check, "decide", lambda gain, interval, macro: (True, "kept for this test"))
    with Project.open(tuned_project) as p:
        report = project_tune.tune_project(p, TuneSettings(epochs=1, batch=8), check=True, min_segments=20)
        assert report.installed
        assert len(calls) == 1  # the check's tuning measured; the final one reused its choice
        training = read_manifest(report.folder)["trained_on"]["training"]
        assert training == report.training and training["step_seconds"] == calls[0]
        chosen = training["precision"]
        assert chosen == ("bf16" if calls[0]["bf16"] * tuning.BF16_MARGIN <= calls[0]["fp32"] else "fp32")
        other = "fp32" if chosen == "bf16" else "bf16"
        assert _training_line(training) == (f"Tuned in {chosen} (one step took {calls[0][chosen]:.2f} s; "
                                            f"{calls[0][other]:.2f} s in {other}).")
        project_tune.untune_project(p)
    assert _training_line({"precision": "fp32"}) == "Tuned in fp32."


def test_tuned_method_in_eval_tunes_inside_each_training_fold_only(monkeypatch):
    """`codeseed eval/bench --tune`: per fold, the check and the tuning see that fold's training texts only."""
    from eval.runner import cross_validate
    from eval.splits import grouped_kfold
    from eval.tune_check import TunedSuggesterMethod

    data = _data()
    data.prototype_texts = ["A", "B", "C"]
    topic = {t: int(t.rsplit(" ", 1)[1]) for t in data.texts}
    calls: list[set[str]] = []

    def oracle(self, texts, Y):
        calls.append(set(texts))

        return oracle_embedding(topic)

    monkeypatch.setattr(TunedSuggesterMethod, "_tune", oracle)
    folds = grouped_kfold(data.groups, 3)
    method = TunedSuggesterMethod("unused")
    runs, tested = cross_validate(data, folds, [method])
    assert len(calls) == 2 * len(folds)  # the check's tuning and the training fold's, per fold
    for k, (train, test) in enumerate(folds):
        held = {data.texts[i] for i in test}
        assert not (calls[2 * k] | calls[2 * k + 1]) & held
        assert calls[2 * k + 1] == {data.texts[i] for i in train}
    assert len(method.notes) == len(folds) and all("tuned (" in n for n in method.notes)
    top = np.argmax(runs["suggester_tuned"].scores[tested], axis=1)
    assert np.mean(data.Y[tested, top]) > 0.9  # the oracle's vectors were used for the test fold


def test_class_weights_reach_the_loss():
    """Weighted and unweighted tuning of the real model on an imbalanced toy set train to different encoders (the
    weights change the gradients), far beyond what two runs of the same settings differ by."""
    from index.tuning import embedder, fine_tune

    base = Encoder().resolved.path
    texts = [f"the nurse on ward {i} was kind and patient" for i in range(12)] + ["parking cost far too much"] * 2
    Y = np.array([[1, 0]] * 12 + [[0, 1]] * 2)
    probe = ["the car park was expensive", "the staff were lovely"]

    def vectors(balanced: bool) -> np.ndarray:
        model = fine_tune(base, texts, Y, TuneSettings(epochs=1, batch=7, balanced=balanced), progress=False)
        return embedder(model)(probe)

    weighted, again, unweighted = vectors(True), vectors(True), vectors(False)
    noise, effect = np.abs(weighted - again).max(), np.abs(weighted - unweighted).max()
    assert effect > 1e-4 and effect > 10 * noise


def test_tuning_a_project_coded_with_one_code_is_refused_clearly(tmp_path, monkeypatch):
    """Nothing to tell apart: a clear error naming the code (not a traceback), and the project unchanged."""
    from eval.project_tune import tune_project
    from index.errors import ProjectError
    from index.project import Project

    monkeypatch.setenv("CODESEED_ENCODER_BACKEND", "torch-fp32")
    p, codings = coded_project(tmp_path, 3, lambda d, k: "W")
    with p:
        assert codings == 24
        with pytest.raises(ProjectError, match="at least two codes; every coded segment has W") as raised:
            tune_project(p, TuneSettings(epochs=1), check=False, min_segments=20)
        assert "other codes" in raised.value.fix
    with Project.open(tmp_path / "proj") as p:
        assert not p.settings.get("tuned_encoder") and not list((tmp_path / "proj").glob("encoders/*"))
