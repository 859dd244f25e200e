-- The board and its change log.
--
-- Every table that holds board state is logged by triggers into `changes`, in the same
-- transaction as the change itself, so the log is complete whoever writes the file: Tandem, the
-- sqlite3 shell, or a sync tool (invariant I1). Tandem stamps `origin` on the rows its own
-- transactions wrote; rows left without an origin came from another program.
--
-- Times are Unix milliseconds. Positions are sparse integers, so a move rewrites one row.

CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE columns (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    wip_limit INTEGER CHECK (wip_limit IS NULL OR wip_limit > 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX columns_by_project ON columns (project_id, position);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    column_id TEXT NOT NULL REFERENCES columns (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL DEFAULT 'none'
        CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    due_date TEXT,
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tasks_by_column ON tasks (column_id, position);
CREATE INDEX tasks_by_project ON tasks (project_id);

CREATE TABLE subtasks (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX subtasks_by_task ON subtasks (task_id, position);

CREATE TABLE labels (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX labels_by_project ON labels (project_id);

CREATE TABLE task_labels (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
) STRICT;
CREATE INDEX task_labels_by_label ON task_labels (label_id);

-- One row per changed entity per committed transaction. `seq` is the total commit order across
-- every process sharing the file; AUTOINCREMENT keeps it from ever being reused.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    project_id TEXT,
    -- The row after the change, as JSON (insert, update).
    data TEXT,
    -- The changed fields' old values (update), or the whole old row (delete), as JSON.
    previous TEXT,
    -- {instance, actor, window, mutation_id} as JSON; NULL when another program wrote it.
    origin TEXT,
    at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
) STRICT;
CREATE INDEX changes_by_project ON changes (project_id, seq);
CREATE INDEX changes_by_entity ON changes (entity_id, seq);

CREATE TRIGGER projects_log_insert AFTER INSERT ON projects
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'project', NEW.id, NEW.id,
        json_object('id', NEW.id, 'name', NEW.name, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;

CREATE TRIGGER projects_log_update AFTER UPDATE ON projects
WHEN OLD.id IS NOT NEW.id
    OR OLD.name IS NOT NEW.name
    OR OLD.position IS NOT NEW.position
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'project', NEW.id, NEW.id,
        json_object('id', NEW.id, 'name', NEW.name, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at),
        json_remove(json_object('id', OLD.id, 'name', OLD.name, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at),
            CASE WHEN OLD.id IS NEW.id THEN '$.id' ELSE '$._' END,
            CASE WHEN OLD.name IS NEW.name THEN '$.name' ELSE '$._' END,
            CASE WHEN OLD.position IS NEW.position THEN '$.position' ELSE '$._' END,
            CASE WHEN OLD.version IS NEW.version THEN '$.version' ELSE '$._' END,
            CASE WHEN OLD.created_at IS NEW.created_at THEN '$.created_at' ELSE '$._' END,
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END));
END;

CREATE TRIGGER projects_log_delete AFTER DELETE ON projects
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'project', OLD.id, OLD.id,
        json_object('id', OLD.id, 'name', OLD.name, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at));
END;

CREATE TRIGGER columns_log_insert AFTER INSERT ON columns
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'column', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'position', NEW.position, 'wip_limit', NEW.wip_limit, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;

CREATE TRIGGER columns_log_update AFTER UPDATE ON columns
WHEN OLD.id IS NOT NEW.id
    OR OLD.project_id IS NOT NEW.project_id
    OR OLD.name IS NOT NEW.name
    OR OLD.position IS NOT NEW.position
    OR OLD.wip_limit IS NOT NEW.wip_limit
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'column', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'position', NEW.position, 'wip_limit', NEW.wip_limit, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at),
        json_remove(json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'position', OLD.position, 'wip_limit', OLD.wip_limit, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at),
            CASE WHEN OLD.id IS NEW.id THEN '$.id' ELSE '$._' END,
            CASE WHEN OLD.project_id IS NEW.project_id THEN '$.project_id' ELSE '$._' END,
            CASE WHEN OLD.name IS NEW.name THEN '$.name' ELSE '$._' END,
            CASE WHEN OLD.position IS NEW.position THEN '$.position' ELSE '$._' END,
            CASE WHEN OLD.wip_limit IS NEW.wip_limit THEN '$.wip_limit' ELSE '$._' END,
            CASE WHEN OLD.version IS NEW.version THEN '$.version' ELSE '$._' END,
            CASE WHEN OLD.created_at IS NEW.created_at THEN '$.created_at' ELSE '$._' END,
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END));
END;

CREATE TRIGGER columns_log_delete AFTER DELETE ON columns
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'column', OLD.id, OLD.project_id,
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'position', OLD.position, 'wip_limit', OLD.wip_limit, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at));
END;

