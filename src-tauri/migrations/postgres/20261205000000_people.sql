-- People on the board. A person is their PostgreSQL login, `session_user`: the server
-- authenticated it and no client can change it (only a superuser may SET SESSION
-- AUTHORIZATION). `current_user` follows SET ROLE and security-definer functions, and a custom
-- setting such as `tandem.origin` can be set to anything by anyone: neither is an identity.
--
-- So the log's trigger writes each change's author from `session_user` itself. The origin keeps
-- only what a client may claim about itself (its instance, window and mutation id); a forged
-- origin changes nothing about who wrote a change. Changes made before this migration have no
-- author (NULL).
--
-- `people` holds each person's display name and the colour of their initials. Everyone reads
-- it; each person writes only their own row (row-level security; the schema's owner and
-- superusers are not held to it). It is not board data and is not logged.

ALTER TABLE changes ADD COLUMN author TEXT;

CREATE TABLE people (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(btrim(name)) > 0),
    color TEXT NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$'),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE people ENABLE ROW LEVEL SECURITY;
CREATE POLICY people_read ON people FOR SELECT USING (true);
CREATE POLICY people_own_insert ON people FOR INSERT WITH CHECK (login = session_user);
CREATE POLICY people_own_update ON people FOR UPDATE
    USING (login = session_user) WITH CHECK (login = session_user);
CREATE POLICY people_own_delete ON people FOR DELETE USING (login = session_user);

CREATE OR REPLACE FUNCTION tandem_log() RETURNS trigger LANGUAGE plpgsql AS $$
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
    INSERT INTO changes (seq, op, entity, entity_id, project_id, data, previous, origin, author)
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
        nullif(current_setting('tandem.origin', true), ''),
        session_user
    );
    -- A wake-up only: the same payload is sent once per transaction, and a listener reads the
    -- log after its last seq, so a notification lost while it was away loses nothing.
    PERFORM pg_notify('tandem', '');
    RETURN NULL;
END
$$;

-- The log is written by its trigger alone: the function runs with its owner's rights (the
-- schema's owner), so people need no right to write `changes` or `log_head` themselves, and
-- cannot forge or erase a row of the log. Its search path is fixed (the schema, then pg_temp
-- last) so a caller's search path cannot hijack it.
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION tandem_log() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema()
    );
END
$$;
