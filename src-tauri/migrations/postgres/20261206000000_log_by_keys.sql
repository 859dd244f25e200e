-- The log's trigger, and the check on deletions, read a row's identity and project from the row
-- itself instead of naming each table: a table added later needs only its triggers. Behaviour
-- is unchanged.
--
-- A row's id is its `id`, or, for a row without one, its key columns joined by ':' in the order
-- the trigger names them after the entity (`task_labels`: the card's, then the label's). Its
-- project is a project's own id, the row's `project_id`, or its card's project (`task_id`).

CREATE OR REPLACE FUNCTION tandem_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_row JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    old_row JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    row_now JSONB := coalesce(new_row, old_row);
    before JSONB;
    next_seq BIGINT;
    entity_id TEXT;
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
    IF TG_NARGS > 1 THEN
        FOR i IN 1 .. TG_NARGS - 1 LOOP
            entity_id := concat_ws(':', entity_id, row_now ->> TG_ARGV[i]);
        END LOOP;
    ELSE
        entity_id := row_now ->> 'id';
    END IF;
    UPDATE log_head SET seq = seq + 1 RETURNING seq INTO next_seq;
    INSERT INTO changes (seq, op, entity, entity_id, project_id, data, previous, origin, author)
    VALUES (
        next_seq,
        lower(TG_OP),
        TG_ARGV[0],
        entity_id,
        CASE
            WHEN TG_TABLE_NAME = 'projects' THEN row_now ->> 'id'
            WHEN row_now ? 'project_id' THEN row_now ->> 'project_id'
            WHEN row_now ? 'task_id' THEN
                (SELECT project_id FROM tasks WHERE id = row_now ->> 'task_id')
        END,
        new_row,
        before,
        nullif(current_setting('tandem.origin', true), ''),
        session_user
    );
    -- A wake-up only, once per transaction, carrying the seq and nothing else: any login may
    -- LISTEN on any channel. A listener reads the log after its last seq, so a notification
    -- lost while it was away (or left out by a client that set the marker) loses nothing.
    IF nullif(current_setting('tandem.notified', true), '') IS NULL THEN
        PERFORM set_config('tandem.notified', next_seq::text, true);
        PERFORM pg_notify('tandem', next_seq::text);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    board TEXT := quote_ident(current_schema());
BEGIN
    -- Replacing a function resets what it was set to run as: restated.
    EXECUTE format(
        'ALTER FUNCTION tandem_log() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema()
    );
    -- Refuses a deletion beyond one's role (see the migration on people and access).
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION tandem_auth.may_delete() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        DECLARE
            old_row JSONB;
            project TEXT;
            needed INT := CASE WHEN TG_TABLE_NAME IN ('projects', 'members') THEN 4 ELSE 3 END;
        BEGIN
            IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
                WHERE r.rolname = session_user)
               OR pg_catalog.pg_has_role(session_user,
                    (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                    'MEMBER') THEN
                RETURN OLD;
            END IF;
            old_row := pg_catalog.to_jsonb(OLD);
            project := CASE
                WHEN TG_TABLE_NAME = 'projects' THEN old_row ->> 'id'
                WHEN old_row ? 'project_id' THEN old_row ->> 'project_id'
                WHEN old_row ? 'task_id' THEN
                    (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = old_row ->> 'task_id')
            END;
            -- A card's checklist and labels go with it when its project goes.
            IF project IS NULL OR project IN (SELECT tandem_auth.projects_of(needed)) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'your role in this project does not allow this'
                USING ERRCODE = 'insufficient_privilege';
        END
        $b$
    $f$, board);
END
$$;

DROP TRIGGER task_labels_log ON task_labels;
CREATE TRIGGER task_labels_log AFTER INSERT OR DELETE ON task_labels
    FOR EACH ROW EXECUTE FUNCTION tandem_log('task_label', 'task_id', 'label_id');
DROP TRIGGER members_log ON members;
CREATE TRIGGER members_log AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION tandem_log('member', 'project_id', 'login');
