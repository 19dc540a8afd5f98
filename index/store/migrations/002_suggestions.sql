-- Suggestions as the suggester last made them, with the evidence behind each and the suggester that made it.
-- Rewritten for a segment every time it is suggested again; decisions (append-only) keep the history.
CREATE TABLE suggestions (
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    code_id    TEXT NOT NULL REFERENCES codes(id),
    score      REAL NOT NULL,
    rank       INTEGER NOT NULL,
    confident  INTEGER NOT NULL,            -- score at or above the code's threshold
    evidence   TEXT NOT NULL DEFAULT '[]',  -- JSON list of {segment_id, similarity, coder, polarity}
    suggester  TEXT NOT NULL,               -- version and parameters of the suggester
    created_at TEXT NOT NULL,
    PRIMARY KEY (segment_id, code_id)
);

-- Each fit of the suggester: its version, parameters and what calibration chose.
CREATE TABLE suggester_runs (
    id         INTEGER PRIMARY KEY,
    suggester  TEXT NOT NULL,
    parameters TEXT NOT NULL,               -- JSON
    thresholds TEXT NOT NULL,               -- JSON {code: threshold}
    examples   INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
