-- People on the board. A change's author is the person whose Tandem wrote it: on a file, the
-- operating system's login, which the store stamps on each change row with its origin in the
-- writing transaction (a trigger cannot know it). Changes written by other programs, and every
-- change made before this migration, have no author (NULL).
--
-- `people` holds each person's display name and the colour of their initials. It is not board
-- data and is not logged: a name is read when it is shown.

ALTER TABLE changes ADD COLUMN author TEXT;

CREATE TABLE people (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    color TEXT NOT NULL CHECK (color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
