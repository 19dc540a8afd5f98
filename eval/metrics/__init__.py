"""Pure evaluation metrics for codeseed.

Rooms
-----
``coefficients``    chance-corrected agreement: Cohen's kappa, Krippendorff's alpha (nominal), Gwet's AC1,
                    Fleiss' kappa, the units x categories count table
``classification``  presence/absence of codes: per-code precision/recall/F1/kappa, micro-/macro-F1, mean kappa
``ranking``         ranked suggestions: hit@k, reciprocal rank, MRR, coverage and accuracy of confident top-1
``calibration``     reliability curve and expected calibration error of probability-like scores
``bootstrap``       cluster (group) bootstrap replicates and percentile intervals
``inputs``          the checks and shapes every metric's input goes through

Every public name below is importable from ``eval.metrics`` itself.

Everything here is a pure function of numpy arrays / Python sequences: no I/O,
no global state, no dependency on the rest of codeseed, and only numpy at
runtime (scikit-learn, ``krippendorff`` and statsmodels are used by the tests
as reference implementations only).

Conventions used throughout
---------------------------
Indicator matrices
    ``y_true`` / ``y_pred`` are binary indicator matrices of shape
    ``(n_segments, n_codes)`` with entries 0/1 (bool accepted). Column ``j``
    answers "is code ``j`` applied to this segment?".

Raw rating matrices (agreement between coders)
    **Always units x coders**: shape ``(n_units, n_coders)``, one row per
    segment, one column per coder, the same orientation as the indicator
    matrices and as ``statsmodels.stats.inter_rater.aggregate_raters``.
    NOTE: the ``krippendorff`` PyPI package uses the opposite orientation
    (coders x units); transpose before comparing. Entries are arbitrary
    hashable labels (nominal scale). Missing ratings are ``None`` or a float
    NaN (``float('nan')`` / ``np.nan``); which functions accept missing values
    is stated per function.

Undefined values (NaN)
    A chance-corrected coefficient is undefined when the expected disagreement
    is zero, i.e. every rating is the same single category. Following
    scikit-learn's ``cohen_kappa_score`` (which returns NaN there), the
    coefficients in this module return ``float('nan')`` in that case instead of
    raising. No warning is emitted. Aggregates over codes (:func:`mean_kappa`)
    skip NaN values and return NaN only when every per-code value is NaN.

Zero division (precision / recall / F1)
    Like scikit-learn's ``zero_division=0``: a ratio whose denominator is 0 is
    reported as ``zero_division`` (default 0.0). F1 is computed as
    ``2*tp / (2*tp + fp + fn)`` (scikit-learn >= 1.3 semantics), so it is
    ``zero_division`` only when ``tp == fp == fn == 0`` (code neither used nor
    predicted). Macro-F1 averages over *all* codes, so a code that is never
    used and never predicted contributes ``zero_division`` (0 by default) --
    exactly like scikit-learn. With ``zero_division=nan`` such codes are
    excluded from the macro average (again like scikit-learn).

Empty input
    Every function raises ``ValueError`` with an explanatory message for empty
    input (zero segments / units / groups) and for mismatched lengths.
"""

from __future__ import annotations

from .bootstrap import bootstrap_ci, bootstrap_statistics
from .calibration import ReliabilityBin, expected_calibration_error, reliability_curve
from .classification import macro_f1, mean_kappa, micro_f1, per_code_scores
from .coefficients import cohen_kappa, fleiss_kappa, gwet_ac1, krippendorff_alpha_nominal, ratings_to_table
from .ranking import coverage_and_accuracy, hit_at_k, hits_at_k, mrr, reciprocal_ranks

__all__ = [
    "cohen_kappa",
    "per_code_scores",
    "micro_f1",
    "macro_f1",
    "mean_kappa",
    "krippendorff_alpha_nominal",
    "gwet_ac1",
    "fleiss_kappa",
    "ratings_to_table",
    "hits_at_k",
    "hit_at_k",
    "reciprocal_ranks",
    "mrr",
    "coverage_and_accuracy",
    "ReliabilityBin",
    "reliability_curve",
    "expected_calibration_error",
    "bootstrap_statistics",
    "bootstrap_ci",
]
