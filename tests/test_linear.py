"""The linear channel's solver against scikit-learn's LinearSVC, and calibration that stays out-of-fold."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import suggest.estimator as estimator
import suggest.out_of_fold as out_of_fold
from suggest.estimator import CodeSuggester, Example
from suggest.linear import LinearChannel
from suggest.out_of_fold import grouped_folds
from suggest.squared_hinge import fit_squared_hinge


def problem(n=400, p=150, q=12, seed=0):
    """TF-IDF-like sparse rows, unit embedding rows, four codes from common to rare, partly learnable."""
    rng = np.random.default_rng(seed)
    sparse = sp.random(n, p, density=0.04, random_state=seed, format="csr")
    dense = rng.normal(size=(n, q))
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    Y = (rng.random((n, 4)) < [0.4, 0.2, 0.08, 0.02]).astype(np.int8)
    Y[:, 0] |= dense[:, 0] > 0.2
    Y[:, 1] |= np.asarray(sparse[:, :10].sum(axis=1)).ravel() > 0.3
    return sparse, dense, Y


def liblinear(sparse, dense, y, C, **kw):
    from sklearn.svm import LinearSVC

    X = sp.hstack([sparse, sp.csr_matrix(dense)]).tocsr() if sparse is not None else dense
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearSVC(C=C, **kw).fit(X, y)
    return np.r_[model.coef_[0], model.intercept_]


@pytest.mark.parametrize("C", [0.5, 4.0])
def test_newton_solver_reaches_linearsvc_s_optimum_for_every_code(C):
    sparse, dense, Y = problem()
    W = fit_squared_hinge(sparse, dense, Y, C, tol=1e-10)
    X = sp.hstack([sparse, sp.csr_matrix(dense), np.ones((len(Y), 1))]).tocsr()
    for k in range(Y.shape[1]):
        reference = liblinear(sparse, dense, Y[:, k], C, tol=1e-12, max_iter=200_000)
        assert W[:, k] == pytest.approx(reference, abs=1e-5 * np.abs(reference).max())
        # the same decisions on every example
        assert np.array_equal(X @ W[:, k] > 0, X @ reference > 0)


def test_newton_solver_without_words_and_from_any_start():
    _, dense, Y = problem(seed=1)
    W = fit_squared_hinge(None, dense, Y, 0.5, tol=1e-10)
    assert W.shape == (dense.shape[1] + 1, Y.shape[1])
    assert W[:, 0] == pytest.approx(liblinear(None, dense, Y[:, 0], 0.5, tol=1e-12, max_iter=200_000), abs=1e-6)
    elsewhere = fit_squared_hinge(None, dense, Y, 0.5, tol=1e-10, start=np.full_like(W, 3.0))
    assert elsewhere == pytest.approx(W, abs=1e-6)


def test_channel_solvers_agree_and_codes_too_rare_stay_unfitted():
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(60)]
    labels = rng.integers(0, 3, size=300)
    texts = [" ".join(rng.choice(words, size=8)) + f" topic{lab} topic{lab}x" for lab in labels]
    vectors = rng.normal(size=(300, 16)) + np.eye(16)[labels] * 2
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    Y = np.stack([labels == 0, labels == 1, labels == 2, np.arange(300) < 2], axis=1).astype(np.int8)
    newton = LinearChannel().fit(texts, vectors, Y)
    old = LinearChannel(solver="liblinear").fit(texts, vectors, Y)
    assert newton.fitted_.tolist() == old.fitted_.tolist() == [True, True, True, False]
    a, b = newton.decision(texts, vectors), old.decision(texts, vectors)
    assert np.isnan(a[:, 3]).all() and np.isnan(b[:, 3]).all()
    assert a[:, :3] == pytest.approx(b[:, :3], abs=0.01)  # liblinear stops at its own tolerance
    with pytest.raises(ValueError, match="solver"):
        LinearChannel(solver="sgd").fit(texts, vectors, Y)


def test_refit_reuses_the_vocabulary_and_is_released_after_the_fit():
    texts = ["red apple pie", "green apple tart", "red cherry pie", "blue sky today", "grey sky rain",
             "blue sea today"] * 3
    Y = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]] * 3)
    vectors = np.zeros((18, 3))
    channel = LinearChannel(min_positives=1).fit(texts, vectors, Y)
    rows = np.arange(12)
    inner = channel.refit(rows, vectors[rows], Y[rows])
    assert inner.vectorizer_ is channel.vectorizer_ and inner.coef_.shape == channel.coef_.shape
    alone = LinearChannel(min_positives=1)
    alone.vectorizer_ = channel.vectorizer_
    alone._fit_features(channel.vectorizer_.transform(texts[:12]), vectors[rows], Y[rows])
    assert inner.coef_ == pytest.approx(alone.coef_)
    channel.release()
    with pytest.raises(RuntimeError, match="released"):
        channel.refit(rows, vectors[rows], Y[rows])


def coded_examples(n=240, seed=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    vectors = rng.normal(size=(n, 24)) + np.eye(24)[labels] * 1.5
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    words = [f"w{i}" for i in range(80)]
    texts = [" ".join(rng.choice(words, size=10)) + f" about{lab}" for lab in labels]
    return vectors, texts, labels


def out_of_fold_scores(monkeypatch, vectors, texts, labels, **params):
    """Fit with calibration and return the out-of-fold scores Platt scaling was fitted on (NaN: unscored)."""
    seen = []
    real = estimator.fit_calibration

    def spy(oof, Y, **kw):  # called once in a fit, on the out-of-fold scores (NaN: unscored)
        seen.append(np.array(oof[..., 0]))
        return real(oof, Y, **kw)

    monkeypatch.setattr(estimator, "fit_calibration", spy)
    examples = [Example(i, {f"c{lab}": None}, group=i // 4) for i, lab in enumerate(labels)]
    CodeSuggester(**params).fit(vectors, examples, codes=["c0", "c1", "c2"], texts=texts)
    assert len(seen) == 1 and seen[0].shape == (len(labels), 3)
    return seen[0]


@pytest.mark.parametrize("solver", ["newton", "liblinear"])
def test_a_calibration_fold_s_scores_never_see_that_fold_s_codes(monkeypatch, solver):
    vectors, texts, labels = coded_examples()
    before = out_of_fold_scores(monkeypatch, vectors, texts, labels, solver=solver)
    _, test = grouped_folds([i // 4 for i in range(len(labels))], 5)[0]
    relabelled = labels.copy()
    relabelled[test] = (labels[test] + 1) % 3  # every code of the first fold changed
    after = out_of_fold_scores(monkeypatch, vectors, texts, relabelled, solver=solver)
    others = np.setdiff1d(np.arange(len(labels)), test)
    assert np.array_equal(before[test], after[test])  # the fold's own scores: untouched by its codes
    assert not np.allclose(before[others], after[others])  # ... while the folds taught with them moved


def test_both_solvers_calibrate_alike():
    vectors, texts, labels = coded_examples(seed=4)
    examples = [Example(i, {f"c{lab}": None}, group=i // 4) for i, lab in enumerate(labels)]
    fitted = {s: CodeSuggester(solver=s).fit(vectors, examples, codes=["c0", "c1", "c2"], texts=texts)
              for s in ("newton", "liblinear")}
    assert fitted["newton"].calibrated_ and fitted["liblinear"].calibrated_
    a = fitted["newton"].scores(vectors[:50], texts[:50])
    b = fitted["liblinear"].scores(vectors[:50], texts[:50])
    assert np.array_equal(a.argmax(axis=1), b.argmax(axis=1))
    assert a == pytest.approx(b, abs=0.05)


def test_calibration_stops_scoring_folds_once_enough_examples_have_scores(monkeypatch):
    vectors, texts, labels = coded_examples()
    monkeypatch.setattr(out_of_fold, "CALIBRATION_ENOUGH", 100)  # 240 examples, folds of 48: three folds scored
    scores = out_of_fold_scores(monkeypatch, vectors, texts, labels)
    folds = grouped_folds([i // 4 for i in range(len(labels))], 5)
    scored = ~np.isnan(scores).any(axis=1)
    assert np.array_equal(scored, np.isin(np.arange(len(labels)), np.concatenate([t for _, t in folds[:3]])))
    examples = [Example(i, {f"c{lab}": None}, group=i // 4) for i, lab in enumerate(labels)]
    model = CodeSuggester().fit(vectors, examples, codes=["c0", "c1", "c2"], texts=texts)
    assert model.calibrated_ and np.isfinite(model.thresholds_).all() and 0 < model.global_threshold_ < 1
    old = out_of_fold_scores(monkeypatch, vectors, texts, labels, solver="liblinear")
    assert not np.isnan(old).any()  # the fit before scores every fold


def test_word_margins_equal_the_sparse_product_across_blocks_and_empty_rows():
    import scipy.sparse as sp

    from suggest.linear import word_margins

    rng = np.random.default_rng(5)
    X = sp.random(11, 40, density=0.15, format="lil", random_state=2)
    X[4] = 0  # a text with no known word
    X = X.tocsr()
    X.eliminate_zeros()
    weights = rng.normal(size=(3, 60))[:, :40]  # a column slice, as decision() passes it
    for block in (1, 3, 100):
        np.testing.assert_allclose(word_margins(X, weights, block=block), X @ weights.T, atol=1e-12)
    assert not word_margins(X, weights)[4].any()


def objective_along(w, s, z, u, y, C, t):
    """f(w + t s) for one code, from the margins z = X w and u = X s."""
    margin = z + t * u
    return 0.5 * np.dot(w + t * s, w + t * s) + C * np.sum(np.maximum(0.0, 1 - y * margin) ** 2)


def test_exact_step_is_the_minimum_along_each_direction():
    """The sorted-crossings step against a dense grid and a bounded scalar minimiser, on directions whose
    best step lies before, among and after many examples' margin crossings (and one column of zeros)."""
    from scipy.optimize import minimize_scalar

    from suggest.squared_hinge import exact_step

    rng = np.random.default_rng(3)
    n, width, K = 300, 20, 5
    X = rng.normal(size=(n, width))
    signs = np.where(rng.random((n, K)) < 0.3, 1.0, -1.0)
    W = rng.normal(size=(width, K)) * 0.2
    S = rng.normal(size=(width, K)) * np.array([0.01, 0.1, 1.0, 5.0, 0.0])
    S[:, 4] = 0.0
    Z, U = X @ W, X @ S
    signs[:3, 0] = np.sign(Z[:3, 0])  # examples exactly on the margin's edge
    Z[:3, 0] = signs[:3, 0]
    t = exact_step(W, Z, S, U, signs, 0.7)
    for k in range(4):
        f = lambda step: objective_along(W[:, k], S[:, k], Z[:, k], U[:, k], signs[:, k], 0.7, step)
        best = minimize_scalar(f, bounds=(0, 1e4), method="bounded", options={"xatol": 1e-12}).x
        grid = np.linspace(0, 4 * max(best, 1e-3), 4001)
        assert f(t[k]) <= min(f(g) for g in grid) + 1e-9
        assert t[k] == pytest.approx(best, rel=1e-4, abs=1e-6)
    assert t[4] == 1.0  # no direction: any step, the solver's default


def test_large_fits_start_from_a_sample_s_solution_and_reach_the_same_minimiser(monkeypatch):
    import suggest.squared_hinge as squared_hinge

    sparse, dense, Y = problem(n=600)
    Y[:, 3] = 0
    Y[:2, 3] = 1  # a code the sample may well not hold: it starts at zero
    cold = fit_squared_hinge(sparse, dense, Y, 0.5, tol=1e-10)
    starts = []
    sample_start = squared_hinge.sample_start
    monkeypatch.setattr(squared_hinge, "sample_start", lambda *a: starts.append(sample_start(*a)) or starts[-1])
    monkeypatch.setattr(squared_hinge, "SAMPLE_START_FROM", 500)
    warm = fit_squared_hinge(sparse, dense, Y, 0.5, tol=1e-10)
    assert len(starts) == 1 and np.abs(starts[0]).max() > 0  # the sample's own fit (120 rows) starts from zero
    np.testing.assert_allclose(warm, cold, atol=1e-6 * np.abs(cold).max())
    again = fit_squared_hinge(sparse, dense, Y, 0.5, tol=1e-10)
    np.testing.assert_array_equal(again, warm)  # seeded: the same data, the same fit
