-- Archive instead of delete: an archived card leaves the board but keeps its row, its history,
-- its checklist and its labels, and comes back with unarchive. `archived_at` is when it was
-- archived (Unix milliseconds), NULL for a card on the board. An archived card keeps its column
-- and position but takes no part in its column's order; it comes back where it stood (at the
-- column's bottom when a card took that place).
--
-- The task log triggers are made again so that every change records the new field.

ALTER TABLE tasks ADD COLUMN archived_at INTEGER;
CREATE INDEX tasks_archived ON tasks (project_id, archived_at) WHERE archived_at IS NOT NULL;

DROP TRIGGER tasks_log_insert;
DROP TRIGGER tasks_log_update;
DROP TRIGGER tasks_log_delete;

CREATE TRIGGER tasks_log_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'task', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'column_id', NEW.column_id, 'title', NEW.title, 'description', NEW.description, 'priority', NEW.priority, 'due_date', NEW.due_date, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'archived_at', NEW.archived_at));
END;

CREATE TRIGGER tasks_log_update AFTER UPDATE ON tasks
WHEN OLD.id IS NOT NEW.id
    OR OLD.project_id IS NOT NEW.project_id
    OR OLD.column_id IS NOT NEW.column_id
    OR OLD.title IS NOT NEW.title
    OR OLD.description IS NOT NEW.description
    OR OLD.priority IS NOT NEW.priority
    OR OLD.due_date IS NOT NEW.due_date
    OR OLD.position IS NOT NEW.position
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
    OR OLD.archived_at IS NOT NEW.archived_at
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'task', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'column_id', NEW.column_id, 'title', NEW.title, 'description', NEW.description, 'priority', NEW.priority, 'due_date', NEW.due_date, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'archived_at', NEW.archived_at),
        json_remove(json_object('id', OLD.id, 'project_id', OLD.project_id, 'column_id', OLD.column_id, 'title', OLD.title, 'description', OLD.description, 'priority', OLD.priority, 'due_date', OLD.due_date, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at, 'archived_at', OLD.archived_at),
            CASE WHEN OLD.id IS NEW.id THEN '$.id' ELSE '$._' END,
            CASE WHEN OLD.project_id IS NEW.project_id THEN '$.project_id' ELSE '$._' END,
            CASE WHEN OLD.column_id IS NEW.column_id THEN '$.column_id' ELSE '$._' END,
            CASE WHEN OLD.title IS NEW.title THEN '$.title' ELSE '$._' END,
            CASE WHEN OLD.description IS NEW.description THEN '$.description' ELSE '$._' END,
            CASE WHEN OLD.priority IS NEW.priority THEN '$.priority' ELSE '$._' END,
            CASE WHEN OLD.due_date IS NEW.due_date THEN '$.due_date' ELSE '$._' END,
            CASE WHEN OLD.position IS NEW.position THEN '$.position' ELSE '$._' END,
            CASE WHEN OLD.version IS NEW.version THEN '$.version' ELSE '$._' END,
            CASE WHEN OLD.created_at IS NEW.created_at THEN '$.created_at' ELSE '$._' END,
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END,
            CASE WHEN OLD.archived_at IS NEW.archived_at THEN '$.archived_at' ELSE '$._' END));
END;

CREATE TRIGGER tasks_log_delete AFTER DELETE ON tasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'task', OLD.id, OLD.project_id,
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'column_id', OLD.column_id, 'title', OLD.title, 'description', OLD.description, 'priority', OLD.priority, 'due_date', OLD.due_date, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at, 'archived_at', OLD.archived_at));
END;
