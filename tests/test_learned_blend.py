"""The learned blend (``learned_blend=True``): each channel weighted by how well it predicts out of fold.

A channel that predicts perfectly in cross-validation gets the weight, a useless one gets almost none; with too
few out-of-fold positives the suggester falls back to the fixed blend; what it learned survives calibration
reuse and saving.
"""

import numpy as np
import pytest

from suggest.calibration import apply_platt, fit_platt
from suggest.estimator import CodeSuggester, Example
from suggest.stacking import FEATURES, Channels, LearnedBlend, fit_learned_blend

COL = {name: i for i, name in enumerate(FEATURES)}


def synthetic_features(rng, n=600, n_codes=4, informative="codebook"):
    """Out-of-fold features where ``informative`` separates the classes perfectly and all else is noise."""
    Y = np.zeros((n, n_codes), dtype=np.int8)
    Y[np.arange(n), rng.integers(0, n_codes, n)] = 1
    features = rng.normal(size=(n, n_codes, len(FEATURES)))
    features[..., COL[informative]] = Y + 0.1 * rng.normal(size=Y.shape)
    return features, Y


def standardised_weights(blend: LearnedBlend, features: np.ndarray) -> np.ndarray:
    return np.asarray(blend.weights) * features.reshape(-1, features.shape[-1]).std(axis=0)


@pytest.mark.parametrize("informative", ["codebook", "knn", "examples_margin"])
def test_a_channel_that_predicts_perfectly_gets_the_weight_and_noise_gets_almost_none(informative):
    rng = np.random.default_rng(1)
    features, Y = synthetic_features(rng, informative=informative)
    platt = fit_platt(features[..., 0], Y)
    blend = fit_learned_blend(features, Y, platt)
    w = np.abs(standardised_weights(blend, features))
    others = np.delete(w, COL[informative])
    assert w[COL[informative]] > 10 * others.max()
    # and on fresh data it separates the classes
    test, T = synthetic_features(np.random.default_rng(2), informative=informative)
    p = blend.probabilities(test)
    assert p[T == 1].min() > p[T == 0].max()


def test_a_large_project_fits_on_a_sample_of_its_rows_and_learns_the_same():
    features, Y = synthetic_features(np.random.default_rng(5), n=2000, informative="knn")
    platt = fit_platt(features[..., 0], Y)
    full = fit_learned_blend(features, Y, platt)
    sampled = fit_learned_blend(features, Y, platt, max_rows=2000)  # a quarter of the 8,000 rows
    assert sampled != full
    w_full, w_sampled = standardised_weights(full, features), standardised_weights(sampled, features)
    assert np.argmax(np.abs(w_sampled)) == COL["knn"] == np.argmax(np.abs(w_full))
    assert np.sign(w_sampled[COL["knn"]]) == np.sign(w_full[COL["knn"]])


def test_with_nothing_beyond_the_blend_the_learned_blend_stays_the_platt_fit():
    rng = np.random.default_rng(3)
    features, Y = synthetic_features(rng, n=400, informative="blend")
    features[..., COL["blend"]] = 0.5 * Y + rng.uniform(0, 1, Y.shape)  # informative, but noisy
    platt = fit_platt(features[..., 0], Y)
    blend = fit_learned_blend(features, Y, platt)
    w = standardised_weights(blend, features)
    assert np.abs(np.delete(w, 0)).max() < 0.3 * abs(w[0])
    p, q = blend.probabilities(features), apply_platt(features[..., 0], *platt)
    assert np.corrcoef(p.ravel(), q.ravel())[0, 1] > 0.9


