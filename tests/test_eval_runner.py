"""The evaluation suite: splits, baselines, the runner against eval.metrics, human–human agreement, decision
rates, reports, benchmark specs, and `codeseed eval` end to end on a small project with the fake encoder."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from eval import metrics
from eval.agreement import human_agreement, suggester_vs_coders
from eval.bench import run_bench
from eval.bench_data import load_bench
from eval.bench_spec import BenchSpecError, load_spec
from eval.decisions import acceptance_by, acceptance_over_time, decision_summary, standing
from eval.report import summary_table, to_json, write_report
from eval.methods import (
    CodedData,
    KnnMethod,
    MostFrequentMethod,
    SuggesterMethod,
    TfidfSvmMethod,
    ZeroShotMethod,
)
from eval.runner import cross_validate, evaluate
from eval.scoring import HEADLINE_KEYS, method_metrics
from eval.splits import (
    check_folds,
    examples_per_code,
    grouped_kfold,
    leave_one_group_out,
    leave_one_out,
    train_test_by_column,
)
from index.project import Project
from suggest.estimator import CodeSuggester
from tests.conftest import FakeEncoder

ROOT = Path(__file__).resolve().parents[1]


# -- synthetic coded data -----------------------------------------------------------------------------------
WORDS = {"wait": "the wait was long and the queue slow", "staff": "the nurses were kind and caring staff",
         "park": "the car park was full no parking space"}


def synthetic(n_groups: int = 8, per_group: int = 6, seed: int = 0) -> CodedData:
    """Segments whose words give away their code(s), in groups; about one in five carries two codes."""
    rng = np.random.default_rng(seed)
    codes = list(WORDS)
    texts, Y, groups = [], [], []
    for g in range(n_groups):
        for k in range(per_group):
            first = codes[(g + k) % 3]
            chosen = [first] + ([codes[(g + k + 1) % 3]] if rng.random() < 0.2 else [])
            words = " ".join(WORDS[c] for c in chosen).split()
            texts.append(" ".join(rng.permutation(words)[: 6 + k]) + f" visit {g}")
            Y.append([1 if c in chosen else 0 for c in codes])
            groups.append(f"doc{g}")
    encoder = FakeEncoder()
    return CodedData(name="synthetic", texts=texts, vectors=encoder.encode(texts), Y=np.array(Y), groups=groups,
                     codes=codes, names=[c.title() for c in codes],
                     prototypes=encoder.encode([WORDS[c] for c in codes]))


# -- splits -------------------------------------------------------------------------------------------------
def test_grouped_folds_never_share_a_group_and_test_every_segment_once():
    rng = np.random.default_rng(1)
    groups = [f"g{x}" for x in rng.integers(0, 23, size=300)]
    folds = grouped_kfold(groups, 5)
    assert len(folds) == 5
    for train, test in folds:
        assert not ({groups[i] for i in train} & {groups[i] for i in test})
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(300))
    assert sorted(np.concatenate([t for _, t in folds]).tolist()) == list(range(300))
    check_folds(folds, groups)
    for train, test in leave_one_group_out(groups):
        assert len({groups[i] for i in test}) == 1 and groups[test[0]] not in {groups[i] for i in train}
    assert [t.tolist() for _, t in leave_one_out(3)] == [[0], [1], [2]]
    with pytest.raises(ValueError, match="two groups"):
        grouped_kfold(["a"] * 5, 5)
    with pytest.raises(ValueError, match="both train and test"):
        check_folds(leave_one_out(3), ["a", "a", "b"])


def test_train_test_split_by_column_and_leak_check():
    [(train, test)] = train_test_by_column([1, 7, 7, 3], [7])  # values compare as strings
    assert train.tolist() == [0, 3] and test.tolist() == [1, 2]
    with pytest.raises(ValueError, match="both sides"):
        train_test_by_column(["a", "b"], ["b"], groups=["g", "g"])
    with pytest.raises(ValueError, match="no row"):
        train_test_by_column(["a", "b"], ["z"])


def test_examples_per_code_draws_n_of_each_code_where_available():
    Y = np.array([[1, 0, 0]] * 10 + [[0, 1, 0]] * 3 + [[1, 1, 0]] + [[0, 0, 0]] * 4)
    chosen = examples_per_code(Y, 2, seed=3)
    counts = Y[chosen].sum(axis=0)
    assert counts[0] >= 2 and counts[1] >= 2 and counts[2] == 0
    assert not (Y[chosen].sum(axis=1) == 0).any()  # uncoded rows are no example of anything
    assert examples_per_code(Y, 2, seed=3).tolist() == chosen.tolist()
    assert len(examples_per_code(Y, 50)) == 14 and examples_per_code(Y, None).tolist() == list(range(18))
    assert set(examples_per_code(Y, 1, candidates=[0, 1, 10, 11]).tolist()) <= {0, 1, 10, 11}


# -- baselines ----------------------------------------------------------------------------------------------
def hand_data(Y, texts=None, vectors=None) -> CodedData:
    n, c = np.asarray(Y).shape
    texts = texts or [f"text {i}" for i in range(n)]
    vectors = vectors if vectors is not None else FakeEncoder().encode(texts)
    return CodedData(name="hand", texts=texts, vectors=vectors, Y=Y, groups=[f"g{i}" for i in range(n)],
                     codes=[f"c{j}" for j in range(c)], names=[f"code {j}" for j in range(c)])


def test_most_frequent_predicts_the_training_majority_code_by_hand():
    # training rows 0-3: c1 three times, c0 once, c2 never; one code per segment on average
    data = hand_data([[0, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    out = MostFrequentMethod().predict(data, np.arange(4), np.array([4, 5]))
    assert out.predicted.tolist() == [[False, True, False]] * 2
    assert out.scores.tolist() == [[0.25, 0.75, 0.0]] * 2 and out.confident.all()
    # two codes per training segment on average: the two most frequent are predicted
    data = hand_data([[1, 1, 0], [1, 0, 1], [1, 1, 0], [0, 0, 0]])
    out = MostFrequentMethod().predict(data, np.arange(3), np.array([3]))
    assert out.predicted.tolist() == [[True, True, False]]


def test_svm_falls_back_to_top1_and_knn_and_zero_shot_behave():
    data = synthetic()
    train, test = grouped_kfold(data.groups, 4)[0]
    svm = TfidfSvmMethod().predict(data, train, test)
    assert svm.predicted.any(axis=1).all()  # never abstains ...
    assert (svm.confident == (svm.scores >= 0).any(axis=1)).all()  # ... but coverage counts only decisions >= 0
    knn = KnnMethod().predict(data, train, test)
    assert ((knn.scores >= 0) & (knn.scores <= 1)).all() and (knn.predicted == (knn.scores >= 0.5)).all()
    zero = ZeroShotMethod().predict(data, train, test)
    assert np.allclose(zero.scores.sum(axis=1), 1) and (zero.predicted.sum(axis=1) == 1).all()


# -- the runner's figures are eval.metrics' figures ------------------------------------------------------------
def test_runner_metrics_equal_eval_metrics_on_the_same_predictions():
    data = synthetic()
    folds = grouped_kfold(data.groups, 4)
    runs, tested = cross_validate(data, folds, [SuggesterMethod(), KnnMethod()])
    assert tested.tolist() == list(range(len(data.texts)))
    for run in runs.values():
        got = method_metrics(data, run, tested, n_boot=200, per_code_ci=True)
        T, P = data.Y, run.predicted.astype(int)
        ranked = [[data.codes[j] for j in np.argsort(-row, kind="stable")] for row in run.scores]
        truth = [{data.codes[j] for j in np.flatnonzero(r)} for r in T]
        assert got["micro_f1"] == metrics.micro_f1(T, P)
        assert got["macro_f1"] == metrics.macro_f1(T, P)
        assert got["mean_kappa"] == pytest.approx(metrics.mean_kappa(T, P))
        assert [r["f1"] for r in got["per_code"]] == [r["f1"] for r in metrics.per_code_scores(T, P, data.codes)]
        for k in (1, 3):
            assert got[f"hit@{k}"] == metrics.hit_at_k(ranked, truth, k)
        assert got["mrr"] == metrics.mrr(ranked, truth)
        hits = metrics.hits_at_k(ranked, truth, 1)
        assert got["ece"] == pytest.approx(metrics.expected_calibration_error(run.scores.max(axis=1), hits))
        assert (got["coverage"], got["hit@1_covered"]) == metrics.coverage_and_accuracy(
            run.confident.astype(float), 0.5, ranked, truth)
        by_group: dict = {}
        for i, g in enumerate(data.groups):
            by_group.setdefault(g, []).append(i)
        assert got["micro_f1_ci"] == list(metrics.bootstrap_ci(
            by_group, lambda s: metrics.micro_f1(T[s], P[s]), 200, seed=0))
        assert got["hit@1_ci"] == list(metrics.bootstrap_ci(by_group, lambda s: float(hits[s].mean()), 200, seed=0))
        assert all(r["f1_ci"][0] <= r["f1"] + 1e-9 for r in got["per_code"] if r["f1_ci"][0] is not None)
    assert runs["suggester"].predicted.sum() > 0


def test_suggester_predictions_are_its_scores_against_its_thresholds():
    data = synthetic()
    train, test = grouped_kfold(data.groups, 4)[1]
    method, fitted = SuggesterMethod(), []
    fit = method.fit
    method.fit = lambda *args: fitted.append(fit(*args)) or fitted[-1]
    out = method.predict(data, train, test)
    model = fitted[0]
    scores = model.scores(data.vectors[test], [data.texts[i] for i in test])
    assert np.array_equal(out.scores, scores)
    assert (out.predicted == (scores >= model.thresholds_)).all()
    assert model.get_params() == CodeSuggester().get_params()  # the product's defaults


# -- human–human ------------------------------------------------------------------------------------------
THREE = {  # 3 coders, 6 segments, single-label
    "ana": {1: {"X"}, 2: {"X"}, 3: {"Y"}, 4: {"Z"}, 5: {"Y"}, 6: {"X"}},
    "ben": {1: {"X"}, 2: {"Y"}, 3: {"Y"}, 4: {"Z"}, 5: {"Y"}, 6: {"Z"}},
    "cem": {1: {"X"}, 2: {"X"}, 3: {"Y"}, 4: {"Y"}, 5: {"Y"}, 6: {"X"}, 7: {"Z"}},  # 7: cem alone
}


def test_human_agreement_on_a_three_coder_table_equals_eval_metrics():
    result = human_agreement(THREE, ["X", "Y", "Z"])
    assert result["units"] == 6 and result["coders"] == ["ana", "ben", "cem"]
    labels = [[next(iter(THREE[c][u])) for c in ("ana", "ben", "cem")] for u in range(1, 7)]
    nominal = result["nominal"]
    assert nominal["fleiss_kappa"] == metrics.fleiss_kappa(labels)
    assert nominal["krippendorff_alpha"] == metrics.krippendorff_alpha_nominal(labels)
    assert nominal["gwet_ac1"] == metrics.gwet_ac1(labels)
    pairs = [metrics.cohen_kappa([r[a] for r in labels], [r[b] for r in labels])
             for a, b in itertools.combinations(range(3), 2)]
    assert nominal["mean_pairwise_kappa"] == pytest.approx(np.mean(pairs))
    assert nominal["observed_agreement"] == pytest.approx((4 / 6 + 5 / 6 + 3 / 6) / 3)  # counted by hand
    x = [[1 if "X" in THREE[c][u] else 0 for c in ("ana", "ben", "cem")] for u in range(1, 7)]
    per_x = result["per_code"]["X"]
    assert per_x["fleiss_kappa"] == metrics.fleiss_kappa(x)
    assert per_x["gwet_ac1"] == metrics.gwet_ac1(x, categories=[0, 1])
    assert per_x["krippendorff_alpha"] == metrics.krippendorff_alpha_nominal(x)
    assert result["overall"]["fleiss_kappa"] == pytest.approx(
        np.mean([result["per_code"][c]["fleiss_kappa"] for c in "XYZ"]))


def test_missing_ratings_leave_fleiss_out_and_suggester_sits_beside_each_coder():
    partial = {"ana": {1: {"X"}, 2: {"Y"}, 3: {"X"}}, "ben": {1: {"X"}, 2: {"Y"}, 3: {"Y"}},
               "cem": {1: {"X"}, 2: {"X"}}}
    result = human_agreement(partial, ["X", "Y"])
    assert result["nominal"]["fleiss_kappa"] is None  # cem did not rate segment 3
    assert result["nominal"]["krippendorff_alpha"] == metrics.krippendorff_alpha_nominal(
        [["X", "X", "X"], ["Y", "Y", "X"], ["X", "Y", None]])
    same_as_ana = {u: set(c) for u, c in THREE["ana"].items()}
    rows = suggester_vs_coders(THREE, same_as_ana, ["X", "Y", "Z"],
                               top1={u: next(iter(c)) for u, c in same_as_ana.items()})
    ana = next(r for r in rows if r["coder"] == "ana")
    assert ana["nominal_kappa_suggester"] == 1.0 and ana["kappa_suggester"] == 1.0
    ben = next(r for r in rows if r["coder"] == "ben")
    ben_labels = [next(iter(THREE["ben"][u])) for u in range(1, 7)]
    ana_labels = [next(iter(THREE["ana"][u])) for u in range(1, 7)]
    cem_labels = [next(iter(THREE["cem"][u])) for u in range(1, 7)]
    assert ben["nominal_kappa_suggester"] == metrics.cohen_kappa(ben_labels, ana_labels)
    assert ben["nominal_kappa_humans"] == pytest.approx(
        (metrics.cohen_kappa(ben_labels, ana_labels) + metrics.cohen_kappa(ben_labels, cem_labels)) / 2)
    # the others' majority, counted by hand (ties: any tied label counts)
    assert (ana["majority_of_others_human"], ana["majority_of_others_suggester"]) == (1.0, 1.0)
    assert (ben["majority_of_others_human"], ben["majority_of_others_suggester"]) == (4 / 6, 1.0)
    assert human_agreement({"ana": {1: {"X"}}, "ben": {2: {"X"}}}, ["X"]) is None


# -- decisions -----------------------------------------------------------------------------------------------
def decision(id, code, coder, what, day="2024-05-01", score=None, undoes=None):
    return {"id": id, "segment_id": id, "code_id": code, "coder": coder, "decision": what, "score": score,
            "undoes": undoes, "created_at": f"{day}T10:00:00.000+00:00"}


def test_acceptance_rates_by_hand_with_an_undone_decision():
    log = [decision(1, "A", "ana", "accept", score=0.9), decision(2, "A", "ana", "reject", score=0.3),
           decision(3, "B", "ben", "accept", score=0.8), decision(4, "A", "ana", "accept", score=0.7),
           decision(5, "A", "ana", "undo", undoes=4),  # takes back decision 4
           decision(6, "B", "ana", "reject", "2024-05-02", score=0.2),
           decision(7, "A", "ben", "accept", "2024-05-02", score=0.95)]
    assert [r["id"] for r in standing(log)] == [1, 2, 3, 6, 7]
    by_code = {r["key"]: r for r in acceptance_by(log, "code_id")}
    assert (by_code["A"]["accepted"], by_code["A"]["rejected"], by_code["A"]["rate"]) == (2, 1, 2 / 3)
    assert by_code["B"]["rate"] == 0.5
    by_coder = {r["key"]: r["rate"] for r in acceptance_by(log, "coder")}
    assert by_coder == {"ana": 1 / 3, "ben": 1.0}
    by_day = {r["key"]: (r["accepted"], r["rejected"]) for r in acceptance_over_time(log, by="day")}
    assert by_day == {"2024-05-01": (2, 1), "2024-05-02": (1, 1)}
    windows = acceptance_over_time(log, by="window", window=2)
    assert [(w["key"], w["rate"]) for w in windows] == [("1-2", 0.5), ("3-4", 0.5), ("5-5", 1.0)]
    summary = decision_summary(log)
    assert summary["overall"] == {"accepted": 3, "rejected": 2, "decisions": 5, "rate": 0.6}
    assert summary["undone"] == 1
    assert {r["key"]: r["rate"] for r in summary["by_score"] if r["decisions"]} == {
        "0.2-0.4": 0.0, "0.8-1.0": 1.0}


# -- reports -----------------------------------------------------------------------------------------------
def test_report_files_are_written_with_the_headline_keys(tmp_path):
    data = synthetic()
    data.codings = {"ana": {i: {data.codes[j] for j in np.flatnonzero(data.Y[i])} for i in range(12)},
                    "ben": {i: {data.codes[(i % 3)]} for i in range(12)}}
    data.unit_ids = list(range(len(data.texts)))
    result = evaluate(data, grouped_kfold(data.groups, 4), split="grouped 4-fold", n_boot=100,
                      learning_curve_sizes=(1, 2, None))
    paths = write_report(result, tmp_path / "out")
    for name in ("report.md", "results.json", "per_code.png", "confusion.png", "learning_curve.png",
                 "reliability.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    assert paths["json"] == tmp_path / "out" / "results.json"
    loaded = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(loaded["methods"]) == {"suggester", "most_frequent", "tfidf_svm", "zero_shot", "knn"}
    for method in loaded["methods"].values():
        assert set(HEADLINE_KEYS) <= set(method)
        assert "micro_f1_ci" in method and "hit@3_ci" in method
    assert [p["examples_per_code"] for p in loaded["learning_curve"]["points"]] == [1, 2, "all"]
    assert loaded["human"]["units"] == 12 and loaded["suggester_vs_coders"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Human–human agreement" in report and "as reliable as a second coder" in report
    table = summary_table(result)
    assert table.splitlines()[3].startswith("codeseed suggester")  # the suggester leads, baselines follow
    assert "NaN" not in to_json({"x": float("nan")})


# -- benchmark specs ------------------------------------------------------------------------------------------
CSV = ("id,doc,coder,text,skip,A,B\n"
       "1,d1,ana,the wait was long,0,1,\n2,d1,ana,the nurses were kind,0,,1\n"
       "3,d2,ana,a long wait again,0,1,\n4,d2,ana,kind caring nurses,0,,1\n"
       "5,d3,ana,waiting and waiting,0,1,\n6,d3,ana,nurses listened,1,,1\n"
       "7,d4,ana,long queue wait,0,1,\n8,d4,ana,the staff were kind,0,,1\n")


def write_spec(tmp_path: Path, body: str) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "coded.csv").write_text(CSV, encoding="utf-8")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(body, encoding="utf-8")
    return spec


GOOD = """name: tiny
data: coded.csv
text: text
codes: {after: skip}
drop: [{column: skip, equals: 1}]
group: doc
split: {mode: kfold, folds: 2}
"""


def test_bench_spec_errors_name_the_spec_file_and_field(tmp_path):
    spec = write_spec(tmp_path, GOOD.replace("text: text", "text: txt"))
    with pytest.raises(BenchSpecError) as error:
        load_bench(load_spec(spec), tmp_path / "data")
    message = str(error.value)
    assert "tiny.yaml" in message and "field 'text'" in message and "'txt' is not in coded.csv" in message
    assert "'text'" in message.split("How to fix")[1]  # the fix lists the real columns
    for broken, field in ((GOOD.replace("codes: {after: skip}", "codes: {after: nothing}"), "codes.after"),
                          (GOOD.replace("group: doc", "group: document"), "group"),
                          (GOOD.replace("column: skip", "column: skipped"), "drop[0].column"),
                          (GOOD.replace("codes: {after: skip}", "codes: {columns: [A, C]}"), "codes.columns")):
        with pytest.raises(BenchSpecError, match=re.escape(f"field '{field}'")):
            load_bench(load_spec(write_spec(tmp_path, broken)), tmp_path / "data")
    for broken, field in ((GOOD.replace("name: tiny\n", ""), "name"),
                          (GOOD.replace("mode: kfold", "mode: random"), "split.mode"),
                          (GOOD + "folds: 3\n", "folds"),
                          (GOOD.replace("codes: {after: skip}", "codes: {}"), "codes")):
        with pytest.raises(BenchSpecError, match=re.escape(f"field '{field}'")) as error:
            load_spec(write_spec(tmp_path, broken))
        assert "tiny.yaml" in str(error.value)
    with pytest.raises(BenchSpecError, match="codes.after"):
        load_bench(load_spec(write_spec(tmp_path, GOOD.replace("after: skip", "after: id"))), tmp_path / "data")


class CountingEncoder(FakeEncoder):
    encoded = 0

    def encode(self, texts, *, progress=False):
        texts = list(texts)
        self.encoded += len(texts)
        return super().encode(texts, progress=progress)


def test_bench_reads_one_hot_codes_drops_rows_and_caches_vectors(tmp_path):
    spec = write_spec(tmp_path, GOOD)
    bench = load_bench(load_spec(spec), tmp_path / "data")
    assert bench.codes == ["A", "B"] and len(bench.texts) == 7  # row 6 dropped (skip = 1)
    assert bench.Y.tolist()[:2] == [[1, 0], [0, 1]] and bench.groups[:3] == ["d1", "d1", "d2"]
    assert any("dropped 1 rows" in n for n in bench.notes)
    encoder = CountingEncoder()
    result = run_bench(spec, tmp_path / "data", out=tmp_path / "out", encoder=encoder,
                       cache_path=tmp_path / "cache.db", n_boot=50, learning_curve=False)
    assert encoder.encoded == 9 and result["timing"]["segments_encoded"] == 7  # 7 texts + 2 prototypes
    assert (tmp_path / "out" / "report.md").exists()
    run_bench(spec, tmp_path / "data", encoder=encoder, cache_path=tmp_path / "cache.db", n_boot=50,
              learning_curve=False)
    assert encoder.encoded == 9  # second run: everything from the cache


def test_bench_majority_truth_and_human_agreement_for_several_coders(tmp_path):
    rows = ["unit,doc,coder,text,label"]
    for u, (labels, doc) in enumerate([("XXY", "t1"), ("YYY", "t1"), ("XYZ", "t1"), ("ZZX", "t2")]):
        for coder, label in zip(("a", "b", "c"), labels):
            rows.append(f"{u},{doc},{coder},utterance {u} words,{label}")
    for u in range(4, 10):
        rows.append(f"{u},t3,a,single {u} words,{'XYZ'[u % 3]}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "multi.csv").write_text("\n".join(rows) + "\n")
    spec = tmp_path / "multi.yaml"
    spec.write_text("name: multi\ndata: multi.csv\ntext: text\ncodes: {column: label}\nunit: [unit]\n"
                    "coder: coder\ngroup: doc\nsplit: {mode: train_test, column: doc, test: [t1, t2]}\n")
    bench = load_bench(load_spec(spec), tmp_path / "data")
    truth = [{bench.codes[j] for j in np.flatnonzero(r)} for r in bench.Y]
    assert truth[:4] == [{"X"}, {"Y"}, {"X", "Y", "Z"}, {"Z"}]  # majority; a three-way tie keeps all three
    assert set(bench.codings) == {"a", "b", "c"} and bench.codings["b"][("0",)] == {"X"}
    result = run_bench(spec, tmp_path / "data", encoder=FakeEncoder(), cache_path=tmp_path / "c.db", n_boot=20,
                       learning_curve=False)
    assert result["dataset"]["tested_segments"] == 4 and result["human"]["units"] == 4
    assert result["human"]["nominal"]["fleiss_kappa"] == metrics.fleiss_kappa(
        [list("XXY"), list("YYY"), list("XYZ"), list("ZZX")])
    assert len(result["suggester_vs_coders"]) == 3


def test_shipped_specs_parse():
    for path in sorted((ROOT / "benchmarks").glob("*.yaml")):
        spec = load_spec(path)
        assert spec.name and spec.data and not Path(spec.data).is_absolute()


# -- `codeseed eval` end to end ------------------------------------------------------------------------------
TURNS = ["The wait for my appointment was long and slow.", "The nurses were kind and caring to me.",
         "There was no parking space at the car park.", "I waited weeks, the queue was slow.",
         "Staff listened and were kind.", "Parking was full again, no space for the car."]


@pytest.fixture
def coded_project(tmp_path, fake_encoder):
    docs = []
    for d in range(6):
        lines = [f"P{d}: {TURNS[(d + k) % 6]} Visit {d}{k}." for k in range(6)]
        (tmp_path / f"P{d}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        docs.append(tmp_path / f"P{d}.txt")
    (tmp_path / "codebook.csv").write_text("code,parent,name,description\nwait,,Waiting,Delays and queues\n"
                                           "staff,,Staff manner,Kind or unkind staff\n"
                                           "park,,Parking,Car parking and space\n")
    project = Project.init(tmp_path / "proj")
    project.use_encoder(fake_encoder)
    project.import_documents(docs)
    project.import_codebook(tmp_path / "codebook.csv")
    code_of = {0: "wait", 3: "wait", 1: "staff", 4: "staff", 2: "park", 5: "park"}
    rows = ["segment_id,code,coder"]
    for s in project.segments():
        turn = next(i for i, t in enumerate(TURNS) if t in s.text)
        rows.append(f"{s.id},{code_of[turn]},ana")
        if s.document in ("P0", "P1", "P2"):  # ben double-codes three documents, disagreeing now and then
            rows.append(f"{s.id},{code_of[turn] if s.position != 2 else 'wait'},ben")
    (tmp_path / "codings.csv").write_text("\n".join(rows) + "\n")
    project.import_codings(tmp_path / "codings.csv")
    first = project.segments()[0].id
    with project.store.transaction():
        a = project.store.add_decision(segment_id=first, code_id="wait", coder="ana", decision="accept",
                                       score=0.9, suggester="test")
        project.store.add_decision(segment_id=first, code_id="park", coder="ana", decision="reject", score=0.2,
                                   suggester="test")
        project.store.add_decision(segment_id=first, code_id="wait", coder="ana", decision="undo", score=None,
                                   suggester="test", undoes=a)
        project.store.add_codings([(first + 1, "park", "carl", "accepted suggestion")])  # not truth
    yield project
    project.close()


def test_codeseed_eval_end_to_end_on_a_small_project(coded_project, tmp_path, capsys, monkeypatch, fake_encoder):
    import cli.registry
    from codeseed_cli import main

    def with_fake(folder):
        project = Project.open(folder)
        project.use_encoder(fake_encoder)
        return project

    monkeypatch.setattr(cli.registry, "open_project", with_fake)
    out = tmp_path / "report"
    folder = str(coded_project.folder)
    assert main(["eval", folder, "--folds", "3", "--out", str(out), "--bootstrap", "50"]) == 0
    printed = capsys.readouterr().out
    assert "codeseed suggester" in printed and "most frequent code(s)" in printed and "coder ben" in printed
    result = json.loads((out / "results.json").read_text())
    assert result["dataset"]["segments"] == 36 and result["dataset"]["codes"] == 3
    assert result["dataset"]["groups"] == 6 and result["dataset"]["folds"] == 3
    assert result["human"]["coders"] == ["ana", "ben"] and result["human"]["units"] == 18
    assert result["decisions"]["overall"] == {"accepted": 0, "rejected": 1, "decisions": 1, "rate": 0.0}
    assert result["decisions"]["undone"] == 1
    assert result["methods"]["suggester"]["hit@1"] > 0.8  # the words give the codes away
    assert {"report.md", "results.json", "per_code.png", "learning_curve.png"} <= {p.name for p in out.iterdir()}
    assert main(["eval", folder, "--group-by", "participant", "--folds", "1", "--out", str(out)]) == 2
    assert main(["eval", str(tmp_path / "nothing-here")]) == 2
    assert "codeseed eval: error" in capsys.readouterr().err


def test_eval_layer_is_not_imported_by_suggest_or_index():
    for folder in ("suggest", "index"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from eval\b|import eval\b|from \.\.eval\b)", text, re.M), path


def test_readme_documents_eval_and_bench():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`codeseed eval PROJECT" in readme and "`codeseed bench SPEC DATA_DIR" in readme
    assert "docs/benchmarks.md" in readme
