-- Full-text search over every card: its title, its description and its checklist's items.
--
-- `search` is an FTS5 index kept by triggers in the writing transaction, so it is exact whoever
-- writes the file (Tandem, the sqlite3 shell, a sync tool). Its rowids are handed out by
-- `search_rows`, one per task: a task's own rowid is not stable (VACUUM may renumber a table
-- without an INTEGER PRIMARY KEY). Neither table is logged: both are derived from the board.
--
-- A move touches neither: only a change to a title, a description or a checklist item's title
-- re-indexes its card.

CREATE TABLE search_rows (
    row INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE
) STRICT;

CREATE VIRTUAL TABLE search USING fts5 (
    title,
    description,
    checklist,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO search_rows (task_id) SELECT id FROM tasks ORDER BY rowid;
INSERT INTO search (rowid, title, description, checklist)
SELECT r.row, t.title, t.description,
    coalesce((SELECT group_concat(s.title, char(10)) FROM subtasks s WHERE s.task_id = t.id), '')
FROM search_rows r JOIN tasks t ON t.id = r.task_id;

CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO search_rows (task_id) VALUES (NEW.id);
    INSERT INTO search (rowid, title, description, checklist)
    VALUES ((SELECT row FROM search_rows WHERE task_id = NEW.id), NEW.title, NEW.description, '');
END;

CREATE TRIGGER tasks_search_update AFTER UPDATE OF id, title, description ON tasks
WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description
BEGIN
    UPDATE search_rows SET task_id = NEW.id WHERE task_id = OLD.id;
    UPDATE search SET title = NEW.title, description = NEW.description
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = NEW.id);
END;

CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM search WHERE rowid = (SELECT row FROM search_rows WHERE task_id = OLD.id);
    DELETE FROM search_rows WHERE task_id = OLD.id;
END;

CREATE TRIGGER subtasks_search_insert AFTER INSERT ON subtasks
BEGIN
    UPDATE search
    SET checklist = (SELECT group_concat(title, char(10)) FROM subtasks WHERE task_id = NEW.task_id)
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = NEW.task_id);
END;

CREATE TRIGGER subtasks_search_update AFTER UPDATE OF task_id, title ON subtasks
WHEN OLD.task_id IS NOT NEW.task_id OR OLD.title IS NOT NEW.title
BEGIN
    UPDATE search
    SET checklist = coalesce(
        (SELECT group_concat(title, char(10)) FROM subtasks WHERE task_id = OLD.task_id), '')
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = OLD.task_id);
    UPDATE search
    SET checklist = (SELECT group_concat(title, char(10)) FROM subtasks WHERE task_id = NEW.task_id)
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = NEW.task_id);
END;

CREATE TRIGGER subtasks_search_delete AFTER DELETE ON subtasks
BEGIN
    UPDATE search
    SET checklist = coalesce(
        (SELECT group_concat(title, char(10)) FROM subtasks WHERE task_id = OLD.task_id), '')
    WHERE rowid = (SELECT row FROM search_rows WHERE task_id = OLD.task_id);
END;
