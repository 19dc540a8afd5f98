"""The linear channel of the suggester: one linear SVM per code over word n-grams and the segment's embedding.

Why it is there: on the NHS benchmark (5-fold grouped CV) nearest-neighbour votes alone reach micro-F1
0.61, a linear model on the embeddings 0.66, and a linear model on TF-IDF word n-grams *plus* the
embedding 0.71: words carry what the small embedding model blurs ("parking", "wheelchair"), the embedding
carries paraphrase. The neighbours stay in the blend because they are the evidence a coder can check and
they learn from each decision at once; this channel is refitted with the suggester.

The SVMs are scikit-learn's ``LinearSVC`` objective (squared hinge, L2, intercept regularised), solved for all
codes at once by :mod:`suggest.squared_hinge` (``solver="newton"``, the default) or one ``LinearSVC`` per code
(``solver="liblinear"``, the way before, kept as the baseline of ``benchmarks/fit_speed.py``).
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

WORD_TOKENS = r"(?u)\b\w\w+\b"  # scikit-learn's default: words of two or more letters
# ... and '?' and '!' as tokens of their own: "you feel let down?" is a question, "you feel let down." a reflection
PUNCTUATION_TOKENS = WORD_TOKENS + r"|[?!]"
SOLVERS = ("newton", "liblinear")
# The Newton solver's stopping tolerance (relative gradient) for a calibration fold's refit, looser than the full
# fit's (suggest.squared_hinge.TOL, 1e-4): the fold's scores only place the Platt map, the blend and the thresholds,
# and 1e-3 needs about 30% fewer products (docs/benchmarks.md, "Speed: fitting").
FOLD_TOL = 1e-3

# A fitted channel's TF-IDF rows of its training texts, kept while the suggester calibrates (inner fits reuse
# them, see LinearChannel.refit) and released after; not state, never saved.
training_tfidf: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class LinearChannel:
    """One-vs-rest linear SVMs on [TF-IDF(1-2 grams), embedding]; ``decision`` squashes margins to (0, 1)."""

    def __init__(self, *, C: float = 0.5, min_positives: int = 3, squash: float = 2.0,
                 punctuation: bool = False, solver: str = "newton") -> None:
        self.C = C
        self.min_positives = min_positives
        self.squash = squash
        self.punctuation = punctuation
        self.solver = solver

    def fit(self, texts: list[str], vectors: np.ndarray, Y: np.ndarray) -> "LinearChannel":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2 if len(texts) >= 50 else 1,
                                           sublinear_tf=True,
                                           token_pattern=PUNCTUATION_TOKENS if self.punctuation else WORD_TOKENS)
        try:
            tfidf = self.vectorizer_.fit_transform(texts)
        except ValueError:  # an empty vocabulary: texts of stopwords or digits only
            self.vectorizer_ = None
            tfidf = None
        training_tfidf[self] = tfidf
        return self._fit_features(tfidf, vectors, Y)

    def refit(self, rows: np.ndarray, vectors: np.ndarray, Y: np.ndarray) -> "LinearChannel":
        """A new channel fitted on ``rows`` of the examples this one was fitted on (``vectors`` and ``Y`` are
        those rows'), with this channel's vocabulary and idf: its TF-IDF rows are reused, not recomputed.

        The vocabulary is learned from the texts alone, never from their codes, so a calibration fold's model
        still never sees the codes of the segments it scores. Only while this channel's fit is being calibrated
        (until :meth:`release`). Solved to :data:`FOLD_TOL`."""
        if self not in training_tfidf:
            raise RuntimeError("refit needs the training features of a fit that has not been released")
        tfidf = training_tfidf[self]
        inner = LinearChannel(C=self.C, min_positives=self.min_positives, squash=self.squash,
                              punctuation=self.punctuation, solver=self.solver)
        inner.vectorizer_ = self.vectorizer_
        return inner._fit_features(None if tfidf is None else tfidf[rows], vectors, Y, tol=FOLD_TOL)

    def release(self) -> None:
        """Forget the training features kept for :meth:`refit`."""
        training_tfidf.pop(self, None)

    def _fit_features(self, tfidf, vectors: np.ndarray, Y: np.ndarray, tol: float | None = None) -> "LinearChannel":
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, not {self.solver!r}")
        n_codes = Y.shape[1]
        width = (0 if tfidf is None else tfidf.shape[1]) + vectors.shape[1]
        self.coef_ = np.zeros((n_codes, width), dtype=np.float64)
        self.intercept_ = np.zeros(n_codes)
        positives = np.asarray(Y).sum(axis=0)
        self.fitted_ = (positives >= self.min_positives) & (positives < len(Y))
        if not self.fitted_.any():
            return self
        if self.solver == "liblinear":
            self._fit_liblinear(tfidf, vectors, Y)
            return self
        from suggest.squared_hinge import TOL, fit_squared_hinge

        weights = fit_squared_hinge(tfidf, vectors, np.asarray(Y)[:, self.fitted_], self.C, tol=tol or TOL)
        self.coef_[self.fitted_] = weights[:-1].T
        self.intercept_[self.fitted_] = weights[-1]
        return self

    def _fit_liblinear(self, tfidf, vectors: np.ndarray, Y: np.ndarray) -> None:
        from sklearn.svm import LinearSVC

        features = self._features(tfidf, vectors)
        for c in np.flatnonzero(self.fitted_):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # liblinear's convergence chatter on tiny data
                model = LinearSVC(C=self.C, random_state=0).fit(features, Y[:, c])
            self.coef_[c] = model.coef_[0]
            self.intercept_[c] = model.intercept_[0]

    def _features(self, tfidf, vectors: np.ndarray):
        import scipy.sparse as sp

        dense = sp.csr_matrix(np.asarray(vectors, dtype=np.float64))
        return dense if tfidf is None else sp.hstack([tfidf, dense]).tocsr()

    def decision(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """(n, n_codes) scores in (0, 1); columns of codes without a model are NaN."""
        vectors = np.asarray(vectors, dtype=np.float64)
        words = self.coef_.shape[1] - vectors.shape[1]  # coef_ columns: [TF-IDF | embedding]
        margins = vectors @ self.coef_[:, words:].T + self.intercept_
        if self.vectorizer_ is not None:
            margins += word_margins(self.vectorizer_.transform(texts), self.coef_[:, :words])
        scores = 1.0 / (1.0 + np.exp(-self.squash * np.asarray(margins)))
        scores[:, ~self.fitted_] = np.nan
        return scores


def word_margins(X, weights: np.ndarray, *, block: int = 2000) -> np.ndarray:
    """``X @ weights.T`` for sparse rows ``X`` (n, words) and dense ``weights`` (codes, words), reading only the
    weight columns of the words present. The plain product made scipy copy all of ``weights`` in column order
    first: 17 ms for one segment with a 200,000-word vocabulary (100,000 examples), against microseconds here."""
    import scipy.sparse as sp

    X = X.tocsr()
    out = np.zeros((X.shape[0], weights.shape[0]))
    for start in range(0, X.shape[0], block):
        rows = X[start:start + block]
        if rows.nnz == 0:
            continue
        contributions = (weights[:, rows.indices] * rows.data).T  # (nnz, codes): each stored word's part
        owner = sp.csr_matrix((np.ones(rows.nnz), np.arange(rows.nnz), rows.indptr), shape=(rows.shape[0], rows.nnz))
        out[start:start + rows.shape[0]] = owner @ contributions  # each row's words summed
    return out
