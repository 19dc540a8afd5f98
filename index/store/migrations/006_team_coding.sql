-- Coding as a team (issue 14): "no code applies" decisions, and blind coding rounds.

-- A decision may now be 'none': the coder looked at the segment and no code of the codebook applies. It names no
-- code (code_id NULL; so does the 'undo' that takes one back). SQLite cannot alter a CHECK constraint, so the
-- table is rebuilt with every row and id kept, and its append-only triggers put back. The old table is renamed
-- first (which also renames its own 'undoes' reference), so that dropping it leaves no reference behind.
-- note: who or what a decision speaks for beyond its coder, e.g. the coders a reconciliation reconciled.
DROP TRIGGER decisions_no_update;
DROP TRIGGER decisions_no_delete;
DROP INDEX decisions_segment;
ALTER TABLE decisions RENAME TO decisions_old;
CREATE TABLE decisions (
    id         INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    code_id    TEXT REFERENCES codes(id),   -- NULL only for 'none' and the 'undo' of one
    coder      TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'undo', 'none')),
    score      REAL,
    suggester  TEXT,
    undoes     INTEGER REFERENCES decisions(id),
    created_at TEXT NOT NULL,
    note       TEXT,
    CHECK (code_id IS NOT NULL OR decision IN ('none', 'undo')),
    CHECK (code_id IS NULL OR decision <> 'none')
);
INSERT INTO decisions(id, segment_id, code_id, coder, decision, score, suggester, undoes, created_at)
    SELECT id, segment_id, code_id, coder, decision, score, suggester, undoes, created_at FROM decisions_old
    ORDER BY id;
DROP TABLE decisions_old;
CREATE INDEX decisions_segment ON decisions(segment_id);
CREATE INDEX decisions_coder ON decisions(coder);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

-- A blind coding round: its coders code the same segments (the overlap) without seeing each other's work.
-- Fixed when the round starts: who codes, which documents (NULL: all), and the overlap's segments.
CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY,
    coders     TEXT NOT NULL,               -- JSON list of coder names, in the order given
    documents  TEXT,                        -- JSON list of document names; NULL: every document
    started_at TEXT NOT NULL,
    closed_at  TEXT
);
-- At most one open round per project.
CREATE UNIQUE INDEX rounds_one_open ON rounds((closed_at IS NULL)) WHERE closed_at IS NULL;

CREATE TABLE round_segments (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    PRIMARY KEY (round_id, segment_id)
);
