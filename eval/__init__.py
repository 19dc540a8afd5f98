"""Evaluation for codeseed: how well do the suggestions agree with human coders?

``metrics``       pure agreement metrics (kappa, alpha, AC1, F1, hit@k, calibration, cluster bootstrap)
``splits``        grouped k-fold, leave-one-out, train/test by column, learning-curve subsampling
``runner``        cross-validation of the suggester beside baselines on the same folds, all figures
``agreement``     human–human agreement, and the suggester beside each coder
``decisions``     acceptance rates from a project's decision log
``project_eval``  ``codeseed eval PROJECT``; ``bench``: ``codeseed bench SPEC DATA_DIR``
``report``        Markdown, JSON and PNG plots

Layering: this package may import ``suggest`` and ``index``; they never import it.
"""
