-- A change the server refused keeps, beside why, the entity as the server had it then (the other
-- side of a conflict); a waiting change the person drops is passed over on the server, so the
-- machine's numbers stay without gaps. SQLite changes a CHECK only by making the table anew.
CREATE TABLE outbox_kept (
    number INTEGER PRIMARY KEY,
    mutation TEXT NOT NULL CHECK (json_valid(mutation)),
    made_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'refused', 'dropped')),
    reason TEXT,
    theirs TEXT CHECK (theirs IS NULL OR json_valid(theirs))
) STRICT;

INSERT INTO outbox_kept (number, mutation, made_at, state, reason)
SELECT number, mutation, made_at, state, reason FROM outbox;

DROP TABLE outbox;

ALTER TABLE outbox_kept RENAME TO outbox;
