-- Identical text in different documents is normal (two survey respondents who wrote the same comment, two copies
-- of a transcript kept under two names): documents.sha256 is no longer unique, only indexed, so finding the
-- documents with a given text stays fast. A document is still unique by name. SQLite cannot drop a column's
-- UNIQUE constraint, so the table is rebuilt (foreign keys are off while a migration runs, and checked after).
CREATE TABLE documents_new (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,              -- the file it was imported from, as given
    text        TEXT NOT NULL,
    sha256      TEXT NOT NULL,              -- of the text
    encoding    TEXT,                       -- which text encoding decoded the file
    attributes  TEXT NOT NULL DEFAULT '{}', -- JSON object, e.g. {"participant_id": "P12", "setting": "generic"}
    imported_at TEXT NOT NULL
);
INSERT INTO documents_new(id, name, source, text, sha256, encoding, attributes, imported_at)
    SELECT id, name, source, text, sha256, encoding, attributes, imported_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_sha256 ON documents(sha256);
