-- A card's conversation: comments in Markdown, in the order written. The author is a login: on
-- a file the operating system's (or, for an imported comment, the name its export gave); the
-- store refuses an edit by anyone else. `edited_at` is set by the first edit and moves with
-- each one after, so a thread can say "edited". A comment goes with its card.
CREATE TABLE comments (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 65536),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    edited_at INTEGER
) STRICT;
CREATE INDEX comments_by_task ON comments (task_id, created_at);

CREATE TRIGGER comments_log_insert AFTER INSERT ON comments
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'comment', NEW.id, (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('id', NEW.id, 'task_id', NEW.task_id, 'author', NEW.author,
            'body', NEW.body, 'version', NEW.version, 'created_at', NEW.created_at,
            'updated_at', NEW.updated_at, 'edited_at', NEW.edited_at));
END;

-- Only the body changes (with its version and times): the previous row holds the old body.
CREATE TRIGGER comments_log_update AFTER UPDATE ON comments
WHEN OLD.body IS NOT NEW.body OR OLD.version IS NOT NEW.version
    OR OLD.task_id IS NOT NEW.task_id OR OLD.author IS NOT NEW.author
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'comment', NEW.id, (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('id', NEW.id, 'task_id', NEW.task_id, 'author', NEW.author,
            'body', NEW.body, 'version', NEW.version, 'created_at', NEW.created_at,
            'updated_at', NEW.updated_at, 'edited_at', NEW.edited_at),
        json_object('body', OLD.body, 'version', OLD.version, 'updated_at', OLD.updated_at,
            'edited_at', OLD.edited_at));
END;

CREATE TRIGGER comments_log_delete AFTER DELETE ON comments
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'comment', OLD.id, (SELECT project_id FROM tasks WHERE id = OLD.task_id),
        json_object('id', OLD.id, 'task_id', OLD.task_id, 'author', OLD.author,
            'body', OLD.body, 'version', OLD.version, 'created_at', OLD.created_at,
            'updated_at', OLD.updated_at, 'edited_at', OLD.edited_at));
END;

-- Search finds words in comments too: the index gets a column for them. FTS5 cannot add a
-- column, so the index is made again (it is derived from the board, never logged).
DROP TABLE search;
CREATE VIRTUAL TABLE search USING fts5 (
    title,
    description,
    checklist,
    comments,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search (rowid, title, description, checklist, comments)
SELECT r.row, t.title, t.description,
    coalesce((SELECT group_concat(s.title, char(10)) FROM subtasks s WHERE s.task_id = t.id), ''),
    ''
FROM search_rows r JOIN tasks t ON t.id = r.task_id;

CREATE TRIGGER comments_search_insert AFTER INSERT ON comments
BEGIN
    UPDATE search
    SET comments = (SELECT group_concat(body, char(10)) FROM comments WHERE task_id = NEW.task_id)
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = NEW.task_id);
END;

CREATE TRIGGER comments_search_update AFTER UPDATE OF body ON comments
WHEN OLD.body IS NOT NEW.body
BEGIN
    UPDATE search
    SET comments = (SELECT group_concat(body, char(10)) FROM comments WHERE task_id = NEW.task_id)
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = NEW.task_id);
END;

CREATE TRIGGER comments_search_delete AFTER DELETE ON comments
BEGIN
    UPDATE search
    SET comments = coalesce(
        (SELECT group_concat(body, char(10)) FROM comments WHERE task_id = OLD.task_id), '')
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = OLD.task_id);
END;
