"""Learning and finding: codes suggested from the coded segments, and quotes found for a question.

``estimator.py``          :class:`CodeSuggester`, the estimator on arrays: neighbour votes, linear channel, codebook
                          prototypes, calibration → **where a suggestion's code and score are chosen**
``linear.py``             the linear channel (TF-IDF words + embedding, one-vs-rest)
``calibration.py``        Platt scaling and per-code thresholds
``project_suggester.py``  :class:`ProjectSuggester`: the estimator fitted on a project, storing suggestions and decisions
``review.py``             the review session behind the app: queue, cards, accept/reject/undo
``suggestions_csv.py``    suggestions → CSV and the ``--explain`` text
``ask/``                  questions → verbatim quotes (see its map)

Imports :mod:`index`, never :mod:`eval` or the edges (app, CLI).
"""
