-- The board and its change log on a PostgreSQL server: the same tables, columns and JSON as a
-- file's (src-tauri/migrations/sqlite), so the store's rules and every reader are shared.
--
-- One generic trigger function logs every table into `changes`, in the same transaction as the
-- change, whoever writes: Tandem on any machine, or a `psql` session (invariant I1). `seq` is
-- handed out by the one-row counter `log_head`, inside the writing transaction: writers queue
-- on that row, so seqs follow commit order and a rolled-back write leaves no gap. A sequence
-- would not do: its values are handed out before commit, so a reader could see seq 2 while seq 1
-- is still uncommitted and skip it for good.
--
-- Times are Unix milliseconds. Positions are sparse integers, so a move rewrites one row.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE columns (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    wip_limit BIGINT CHECK (wip_limit IS NULL OR wip_limit > 0),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX columns_by_project ON columns (project_id, position);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    column_id TEXT NOT NULL REFERENCES columns (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL DEFAULT 'none'
        CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    due_date TEXT,
    position BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_by_column ON tasks (column_id, position);
CREATE INDEX tasks_by_project ON tasks (project_id);

CREATE TABLE subtasks (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done BOOLEAN NOT NULL DEFAULT false,
    position BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subtasks_by_task ON subtasks (task_id, position);

CREATE TABLE labels (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX labels_by_project ON labels (project_id);

CREATE TABLE task_labels (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
);
CREATE INDEX task_labels_by_label ON task_labels (label_id);

-- The log's last seq. One row; a writer's trigger takes its lock and holds it until commit.
CREATE TABLE log_head (
    one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    seq BIGINT NOT NULL
);
INSERT INTO log_head (seq) VALUES (0);

-- One row per changed entity per committed transaction, in commit order across every machine.
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    project_id TEXT,
    -- The row after the change (insert, update).
    data JSONB,
    -- The changed fields' old values (update), or the whole old row (delete).
    previous JSONB,
    -- {instance, actor, window, mutation_id} as JSON text; NULL when another program wrote it.
    origin TEXT CHECK (origin IS NULL OR origin::jsonb IS NOT NULL),
    at BIGINT NOT NULL DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000))::BIGINT
);
CREATE INDEX changes_by_project ON changes (project_id, seq);
CREATE INDEX changes_by_entity ON changes (entity_id, seq);

-- Logs one row's change. The entity's name is the trigger's argument. Tandem puts its origin in
-- the transaction-local setting `tandem.origin`; other programs leave it unset (NULL).
CREATE FUNCTION tandem_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_row JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    old_row JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    row_now JSONB := coalesce(new_row, old_row);
    before JSONB;
    next_seq BIGINT;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF new_row = old_row THEN
            RETURN NULL;
        END IF;
        SELECT jsonb_object_agg(o.key, o.value) INTO before
        FROM jsonb_each(old_row) o
        WHERE new_row -> o.key IS DISTINCT FROM o.value;
    ELSIF TG_OP = 'DELETE' THEN
        before := old_row;
    END IF;
    UPDATE log_head SET seq = seq + 1 RETURNING seq INTO next_seq;
    INSERT INTO changes (seq, op, entity, entity_id, project_id, data, previous, origin)
    VALUES (
        next_seq,
        lower(TG_OP),
        TG_ARGV[0],
        coalesce(row_now ->> 'id', (row_now ->> 'task_id') || ':' || (row_now ->> 'label_id')),
        CASE TG_TABLE_NAME
            WHEN 'projects' THEN row_now ->> 'id'
            WHEN 'subtasks' THEN (SELECT project_id FROM tasks WHERE id = row_now ->> 'task_id')
            WHEN 'task_labels' THEN (SELECT project_id FROM tasks WHERE id = row_now ->> 'task_id')
            ELSE row_now ->> 'project_id'
        END,
        new_row,
        before,
        nullif(current_setting('tandem.origin', true), '')
    );
    -- A wake-up only: the same payload is sent once per transaction, and a listener reads the
    -- log after its last seq, so a notification lost while it was away loses nothing.
    PERFORM pg_notify('tandem', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER projects_log AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION tandem_log('project');
CREATE TRIGGER columns_log AFTER INSERT OR UPDATE OR DELETE ON columns
    FOR EACH ROW EXECUTE FUNCTION tandem_log('column');
CREATE TRIGGER tasks_log AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tandem_log('task');
CREATE TRIGGER subtasks_log AFTER INSERT OR UPDATE OR DELETE ON subtasks
    FOR EACH ROW EXECUTE FUNCTION tandem_log('subtask');
CREATE TRIGGER labels_log AFTER INSERT OR UPDATE OR DELETE ON labels
    FOR EACH ROW EXECUTE FUNCTION tandem_log('label');
CREATE TRIGGER task_labels_log AFTER INSERT OR DELETE ON task_labels
    FOR EACH ROW EXECUTE FUNCTION tandem_log('task_label');
