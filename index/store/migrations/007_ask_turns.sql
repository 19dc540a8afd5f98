-- Ask conversations, one row per turn, kept per coder: a conversation survives a restart and can be exported.
-- A coder's conversation number goes up by one at each "start over".
CREATE TABLE ask_turns (
    id INTEGER PRIMARY KEY,
    coder TEXT NOT NULL,
    conversation INTEGER NOT NULL,
    question TEXT NOT NULL,
    intent TEXT NOT NULL,
    state TEXT NOT NULL,   -- JSON: what the conversation had understood after this turn
    answer TEXT NOT NULL,  -- JSON: what changed, what was understood, the segment ids shown, tables, summary
    asked_at TEXT NOT NULL
);
CREATE INDEX ask_turns_by_coder ON ask_turns(coder, conversation, id);
