"""The project store: one SQLite database (``project.db``, WAL) per project.

``store.py``       :class:`~index.store.store.Store`: documents, segments, codes, codings, participants, suggestions,
                   decisions (append-only, enforced by triggers) and suggester runs; **where a segment is stored**. Every
                   SQL statement of codeseed is here, the queries Ask needs too (a block of their own).
``migrations/``    numbered ``NNN_name.sql`` files, applied in order on open

Imports nothing of codeseed but :mod:`index.types` and :mod:`index.errors`.
"""
