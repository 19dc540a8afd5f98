"""The project store: one SQLite database (``project.db``, WAL) per project. All SQL of codeseed lives here.

``store.py``       :class:`~index.store.store.Store`, the one class callers use; it joins the parts below
``connection.py``  opening (WAL), numbered migrations, all-or-nothing transactions, settings, and SQLite's
                   errors a user can act on (another writer, a read-only folder) as ``ProjectError``
``corpus.py``      documents, segments (their text is a slice of the document's), participants, codes:
                   **where a segment is stored**
``coding.py``      codings and their passages, decisions (append-only, enforced by triggers), suggestions,
                   suggester runs, exchange ids
``ask_queries.py`` the queries Ask needs (corpus fingerprint, segments coded with, coders by code), a block of their own
``rounds.py``      the SQL of blind coding rounds (a round, its coders, the segments of its overlap)
``conversations.py`` Ask conversations per coder (:class:`~index.store.conversations.AskTurns`, mixed
                     into the Store): the kept history of ``codeseed chat`` and the app's Ask tab
``migrations/``    numbered ``NNN_name.sql`` files, applied in order on open

Imports nothing of codeseed but :mod:`index.types` and :mod:`index.errors`.
"""
