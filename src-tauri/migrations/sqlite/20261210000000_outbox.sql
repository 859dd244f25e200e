-- On this machine's copy of a team server's board: the changes made while the server was away,
-- waiting to be sent in order, each once; and those the server refused, kept for the person.
-- Numbers never repeat: the next one is kept apart (a copy made anew keeps it), with the id
-- the server knows this machine by. A board of its own (a file) never uses either.
CREATE TABLE outbox (
    number INTEGER PRIMARY KEY,
    mutation TEXT NOT NULL CHECK (json_valid(mutation)),
    made_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'refused')),
    reason TEXT
) STRICT;

CREATE TABLE outbox_machine (
    id TEXT PRIMARY KEY NOT NULL,
    next INTEGER NOT NULL CHECK (next >= 1)
) STRICT;