def test_too_few_positives_means_no_learned_blend_and_the_suggester_keeps_the_fixed_blend():
    rng = np.random.default_rng(4)
    features, Y = synthetic_features(rng, n=30)
    Y[:] = 0
    Y[:5, 0] = 1
    assert fit_learned_blend(features, Y, (1.0, 0.0), min_positives=10) is None
    Y[:, 0] = 1  # 30 positives: under the default, 20 per coefficient
    assert fit_learned_blend(features, Y, (1.0, 0.0)) is None
    assert fit_learned_blend(features, Y, (1.0, 0.0), min_positives=30) is not None
    few, Y = synthetic_features(rng, n=300)  # one code a row: 300 positives, NHS at 5 examples a code
    assert fit_learned_blend(few, Y, fit_platt(few[..., 0], Y)) is None  # under 20 per coefficient (360)
    more, Y = synthetic_features(rng, n=400)
    assert fit_learned_blend(more, Y, fit_platt(more[..., 0], Y)) is not None
    vectors, codes, prototypes = codebook_world(0, n=60)
    examples = [Example(i, {"ABC"[c]: None}, group=i % 10) for i, c in enumerate(codes)]
    model = CodeSuggester(linear=False, learned_blend=True).fit(vectors, examples, codes=list("ABC"),
                                                                 prototypes=prototypes)
    assert model.calibrated_ and model.stack_ is None
    fixed = CodeSuggester(linear=False, learned_blend=False).fit(vectors, examples, codes=list("ABC"),
                                                                 prototypes=prototypes)
    assert np.array_equal(model.scores(vectors), fixed.scores(vectors))
    assert np.array_equal(model.thresholds_, fixed.thresholds_)


