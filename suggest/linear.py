"""The linear channel of the suggester: one linear SVM per code over word n-grams and the segment's embedding.

Why it is there: on the NHS benchmark (5-fold grouped CV) nearest-neighbour votes alone reach micro-F1
0.61, a linear model on the embeddings 0.66, and a linear model on TF-IDF word n-grams *plus* the
embedding 0.71: words carry what the small embedding model blurs ("parking", "wheelchair"), the embedding
carries paraphrase. The neighbours stay in the blend because they are the evidence a coder can check and
they learn from each decision at once; this channel is refitted with the suggester.
"""

from __future__ import annotations

import warnings

import numpy as np

WORD_TOKENS = r"(?u)\b\w\w+\b"  # scikit-learn's default: words of two or more letters
# ... and '?' and '!' as tokens of their own: "you feel let down?" is a question, "you feel let down." a reflection
PUNCTUATION_TOKENS = WORD_TOKENS + r"|[?!]"


class LinearChannel:
    """One-vs-rest linear SVMs on [TF-IDF(1-2 grams), embedding]; ``decision`` squashes margins to (0, 1)."""

    def __init__(self, *, C: float = 0.5, min_positives: int = 3, squash: float = 2.0,
                 punctuation: bool = False) -> None:
        self.C = C
        self.min_positives = min_positives
        self.squash = squash
        self.punctuation = punctuation

    def fit(self, texts: list[str], vectors: np.ndarray, Y: np.ndarray) -> "LinearChannel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2 if len(texts) >= 50 else 1,
                                           sublinear_tf=True,
                                           token_pattern=PUNCTUATION_TOKENS if self.punctuation else WORD_TOKENS)
        try:
            features = self._features(self.vectorizer_.fit_transform(texts), vectors)
        except ValueError:  # an empty vocabulary: texts of stopwords or digits only
            self.vectorizer_ = None
            features = self._features(None, vectors)
        n_codes = Y.shape[1]
        self.coef_ = np.zeros((n_codes, features.shape[1]), dtype=np.float64)
        self.intercept_ = np.zeros(n_codes)
        self.fitted_ = np.zeros(n_codes, dtype=bool)
        for c in range(n_codes):
            positives = int(Y[:, c].sum())
            if positives < self.min_positives or positives == len(Y):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # liblinear's convergence chatter on tiny data
                model = LinearSVC(C=self.C, random_state=0).fit(features, Y[:, c])
            self.coef_[c] = model.coef_[0]
            self.intercept_[c] = model.intercept_[0]
            self.fitted_[c] = True
        return self

    def _features(self, tfidf, vectors: np.ndarray):
        import scipy.sparse as sp

        dense = sp.csr_matrix(np.asarray(vectors, dtype=np.float64))
        return dense if tfidf is None else sp.hstack([tfidf, dense]).tocsr()

    def decision(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """(n, n_codes) scores in (0, 1); columns of codes without a model are NaN."""
        tfidf = self.vectorizer_.transform(texts) if self.vectorizer_ is not None else None
        margins = self._features(tfidf, vectors) @ self.coef_.T + self.intercept_
        scores = 1.0 / (1.0 + np.exp(-self.squash * np.asarray(margins)))
        scores[:, ~self.fitted_] = np.nan
        return scores