CREATE TRIGGER tasks_log_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'task', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'column_id', NEW.column_id, 'title', NEW.title, 'description', NEW.description, 'priority', NEW.priority, 'due_date', NEW.due_date, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
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
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'task', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'column_id', NEW.column_id, 'title', NEW.title, 'description', NEW.description, 'priority', NEW.priority, 'due_date', NEW.due_date, 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at),
        json_remove(json_object('id', OLD.id, 'project_id', OLD.project_id, 'column_id', OLD.column_id, 'title', OLD.title, 'description', OLD.description, 'priority', OLD.priority, 'due_date', OLD.due_date, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at),
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
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END));
END;

CREATE TRIGGER tasks_log_delete AFTER DELETE ON tasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'task', OLD.id, OLD.project_id,
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'column_id', OLD.column_id, 'title', OLD.title, 'description', OLD.description, 'priority', OLD.priority, 'due_date', OLD.due_date, 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at));
END;

CREATE TRIGGER subtasks_log_insert AFTER INSERT ON subtasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'subtask', NEW.id, (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('id', NEW.id, 'task_id', NEW.task_id, 'title', NEW.title, 'done', json(CASE WHEN NEW.done THEN 'true' ELSE 'false' END), 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;

CREATE TRIGGER subtasks_log_update AFTER UPDATE ON subtasks
WHEN OLD.id IS NOT NEW.id
    OR OLD.task_id IS NOT NEW.task_id
    OR OLD.title IS NOT NEW.title
    OR OLD.done IS NOT NEW.done
    OR OLD.position IS NOT NEW.position
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'subtask', NEW.id, (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('id', NEW.id, 'task_id', NEW.task_id, 'title', NEW.title, 'done', json(CASE WHEN NEW.done THEN 'true' ELSE 'false' END), 'position', NEW.position, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at),
        json_remove(json_object('id', OLD.id, 'task_id', OLD.task_id, 'title', OLD.title, 'done', json(CASE WHEN OLD.done THEN 'true' ELSE 'false' END), 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at),
            CASE WHEN OLD.id IS NEW.id THEN '$.id' ELSE '$._' END,
            CASE WHEN OLD.task_id IS NEW.task_id THEN '$.task_id' ELSE '$._' END,
            CASE WHEN OLD.title IS NEW.title THEN '$.title' ELSE '$._' END,
            CASE WHEN OLD.done IS NEW.done THEN '$.done' ELSE '$._' END,
            CASE WHEN OLD.position IS NEW.position THEN '$.position' ELSE '$._' END,
            CASE WHEN OLD.version IS NEW.version THEN '$.version' ELSE '$._' END,
            CASE WHEN OLD.created_at IS NEW.created_at THEN '$.created_at' ELSE '$._' END,
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END));
END;

CREATE TRIGGER subtasks_log_delete AFTER DELETE ON subtasks
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'subtask', OLD.id, (SELECT project_id FROM tasks WHERE id = OLD.task_id),
        json_object('id', OLD.id, 'task_id', OLD.task_id, 'title', OLD.title, 'done', json(CASE WHEN OLD.done THEN 'true' ELSE 'false' END), 'position', OLD.position, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at));
END;

CREATE TRIGGER labels_log_insert AFTER INSERT ON labels
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'label', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'color', NEW.color, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;

CREATE TRIGGER labels_log_update AFTER UPDATE ON labels
WHEN OLD.id IS NOT NEW.id
    OR OLD.project_id IS NOT NEW.project_id
    OR OLD.name IS NOT NEW.name
    OR OLD.color IS NOT NEW.color
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data, previous)
    VALUES ('update', 'label', NEW.id, NEW.project_id,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'color', NEW.color, 'version', NEW.version, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at),
        json_remove(json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'color', OLD.color, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at),
            CASE WHEN OLD.id IS NEW.id THEN '$.id' ELSE '$._' END,
            CASE WHEN OLD.project_id IS NEW.project_id THEN '$.project_id' ELSE '$._' END,
            CASE WHEN OLD.name IS NEW.name THEN '$.name' ELSE '$._' END,
            CASE WHEN OLD.color IS NEW.color THEN '$.color' ELSE '$._' END,
            CASE WHEN OLD.version IS NEW.version THEN '$.version' ELSE '$._' END,
            CASE WHEN OLD.created_at IS NEW.created_at THEN '$.created_at' ELSE '$._' END,
            CASE WHEN OLD.updated_at IS NEW.updated_at THEN '$.updated_at' ELSE '$._' END));
END;

CREATE TRIGGER labels_log_delete AFTER DELETE ON labels
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'label', OLD.id, OLD.project_id,
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'color', OLD.color, 'version', OLD.version, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at));
END;

CREATE TRIGGER task_labels_log_insert AFTER INSERT ON task_labels
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'task_label', NEW.task_id || ':' || NEW.label_id, (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('task_id', NEW.task_id, 'label_id', NEW.label_id));
END;

CREATE TRIGGER task_labels_log_delete AFTER DELETE ON task_labels
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'task_label', OLD.task_id || ':' || OLD.label_id, (SELECT project_id FROM tasks WHERE id = OLD.task_id),
        json_object('task_id', OLD.task_id, 'label_id', OLD.label_id));
END;
