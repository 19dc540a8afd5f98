-- codeseed project store, schema 1.
-- Offsets are character offsets into documents.text, end-exclusive.

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,              -- the file it was imported from, as given
    text        TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE,       -- of the text: the same transcript is never imported twice
    encoding    TEXT,                       -- which text encoding decoded the file
    attributes  TEXT NOT NULL DEFAULT '{}', -- JSON object, e.g. {"participant_id": "P12", "setting": "generic"}
    imported_at TEXT NOT NULL
);

CREATE TABLE segments (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,        -- 0-based order within the document
    start          INTEGER NOT NULL,
    end            INTEGER NOT NULL,
    speaker        TEXT,
    participant    TEXT,                    -- participant id the speaker maps to, if known
    is_interviewer INTEGER NOT NULL DEFAULT 0,
    timestamp      TEXT,
    text_hash      TEXT NOT NULL,           -- sha256 of the segment text: the embedding cache key
    attributes     TEXT NOT NULL DEFAULT '{}',
    UNIQUE (document_id, position),
    CHECK (start >= 0 AND end > start)
);
CREATE INDEX segments_document ON segments(document_id);

CREATE TABLE codes (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent      TEXT REFERENCES codes(id),
    description TEXT NOT NULL DEFAULT '',
    inclusion   TEXT NOT NULL DEFAULT '',
    exclusion   TEXT NOT NULL DEFAULT '',
    example     TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE codings (
    id         INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    code_id    TEXT NOT NULL REFERENCES codes(id),
    coder      TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('human', 'accepted suggestion', 'import')),
    created_at TEXT NOT NULL,
    UNIQUE (segment_id, code_id, coder)
);
CREATE INDEX codings_segment ON codings(segment_id);

-- Every accept/reject a coder makes. Append-only: rows are never changed or removed.
CREATE TABLE decisions (
    id         INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    code_id    TEXT NOT NULL REFERENCES codes(id),
    coder      TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'undo')),
    score      REAL,
    suggester  TEXT,                        -- version/parameters of the suggester that proposed it
    undoes     INTEGER REFERENCES decisions(id),
    created_at TEXT NOT NULL
);
CREATE INDEX decisions_segment ON decisions(segment_id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

-- People who speak in the transcripts, with the attributes a researcher imported for them.
CREATE TABLE participants (
    id         TEXT PRIMARY KEY,
    attributes TEXT NOT NULL DEFAULT '{}'
);

-- Project settings chosen at `codeseed init` (embedding model, segment size, ...): JSON values.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