def unit_rows(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def codebook_world(seed, n=480, n_codes=3, dim=40):
    """Segments whose code shows only in a faint direction that the codebook prototype names: the cosine to the
    codebook picks the code every time, the neighbours (lost in the noise dimensions) hardly ever do."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_codes, n)
    x = rng.normal(size=(n, dim))
    x[:, :n_codes] = 0.0
    x[np.arange(n), codes] = 0.6
    return unit_rows(x), codes, np.eye(n_codes, dim, dtype=np.float32)


def test_the_suggester_learns_to_trust_the_channel_that_predicts_in_its_own_cross_validation():
    vectors, codes, prototypes = codebook_world(0)
    names = ["A", "B", "C"]
    examples = [Example(i, {names[c]: None}, group=i % 10) for i, c in enumerate(codes)]
    test_vectors, test_codes, _ = codebook_world(1, n=90)

    def hit1(model):
        return float(np.mean(np.argmax(model.scores(test_vectors), axis=1) == test_codes))

    fixed = CodeSuggester(linear=False, example_prototypes=False, learned_blend=False).fit(
        vectors, examples, codes=names, prototypes=prototypes)
    learned = CodeSuggester(linear=False, example_prototypes=False, learned_blend=True).fit(
        vectors, examples, codes=names, prototypes=prototypes)
    assert learned.stack_ is not None and fixed.stack_ is None
    assert hit1(fixed) < 0.7  # with 160 examples a code, the fixed blend has faded the codebook out
    assert hit1(learned) > 0.95
    weight = dict(zip(FEATURES, learned.stack_.weights))
    assert weight["codebook"] > 0 and weight["codebook_margin"] + weight["codebook"] > 5 * abs(weight["knn"])


def test_the_learned_blend_is_carried_by_a_reused_calibration():
    vectors, codes, prototypes = codebook_world(0)
    names = ["A", "B", "C"]
    examples = [Example(i, {names[c]: None}, group=i % 10) for i, c in enumerate(codes)]
    params = dict(linear=False, learned_blend=True)
    learned = CodeSuggester(**params).fit(vectors, examples, codes=names, prototypes=prototypes)
    calibration = learned.calibration()
    assert calibration["stack"]["features"] == list(FEATURES)
    reused = CodeSuggester(**params).fit(vectors, examples, codes=names, prototypes=prototypes, calibrate=False)
    reused.set_calibration(calibration)
    assert np.array_equal(reused.scores(vectors[:20]), learned.scores(vectors[:20]))
    with pytest.raises(ValueError, match="other features"):
        LearnedBlend.from_json({**calibration["stack"], "features": ["blend"]})


def test_off_by_switch_the_scores_are_the_fixed_blend_platt_scaled():
    vectors, codes, prototypes = codebook_world(0)
    names = ["A", "B", "C"]
    examples = [Example(i, {names[c]: None}, group=i % 10) for i, c in enumerate(codes)]
    model = CodeSuggester(linear=False, learned_blend=False).fit(vectors, examples, codes=names, prototypes=prototypes)
    assert model.stack_ is None
    expected = apply_platt(model.raw_scores(vectors[:10]), *model.platt_)
    assert model.scores(vectors[:10]) == pytest.approx(expected)


def test_features_are_zero_for_absent_channels_and_margins_are_relative_to_the_best_code():
    blend = np.array([[0.2, 0.7, 0.1]])
    channels = Channels(blend=blend, knn=blend, counts=np.array([0.0, 3.0, 1.0]),
                        codebook=np.array([[0.5, 0.1, 0.3]]), examples=np.array([[np.nan, 0.4, 0.6]]),
                        nearest=np.array([[np.nan, 0.9, 0.7]]))
    f = channels.features()[0]
    assert f.shape == (3, len(FEATURES))
    assert list(f[:, COL["top1"]]) == [0, 1, 0]
    assert f[:, COL["blend_margin"]] == pytest.approx([-0.5, 0.0, -0.6])
    assert f[:, COL["codebook_margin"]] == pytest.approx([0.0, -0.4, -0.2])
    assert f[:, COL["examples"]] == pytest.approx([0.0, 0.4, 0.6])
    assert f[:, COL["examples_margin"]] == pytest.approx([-1.0, -0.2, 0.0])
    assert f[:, COL["nearest"]] == pytest.approx([0.0, 0.9, 0.7])
    assert f[:, COL["nearest_margin"]] == pytest.approx([-1.0, 0.0, -0.2])
    assert f[:, COL["linear"]].tolist() == [0, 0, 0] and f[:, COL["linear_fitted"]].tolist() == [0, 0, 0]
    assert f[:, COL["log_examples"]] == pytest.approx(np.log1p([0, 3, 1]))


def test_a_saved_suggester_carries_its_learned_blend(tmp_path):
    from conftest import FakeEncoder
    from suggest.saved_model import load_suggester, save_suggester

    vectors, codes, prototypes = codebook_world(0)
    names = ["A", "B", "C"]
    examples = [Example(i, {names[c]: None}, group=i % 10) for i, c in enumerate(codes)]
    model = CodeSuggester(linear=False, learned_blend=True).fit(vectors, examples, codes=names, prototypes=prototypes)
    loaded = load_suggester(save_suggester(model, tmp_path / "model", encoder=FakeEncoder())).model
    assert loaded.stack_ == model.stack_ and loaded.stack_ is not None
    assert np.array_equal(loaded.scores(vectors[:20]), model.scores(vectors[:20]))


def test_nearest_is_the_most_similar_neighbour_carrying_the_code():
    examples = unit_rows(np.array([[1.0, 0, 0], [0.8, 0.6, 0], [0, 0.6, 0.8], [0, 0, 1]]))
    codes = ["A", "B", "C"]
    model = CodeSuggester(linear=False, k=2, learned_blend=True).fit(
        examples, [Example(0, {"A": None}), Example(1, {"A": None}), Example(2, {"B": None}), Example(3, {"B": None})],
        codes=codes, calibrate=False)
    q = unit_rows(np.array([[0.6, 0.8, 0.0]]))
    f = model.channel_scores(q)[0]
    sims = examples @ q[0]  # 0.6, 0.96, 0.48, 0: the two nearest are rows 1 (A) and 0 (A)
    assert f[:, COL["nearest"]] == pytest.approx([sims[1], 0.0, 0.0], abs=1e-6)
    assert f[:, COL["nearest_margin"]] == pytest.approx([0.0, -1.0, -1.0])
