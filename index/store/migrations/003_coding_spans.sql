-- The exact passage behind a coding, and the identifiers other QDA programs gave our things (REFI-QDA, issue #7).

-- A coding is a code on a segment; a coder in NVivo or ATLAS.ti codes a *passage* of any length, which we map
-- onto segments. To export the same passages back, each coding keeps the span it came from:
-- start/end are character offsets into documents.text, end-exclusive; NULL means "the whole segment"
-- (codings made in codeseed). When a coding rests on several passages of one segment (two separate sentences
-- of one turn coded the same way), start/end hold their extent and coding_spans holds each passage exactly.
ALTER TABLE codings ADD COLUMN start INTEGER;
ALTER TABLE codings ADD COLUMN end INTEGER;

CREATE TABLE coding_spans (
    coding_id INTEGER NOT NULL REFERENCES codings(id) ON DELETE CASCADE,
    start     INTEGER NOT NULL,
    end       INTEGER NOT NULL,
    PRIMARY KEY (coding_id, start, end),
    CHECK (start >= 0 AND end > start)
);

-- GUIDs that a REFI-QDA project gave our codes, coders and documents, so that an export carries the same
-- GUIDs back and NVivo/ATLAS.ti/MAXQDA recognise their own codes. key: code id, coder name or document name.
CREATE TABLE exchange_ids (
    kind TEXT NOT NULL CHECK (kind IN ('code', 'coder', 'document')),
    key  TEXT NOT NULL,
    guid TEXT NOT NULL,
    PRIMARY KEY (kind, key),
    UNIQUE (kind, guid)
);
