"""Learning and finding: codes suggested from the coded segments, a coder's review of them, and quotes found for a
question.

``estimator.py``          :class:`CodeSuggester`, the estimator on arrays: neighbour votes, linear channel, codebook
                          prototypes, calibration → **where a suggestion's code and score are chosen**
``suggestion.py``         what it hands out: :class:`Suggestion` (code, score, rank, confidence) and its
                          :class:`Evidence`
``channels.py``           how each channel scores a code (neighbour vote share, linear, prototype softmax) and their
                          fixed blend, on arrays
``neighbours.py``         the k most similar examples: exact blocked matrix product, FAISS past 20,000 examples
``linear.py``             the linear channel (TF-IDF words + embedding, one-vs-rest)
``squared_hinge.py``      its SVMs (LinearSVC's objective) for all codes in one Newton solve
``prototypes.py``         the prototype channel's similarity: codebook text, and the code's examples beside it
``example_stats.py``      per-code sums and counts over the examples, updated by each decision (scoring reads no
                          example matrix)
``rows.py``               appending example rows in amortised constant time (a decision writes one row, not the matrix)
``out_of_fold.py``        calibration's out-of-fold scores: folds that never split a group, each scored by a model
                          taught the others, stopping once enough examples are scored
``evidence.py``           the coder's decisions near a query: evidence shown with a suggestion, the weight a nearby
                          rejection takes off a score, codes banned for a segment
``calibration.py``        Platt scaling and per-code thresholds
``stacking.py``           the learned blend (``learned_blend``): the channels' out-of-fold scores → one shared
                          logistic regression, instead of the fixed blend and Platt scaling
``project_suggester.py``  :class:`ProjectSuggester`: the estimator fitted on a project; stores suggestions, records
                          each accept/reject/undo (:meth:`~ProjectSuggester.decide` turns an accept into a coding)
                          and "no code applies" (``decide_none``); with a round coder's view it sees only their work
``reconcile.py``          the disagreements between coders, and the agreed codes stored under ``consensus``
``review/``               the review session behind the app: queue, what the screen shows, and ``review/session.py``,
                          **where a coding's code is chosen** by a coder (accept, reject, the code picker); see its map
``suggestions_csv.py``    suggestions → CSV and the ``--explain`` text
``saved_model.py``        a fitted suggester saved as a folder (manifest with SHA-256 per file) and loaded anywhere, for
                          ``codeseed batch``; ``saved_state.py`` writes its state as JSON + arrays, no pickle
``ask/``                  questions → verbatim quotes (see its map): ``ask/query.py`` is **where a question is turned
                          into filters**

Imports :mod:`index`, never :mod:`eval` or the edges (app, CLI). ``review/`` never imports ``ask/``.
"""
