"""Tests for eval.metrics.

scikit-learn, krippendorff and statsmodels are used here only as reference
implementations; eval.metrics itself depends on numpy alone.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval import metrics as M

SEEDS = [0, 1, 2, 3, 4, 5, 6, 7]


@pytest.fixture(autouse=True)
def _quiet_reference_warnings():
    # sklearn / statsmodels warn on undefined metrics; our code must not need to.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _random_indicators(seed, n=60, q=7):
    """Random sparse indicator matrices, with some deliberately degenerate columns."""
    rng = np.random.default_rng(seed)
    base = rng.random(q) * 0.5
    t = (rng.random((n, q)) < base).astype(int)
    flip = rng.random((n, q)) < 0.2
    p = np.where(flip, 1 - t, t)
    t[:, 0] = 0  # code never used ...
    p[:, 0] = 0  # ... and never predicted -> kappa nan, f1 zero_division
    p[:, 1] = 0  # a "coder" who never applies code 1
    t[:, 2] = 1  # code applied to every segment
    return t, p


# ---------------------------------------------------------------------------
# purity
# ---------------------------------------------------------------------------


def test_module_imports_only_numpy_at_runtime():
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys; import eval.metrics; "
        "bad = [m for m in ('sklearn', 'krippendorff', 'statsmodels', 'scipy', 'pandas') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------------
# Cohen's kappa
# ---------------------------------------------------------------------------


def test_cohen_kappa_artstein_poesio_binary():
    # Artstein & Poesio (2008), Table 1, as in sklearn's test_cohen_kappa:
    # contingency [[20, 20], [10, 50]].
    # p_o = 70/100 = .70; marginals y1 (.4, .6), y2 (.3, .7)
    # p_e = .4*.3 + .6*.7 = .54; kappa = (.70 - .54) / (1 - .54) = .16/.46 = .3478
    y1 = [0] * 40 + [1] * 60
    y2 = [0] * 20 + [1] * 20 + [0] * 10 + [1] * 50
    k = M.cohen_kappa(y1, y2)
    assert k == pytest.approx(0.16 / 0.46, abs=1e-12)
    assert round(k, 3) == 0.348
    assert k == M.cohen_kappa(y2, y1)
    assert M.cohen_kappa(y1, y1) == 1.0


def test_cohen_kappa_artstein_poesio_multiclass():
    # Artstein & Poesio (2008), Table 4 (sklearn test): kappa = .8013
    # confusion: diag 46, 32, 10; p_o = .88
    # marginals y1 (.46, .44, .10), y2 (.52, .32, .16): p_e = .2392 + .1408 + .016 = .396
    # kappa = (.88 - .396) / .604 = .80132...
    y1 = [0] * 46 + [1] * 44 + [2] * 10
    y2 = [0] * 52 + [1] * 32 + [2] * 16
    assert M.cohen_kappa(y1, y2) == pytest.approx(0.484 / 0.604, abs=1e-12)
    assert round(M.cohen_kappa(y1, y2), 4) == 0.8013
    # any hashable labels work, including mixed types
    lab = {0: "theme", 1: 7, 2: ("x", 1)}
    assert M.cohen_kappa([lab[v] for v in y1], [lab[v] for v in y2]) == pytest.approx(0.484 / 0.604)


def test_cohen_kappa_gwet_paradox_table():
    # Gwet (2008) 2x2 table [[118, 5], [2, 0]], n = 125 (see test_gwet_ac1_two_raters_hand)
    # rater A yes = 123, rater B yes = 120; p_o = 118/125 = .944
    # p_e = (123*120 + 2*5) / 125^2 = 14770/15625 = .94528
    # kappa = (.944 - .94528) / (1 - .94528) = -.00128/.05472 = -.02339
    a = ["y"] * 118 + ["y"] * 5 + ["n"] * 2
    b = ["y"] * 118 + ["n"] * 5 + ["y"] * 2
    assert M.cohen_kappa(a, b) == pytest.approx(-0.00128 / 0.05472, abs=1e-12)
    assert round(M.cohen_kappa(a, b), 2) == -0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_kappa_matches_sklearn_random(seed):
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    q = int(rng.integers(1, 5))
    a = rng.integers(0, q, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, q, n))
    ref = cohen_kappa_score(a, b)
    got = M.cohen_kappa(a, b)
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12)
    # string labels give the same answer
    names = np.array(["alpha", "beta", "gamma", "delta", "eps"])
    assert M.cohen_kappa(names[a], names[b]) == pytest.approx(got, abs=1e-12, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40)
)
def test_cohen_kappa_matches_sklearn_hypothesis(pairs):
    from sklearn.metrics import cohen_kappa_score

    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cohen_kappa_score(a, b)
    got = M.cohen_kappa(a, b)
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-9)


def test_cohen_kappa_degenerate_cases():
    # both coders constant and identical: p_e = 1 -> nan (as sklearn)
    assert math.isnan(M.cohen_kappa([1, 1, 1], [1, 1, 1]))
    assert math.isnan(M.cohen_kappa([0, 0], [0, 0]))
    # both constant but different labels: kappa 0 (as sklearn)
    assert M.cohen_kappa([1, 1, 1], [0, 0, 0]) == 0.0
    # one coder constant, the other varies: p_o == p_e -> 0
    assert M.cohen_kappa([1, 0, 1, 0], [0, 0, 0, 0]) == 0.0


def test_undefined_values_are_silent_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(M.cohen_kappa([1, 1], [1, 1]))
        assert math.isnan(M.mean_kappa(np.zeros((2, 2)), np.zeros((2, 2))))
        assert math.isnan(M.fleiss_kappa([[1, 1, 1]]))
        assert math.isnan(M.krippendorff_alpha_nominal([[1, 1]]))
        assert math.isnan(M.gwet_ac1([[1, 1]]))
        assert math.isnan(M.coverage_and_accuracy([0.1], 0.5, [["a"]], [{"a"}])[1])


def test_cohen_kappa_errors():
    with pytest.raises(ValueError, match="empty"):
        M.cohen_kappa([], [])
    with pytest.raises(ValueError, match="same length"):
        M.cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="missing"):
        M.cohen_kappa([1, None], [1, 0])
    with pytest.raises(ValueError, match="missing"):
        M.cohen_kappa([1.0, 0.0], [1.0, float("nan")])


# ---------------------------------------------------------------------------
# per-code presence / absence, micro / macro
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_per_code_scores_match_sklearn(seed):
    from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

    t, p = _random_indicators(seed)
    codes = [f"c{j}" for j in range(t.shape[1])]
    rows = M.per_code_scores(t, p, codes)
    P, R, F, S = precision_recall_fscore_support(t, p, average=None, zero_division=0)
    assert [r["code"] for r in rows] == codes
    for j, r in enumerate(rows):
        assert r["precision"] == pytest.approx(P[j], abs=1e-12)
        assert r["recall"] == pytest.approx(R[j], abs=1e-12)
        assert r["f1"] == pytest.approx(F[j], abs=1e-12)
        assert r["support"] == S[j] == t[:, j].sum()
        assert r["predicted"] == p[:, j].sum()
        assert isinstance(r["support"], int) and isinstance(r["predicted"], int)
        ref_k = cohen_kappa_score(t[:, j], p[:, j])
        if np.isnan(ref_k):
            assert np.isnan(r["kappa"])
        else:
            assert r["kappa"] == pytest.approx(ref_k, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zd", [0.0, 1.0, np.nan])
def test_micro_macro_f1_match_sklearn(seed, zd):
    from sklearn.metrics import f1_score

    t, p = _random_indicators(seed)
    assert M.micro_f1(t, p, zero_division=zd) == pytest.approx(
        f1_score(t, p, average="micro", zero_division=zd), abs=1e-12
    )
    assert M.macro_f1(t, p, zero_division=zd) == pytest.approx(
        f1_score(t, p, average="macro", zero_division=zd), abs=1e-12
    )


def test_edge_case_codes():
    # columns: never used/never predicted, used everywhere & predicted everywhere,
    # coder who applied nothing, normal
    t = np.array([[0, 1, 1, 1], [0, 1, 0, 0], [0, 1, 1, 1], [0, 1, 0, 1]])
    p = np.array([[0, 1, 0, 1], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 1]])
    rows = M.per_code_scores(t, p, ["never", "always", "coder_silent", "normal"])
    never, always, silent, normal = rows
    assert never["support"] == 0 and never["predicted"] == 0
    assert (never["precision"], never["recall"], never["f1"]) == (0.0, 0.0, 0.0)
    assert math.isnan(never["kappa"])
    assert (always["precision"], always["recall"], always["f1"]) == (1.0, 1.0, 1.0)
    assert math.isnan(always["kappa"])  # both columns constant and equal
    assert (silent["precision"], silent["recall"], silent["f1"]) == (0.0, 0.0, 0.0)
    assert silent["kappa"] == 0.0 and silent["support"] == 2 and silent["predicted"] == 0
    # normal: tp=2 fp=0 fn=1 tn=1; p_o = 3/4; p_e = (3*2 + 1*2)/16 = 1/2; kappa = .25/.5 = .5
    assert normal["kappa"] == pytest.approx(0.5)
    assert normal["precision"] == 1.0 and normal["recall"] == pytest.approx(2 / 3)
    # mean_kappa skips the two nan codes: (0 + .5) / 2
    assert M.mean_kappa(t, p) == pytest.approx(0.25)
    # macro includes the never-used code as 0 (sklearn zero_division=0): (0 + 1 + 0 + .8) / 4
    assert M.macro_f1(t, p) == pytest.approx(1.8 / 4)
    # ... and skips it with zero_division=nan: (1 + 0 + .8) / 3
    assert M.macro_f1(t, p, zero_division=np.nan) == pytest.approx(1.8 / 3)
    # micro: TP = 4+2 = 6, FP = 0, FN = 2 + 1 = 3 -> 12 / 15
    assert M.micro_f1(t, p) == pytest.approx(12 / 15)


def test_all_nan_and_nothing_coded():
    t = np.zeros((3, 2), dtype=int)
    assert math.isnan(M.mean_kappa(t, t))
    assert M.micro_f1(t, t) == 0.0
    assert M.micro_f1(t, t, zero_division=1) == 1.0
    assert math.isnan(M.macro_f1(t, t, zero_division=np.nan))
    # a coder who coded nothing against a truth that has codes
    t2 = np.array([[1, 0], [0, 1], [1, 1]])
    assert M.micro_f1(t2, t) == 0.0
    assert M.macro_f1(t2, t) == 0.0
    assert M.mean_kappa(t2, t) == 0.0


def test_indicator_validation():
    good = np.array([[0, 1]])
    for fn in (M.micro_f1, M.macro_f1, M.mean_kappa):
        with pytest.raises(ValueError, match="empty"):
            fn(np.zeros((0, 3)), np.zeros((0, 3)))
        with pytest.raises(ValueError, match="shapes differ"):
            fn(good, np.array([[0, 1, 1]]))
        with pytest.raises(ValueError, match="0/1"):
            fn(good, np.array([[0, 2]]))
        with pytest.raises(ValueError, match="2-D"):
            fn([0, 1], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        M.per_code_scores(np.zeros((0, 1)), np.zeros((0, 1)), ["a"])
    with pytest.raises(ValueError, match="codes"):
        M.per_code_scores(good, good, ["a"])
    # booleans accepted
    assert M.micro_f1(good.astype(bool), good.astype(bool)) == 1.0


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------


def test_krippendorff_published_example():
    # Krippendorff (2011) "Computing Krippendorff's alpha-reliability", nominal example:
    # 4 coders x 12 units with missing values, alpha_nominal = .743.
    # Given here coders x units (as printed) and transposed to our units x coders.
    n = None
    coders_by_units = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units_by_coders = [list(col) for col in zip(*coders_by_units)]
    assert round(M.krippendorff_alpha_nominal(units_by_coders), 3) == 0.743


def test_krippendorff_package_example_with_missing():
    import krippendorff

    # example from the krippendorff package's own tests (coders x units)
    nan = np.nan
    data = np.array(
        [
            [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
            [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
            [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
        ]
    )
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert M.krippendorff_alpha_nominal(data.T) == pytest.approx(ref, abs=1e-12)
    assert round(ref, 6) == 0.691358


@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_matches_package_random(seed):
    import krippendorff

    rng = np.random.default_rng(seed)
    n_units, n_coders = int(rng.integers(5, 50)), int(rng.integers(2, 6))
    truth = rng.integers(0, 4, n_units)
    data = np.where(rng.random((n_units, n_coders)) < 0.7, truth[:, None], rng.integers(0, 4, (n_units, n_coders))).astype(float)
    data[rng.random(data.shape) < 0.25] = np.nan
    ref = krippendorff.alpha(reliability_data=data.T, level_of_measurement="nominal")
    got = M.krippendorff_alpha_nominal(data)
    assert got == pytest.approx(ref, abs=1e-10)
    # same data as object labels with None for missing
    labels = np.array(["a", "b", "c", "d"], dtype=object)
    obj = [[None if np.isnan(v) else labels[int(v)] for v in row] for row in data]
    assert M.krippendorff_alpha_nominal(obj) == pytest.approx(got, abs=1e-12)


def test_krippendorff_edge_cases():
    data = [[1, 1, None], [2, 2, None], [1, 2, None], [3, 3, None]]
    with_silent = M.krippendorff_alpha_nominal(data)
    without = M.krippendorff_alpha_nominal([r[:2] for r in data])
    assert with_silent == pytest.approx(without)  # a coder who coded nothing changes nothing
    # a unit with a single rating is not pairable and is ignored
    assert M.krippendorff_alpha_nominal(data + [[5, None, None]]) == pytest.approx(without)
    # a single value everywhere: D_e = 0 -> nan
    assert math.isnan(M.krippendorff_alpha_nominal([[1, 1], [1, 1], [1, None]]))
    # perfect agreement
    assert M.krippendorff_alpha_nominal([[1, 1], [2, 2], [3, 3]]) == 1.0
    with pytest.raises(ValueError, match="empty"):
        M.krippendorff_alpha_nominal([])
    with pytest.raises(ValueError, match="two or more ratings"):
        M.krippendorff_alpha_nominal([[1, None], [None, 2]])
    with pytest.raises(ValueError, match="rectangular"):
        M.krippendorff_alpha_nominal([[1, 2], [1]])


# ---------------------------------------------------------------------------
# Gwet's AC1
# ---------------------------------------------------------------------------


def test_gwet_ac1_two_raters_hand():
    # Gwet (2008) paradox example: two raters, table [[118, 5], [2, 0]], n = 125.
    # p_a = 118/125 = .944
    # pi_yes = (123/125 + 120/125) / 2 = 243/250 = .972, pi_no = .028
    # p_e = [.972*.028 + .028*.972] / (q - 1 = 1) = .054432
    # AC1 = (.944 - .054432) / (1 - .054432) = .889568 / .945568 = .94078
    # (while Cohen's kappa on the same table is -.0234, see test above)
    a = ["y"] * 118 + ["y"] * 5 + ["n"] * 2
    b = ["y"] * 118 + ["n"] * 5 + ["y"] * 2
    ratings = list(zip(a, b))
    ac1 = M.gwet_ac1(ratings)
    assert ac1 == pytest.approx(0.889568 / 0.945568, abs=1e-12)
    assert round(ac1, 2) == 0.94


def test_gwet_ac1_three_raters_missing_hand():
    # 4 units x 3 raters, categories a/b, one missing rating.
    # per-unit agreement sum_k r_ik(r_ik-1) / (r_i(r_i-1)):
    #   (a,a,a): 6/6 = 1   (a,a,b): 2/6 = 1/3   (b,b,b): 1   (a,b,-): 0/2 = 0
    # p_a = (1 + 1/3 + 1 + 0) / 4 = 7/12
    # pi_a = (1 + 2/3 + 0 + 1/2) / 4 = 13/24, pi_b = 11/24
    # p_e = 2 * (13/24)(11/24) / (2 - 1) = 143/288
    # AC1 = (168/288 - 143/288) / (145/288) = 25/145 = 5/29
    ratings = [["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"], ["a", "b", None]]
    assert M.gwet_ac1(ratings) == pytest.approx(5 / 29, abs=1e-12)
    assert M.gwet_ac1(np.array([[0, 0, 0], [0, 0, 1], [1, 1, 1], [0, 1, np.nan]])) == pytest.approx(5 / 29)


@pytest.mark.parametrize("seed", SEEDS)
def test_gwet_ac1_two_rater_closed_form(seed):
    # Gwet's two-rater formula from the contingency table:
    # p_a = trace/n, pi_k = (row_k + col_k) / (2n), p_e = sum pi_k(1-pi_k) / (q-1)
    rng = np.random.default_rng(seed)
    n, q = 50, 3
    a = rng.integers(0, q, n)
    b = np.where(rng.random(n) < 0.5, a, rng.integers(0, q, n))
    conf = np.zeros((q, q))
    np.add.at(conf, (a, b), 1)
    pa = np.trace(conf) / n
    pi = (conf.sum(0) + conf.sum(1)) / (2 * n)
    pe = (pi * (1 - pi)).sum() / (q - 1)
    expected = (pa - pe) / (1 - pe)
    got = M.gwet_ac1(np.column_stack([a, b]), categories=range(q))
    assert got == pytest.approx(expected, abs=1e-12)


def test_gwet_ac1_edge_cases():
    # only one category observed: q = 1 -> undefined
    assert math.isnan(M.gwet_ac1([[1, 1], [1, 1]]))
    # with the category set given (binary presence), p_e = 0 and AC1 = p_a = 1
    assert M.gwet_ac1([[1, 1], [1, 1]], categories=[0, 1]) == 1.0
    # a rater who coded nothing (all 0 in presence coding) is still a rater
    assert M.gwet_ac1([[1, 0], [0, 0], [1, 0]], categories=[0, 1]) < 1.0
    with pytest.raises(ValueError, match="empty"):
        M.gwet_ac1([])
    with pytest.raises(ValueError, match="two raters"):
        M.gwet_ac1([[1], [0]])
    with pytest.raises(ValueError, match="two or more raters"):
        M.gwet_ac1([[1, None], [None, 0]])
    with pytest.raises(ValueError, match="categories"):
        M.gwet_ac1([[1, 2]], categories=[0, 1])


# ---------------------------------------------------------------------------
# Fleiss' kappa
# ---------------------------------------------------------------------------


def test_fleiss_wikipedia_example():
    # Fleiss (1971)-style worked example (Wikipedia "Fleiss' kappa"):
    # 10 subjects, 14 raters, 5 categories; P_bar = .378, P_e = .213, kappa = .210
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert round(M.fleiss_kappa(table, table=True), 3) == 0.210


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels(seed):
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    rng = np.random.default_rng(seed)
    n_units, n_raters = int(rng.integers(5, 60)), int(rng.integers(3, 7))
    truth = rng.integers(0, 4, n_units)
    raw = np.where(rng.random((n_units, n_raters)) < 0.6, truth[:, None], rng.integers(0, 4, (n_units, n_raters)))
    table, _ = aggregate_raters(raw)
    ref = fleiss_kappa(table, method="fleiss")
    assert M.fleiss_kappa(raw) == pytest.approx(ref, abs=1e-12)
    assert M.fleiss_kappa(table, table=True) == pytest.approx(ref, abs=1e-12)
    ours, cats = M.ratings_to_table(raw)
    # aggregate_raters orders columns by sorted category; ours by first appearance
    order = np.argsort(cats)
    np.testing.assert_array_equal(ours[:, order], table)


def test_fleiss_two_raters_is_scotts_pi():
    a = [0, 0, 1, 1, 2, 0, 1]
    b = [0, 1, 1, 1, 2, 2, 1]
    n = len(a)
    po = np.mean(np.equal(a, b))
    pooled = np.bincount(a + b) / (2 * n)
    pe = (pooled**2).sum()
    assert M.fleiss_kappa(np.column_stack([a, b])) == pytest.approx((po - pe) / (1 - pe))


def test_fleiss_edge_cases():
    assert math.isnan(M.fleiss_kappa([["x", "x", "x"], ["x", "x", "x"]]))
    with pytest.raises(ValueError, match="None/NaN"):
        M.fleiss_kappa([[1, 1, None], [1, 0, 1]])
    with pytest.raises(ValueError, match="same number"):
        M.fleiss_kappa([[3, 0], [1, 1]], table=True)
    with pytest.raises(ValueError, match="empty"):
        M.fleiss_kappa([])
    with pytest.raises(ValueError, match="non-empty"):
        M.fleiss_kappa(np.zeros((0, 2)), table=True)
    with pytest.raises(ValueError, match="two raters"):
        M.fleiss_kappa([[1], [0]])


# ---------------------------------------------------------------------------
# ranked suggestions
# ---------------------------------------------------------------------------

RANKED = [["a", "b", "c"], ["b", "a"], ["c"], [], ["x", "y", "z"]]
TRUTH = [{"a"}, {"a"}, {"d"}, {"a"}, {"z", "y"}]


def test_hit_at_k_hand():
    # hit@1: seg0 only                      -> 1/5
    # hit@2: seg0, seg1 (a at 2), seg4 (y at 2) -> 3/5
    assert M.hit_at_k(RANKED, TRUTH, 1) == pytest.approx(0.2)
    assert M.hit_at_k(RANKED, TRUTH, 2) == pytest.approx(0.6)
    assert M.hit_at_k(RANKED, TRUTH, 3) == pytest.approx(0.6)
    assert M.hit_at_k(RANKED, TRUTH, 100) == pytest.approx(0.6)
    np.testing.assert_array_equal(M.hits_at_k(RANKED, TRUTH, 2), [1, 1, 0, 0, 1])


def test_mrr_hand():
    # reciprocal ranks: 1, 1/2, 0, 0 (empty ranking), 1/2 (y at rank 2) -> mean 2/5
    np.testing.assert_allclose(M.reciprocal_ranks(RANKED, TRUTH), [1, 0.5, 0, 0, 0.5])
    assert M.mrr(RANKED, TRUTH) == pytest.approx(0.4)
    assert M.mrr(RANKED, TRUTH, k=1) == pytest.approx(0.2)
    # duplicates in a ranking: the first occurrence counts
    assert M.mrr([["b", "b", "a", "a"]], [{"a"}]) == pytest.approx(1 / 3)


def test_empty_truth_policy():
    ranked = RANKED + [["a"]]
    truth = TRUTH + [set()]
    assert M.hit_at_k(ranked, truth, 1) == pytest.approx(1 / 6)  # default: miss
    assert M.hit_at_k(ranked, truth, 1, empty_truth="skip") == pytest.approx(1 / 5)
    assert M.mrr(ranked, truth, empty_truth="skip") == pytest.approx(0.4)
    assert math.isnan(M.mrr([["a"]], [set()], empty_truth="skip"))
    with pytest.raises(ValueError):
        M.hit_at_k(ranked, truth, 1, empty_truth="drop")


def test_ranked_errors():
    with pytest.raises(ValueError, match="empty"):
        M.hit_at_k([], [], 1)
    with pytest.raises(ValueError, match="empty"):
        M.mrr([], [])
    with pytest.raises(ValueError, match="length"):
        M.mrr([["a"]], [])
    with pytest.raises(ValueError, match="positive"):
        M.hit_at_k(RANKED, TRUTH, 0)


def test_coverage_and_accuracy_hand():
    top = [0.9, 0.8, 0.3, np.nan, 0.6]  # seg3 has no suggestion
    # t = .5: covered seg0, seg1, seg4 -> 3/5; top-1 hits among them: seg0 only -> 1/3
    cov, acc = M.coverage_and_accuracy(top, 0.5, RANKED, TRUTH)
    assert (cov, acc) == (pytest.approx(0.6), pytest.approx(1 / 3))
    assert isinstance(cov, float) and isinstance(acc, float)
    # threshold inclusive: t = .8 covers seg0, seg1 -> (.4, .5)
    assert M.coverage_and_accuracy(top, 0.8, RANKED, TRUTH) == (pytest.approx(0.4), pytest.approx(0.5))
    cov, acc = M.coverage_and_accuracy(top, 0.95, RANKED, TRUTH)
    assert cov == 0.0 and math.isnan(acc)
    covs, accs = M.coverage_and_accuracy(top, [0.0, 0.5, 0.85, 0.95], RANKED, TRUTH)
    np.testing.assert_allclose(covs, [0.8, 0.6, 0.2, 0.0])
    np.testing.assert_allclose(accs, [0.25, 1 / 3, 1.0, np.nan])
    with pytest.raises(ValueError, match="segments"):
        M.coverage_and_accuracy([0.5], 0.5, RANKED, TRUTH)
    with pytest.raises(ValueError, match="empty"):
        M.coverage_and_accuracy([], 0.5, [], [])


# ---------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------


def test_ece_and_reliability_hand():
    scores = [0.05, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95, 1.0]
    correct = [0, 1, 0, 1, 1, 1, 0, 1]
    # bin 0 [0, .1):  n=1, conf .05, acc 0   -> |gap| .05
    # bin 1 [.1, .2): n=2, conf .15, acc .5  -> .35
    # bin 9 [.9, 1]:  n=5, conf (3.8 + 1)/5 = .96, acc 4/5 = .8 -> .16   (1.0 lands in the last bin)
    # ECE = (1*.05 + 2*.35 + 5*.16) / 8 = 1.55 / 8 = .19375
    assert M.expected_calibration_error(scores, correct) == pytest.approx(0.19375)
    bins = M.reliability_curve(scores, correct)
    assert len(bins) == 10
    assert [b.count for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 5]
    assert bins[1].mean_score == pytest.approx(0.15) and bins[1].accuracy == 0.5
    assert bins[9].mean_score == pytest.approx(0.96) and bins[9].accuracy == pytest.approx(0.8)
    assert math.isnan(bins[4].mean_score) and math.isnan(bins[4].accuracy)
    assert (bins[9].lower, bins[9].upper) == (pytest.approx(0.9), 1.0)
    # perfectly calibrated bin -> 0; single bin -> |mean(correct) - mean(score)|
    assert M.expected_calibration_error([0.25] * 4, [1, 0, 0, 0], n_bins=2) == pytest.approx(0.0)
    assert M.expected_calibration_error(scores, correct, n_bins=1) == pytest.approx(
        abs(np.mean(correct) - np.mean(scores))
    )


def test_calibration_errors():
    with pytest.raises(ValueError, match="empty"):
        M.expected_calibration_error([], [])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.expected_calibration_error([1.2], [1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.reliability_curve([np.nan], [1])
    with pytest.raises(ValueError, match="length"):
        M.expected_calibration_error([0.5, 0.5], [1])
    with pytest.raises(ValueError, match="n_bins"):
        M.expected_calibration_error([0.5], [1], n_bins=0)


# ---------------------------------------------------------------------------
# cluster bootstrap
# ---------------------------------------------------------------------------


def _docs(seed=0, n_docs=12):
    rng = np.random.default_rng(seed)
    return {f"doc{d}": [float(x) for x in rng.random(int(rng.integers(1, 15))) < 0.6] for d in range(n_docs)}


def _mean(items):
    return float(np.mean(items))


def test_bootstrap_deterministic_and_contains_point():
    docs = _docs()
    ci1 = M.bootstrap_ci(docs, _mean, n_resamples=500, seed=42)
    ci2 = M.bootstrap_ci(docs, _mean, n_resamples=500, seed=42)
    ci3 = M.bootstrap_ci(docs, _mean, n_resamples=500, seed=43)
    assert ci1 == ci2
    assert ci1 != ci3
    point = _mean([x for v in docs.values() for x in v])
    lo, hi = ci1
    assert lo <= point <= hi and lo < hi
    # wider interval for smaller alpha
    lo90, hi90 = M.bootstrap_ci(docs, _mean, n_resamples=500, alpha=0.1, seed=42)
    assert lo <= lo90 and hi90 <= hi


def test_bootstrap_resamples_whole_groups():
    sizes = {"a": 1, "b": 3, "c": 7, "d": 11}
    data = {g: [(g, i) for i in range(n)] for g, n in sizes.items()}
    seen_distinct = []

    def check(items):
        per_group: dict[str, list[int]] = {}
        for g, i in items:
            per_group.setdefault(g, []).append(i)
        for g, idx in per_group.items():
            n = sizes[g]
            # each draw of a group contributes the whole group, in order
            assert len(idx) % n == 0
            assert idx == list(range(n)) * (len(idx) // n)
        seen_distinct.append(len(per_group))
        return float(len(items))

    stats = M.bootstrap_statistics(data, check, n_resamples=200, seed=1)
    # sample sizes are sums of 4 group sizes, never arbitrary segment counts
    possible = {a + b + c + d for a in sizes.values() for b in sizes.values() for c in sizes.values() for d in sizes.values()}
    assert set(stats.tolist()) <= possible
    assert len(set(stats.tolist())) > 1
    # resampling with replacement: some replicates miss some groups
    assert min(seen_distinct) < len(sizes) and max(seen_distinct) <= len(sizes)


def test_bootstrap_edge_cases():
    # single group: every replicate is the full data -> degenerate interval
    assert M.bootstrap_ci({"only": [1.0, 0.0, 1.0]}, _mean, n_resamples=50) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
    )
    # nan replicates are dropped; all nan -> (nan, nan)
    lo, hi = M.bootstrap_ci({"a": [1.0], "b": [0.0]}, lambda xs: np.nan if sum(xs) == 0 else _mean(xs), n_resamples=200)
    assert 0.5 <= lo <= hi <= 1.0
    lo, hi = M.bootstrap_ci({"a": [1.0]}, lambda xs: float("nan"), n_resamples=10)
    assert math.isnan(lo) and math.isnan(hi)
    with pytest.raises(ValueError, match="empty"):
        M.bootstrap_ci({}, _mean)
    with pytest.raises(ValueError, match="alpha"):
        M.bootstrap_ci({"a": [1.0]}, _mean, alpha=1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        M.bootstrap_ci({"a": [1.0]}, _mean, n_resamples=0)


def test_bootstrap_with_micro_f1_statistic():
    # realistic use: per-segment (true_row, pred_row) items grouped by document
    t, p = _random_indicators(3, n=60, q=5)
    docs = {d: [(t[i], p[i]) for i in range(d * 6, d * 6 + 6)] for d in range(10)}

    def stat(items):
        tt = np.array([x[0] for x in items])
        pp = np.array([x[1] for x in items])
        return M.micro_f1(tt, pp)

    lo, hi = M.bootstrap_ci(docs, stat, n_resamples=300, seed=0)
    assert lo <= M.micro_f1(t, p) <= hi
