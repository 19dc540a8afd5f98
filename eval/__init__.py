"""Evaluation for codeseed: how well do the suggestions agree with human coders?

``metrics/``        pure agreement metrics, one module per family: ``coefficients`` (Cohen's and Fleiss' kappa,
                    Krippendorff's alpha, Gwet's AC1), ``classification`` (per-code P/R/F1/kappa, micro-/macro-F1),
                    ``ranking`` (hit@k, MRR, coverage), ``calibration`` (reliability, ECE), ``bootstrap`` (cluster
                    bootstrap intervals), ``inputs`` (their input checks); every name importable from ``eval.metrics``
``splits``          grouped k-fold, leave-one-out, train/test by column, learning-curve subsampling
``methods``         the coded data (``CodedData``) and the methods compared on it: the suggester and the baselines
``scoring``         every figure for one method's out-of-fold predictions (``method_metrics``), with intervals
``runner``          cross-validation of every method on the same folds, the learning curve, ``evaluate``
``variants``        the suggester before its cold-start additions and with each addition flipped, as methods
``agreement``       human–human agreement, and the suggester beside each coder
``decisions``       acceptance rates from a project's decision log
``pairwise``        two coders on the segments both reviewed: kappa, alpha, AC1, percent, per code and document,
                    with document-bootstrap intervals (the app's Agreement tab); ``team_agreement`` feeds it a
                    project's coders and the suggester they coded with
``project_eval``    ``codeseed eval PROJECT``
``tune_check``      does a tuned encoder help this data? tune on four fifths, compare the suggester on the rest
                    (paired bootstrap over documents) and the rule that keeps it; ``project_tune`` is ``codeseed tune``
``bench``           ``codeseed bench SPEC DATA_DIR`` (the spec format); ``bench_spec`` reads and checks a spec,
                    ``bench_data`` reads its CSV and codebook into texts, labels, groups and codings
``simulate``        the effort simulation: a coder through the review queue, the suggester learning online; keys
                    and decisions against coding by hand (pure logic); ``simulate_sources`` its two queues (the
                    app's review session on a copy of a project, the estimator on a benchmark's arrays) and the
                    ``--simulate`` runs; ``simulate_report`` its table, JSON and plot
``report``          writes report.md, results.json and the plots; ``report_text`` (number formatting, JSON, the
                    stdout summary table), ``report_markdown`` (the report's sections), ``report_plots`` (the PNGs)

Layering: this package may import ``suggest`` and ``index``; they never import it.
"""
