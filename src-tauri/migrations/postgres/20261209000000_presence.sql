-- Who is here right now: each copy of Tandem on a team's server says what each of its windows
-- shows (a project, a card open in it, what is being edited there), and keeps saying it. Not
-- history: an unlogged table, outside the change log, that nothing replays. A row is fresh
-- while its copy keeps it (the server's clock stamps it, so machines' clocks do not matter);
-- one not refreshed for 30 seconds is a machine gone (killed, cable out) and counts for
-- nothing. A person writes only their own rows and sees those of the projects they are a
-- member of. A change of what someone looks at wakes every listener (`tandem_presence`, no
-- payload); a refresh wakes no one.
CREATE UNLOGGED TABLE presence (
    login TEXT NOT NULL DEFAULT session_user,
    -- A copy of Tandem, and one of its windows by label ('' for the copy itself, which holds
    -- when its person last did something in any of its windows).
    instance TEXT NOT NULL,
    window_label TEXT NOT NULL,
    project_id TEXT,
    task_id TEXT,
    -- What is being edited in the card: 'title', 'description' or 'comment'.
    editing TEXT CHECK (editing IN ('title', 'description', 'comment')),
    active_at BIGINT NOT NULL DEFAULT 0,
    seen_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (instance, window_label)
);
CREATE INDEX presence_by_project ON presence (project_id) WHERE project_id IS NOT NULL;

CREATE FUNCTION tandem_presence_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seen_at := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    RETURN NEW;
END
$$;
CREATE TRIGGER presence_stamp BEFORE INSERT OR UPDATE ON presence
    FOR EACH ROW EXECUTE FUNCTION tandem_presence_stamp();

CREATE FUNCTION tandem_presence_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tandem_presence', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER presence_wake_change AFTER INSERT OR DELETE ON presence
    FOR EACH ROW EXECUTE FUNCTION tandem_presence_wake();
CREATE TRIGGER presence_wake_update AFTER UPDATE ON presence
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id
                       OR OLD.task_id IS DISTINCT FROM NEW.task_id
                       OR OLD.editing IS DISTINCT FROM NEW.editing)
    EXECUTE FUNCTION tandem_presence_wake();

ALTER TABLE presence ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON presence FOR SELECT USING (
    login = session_user
    OR EXISTS (SELECT 1 FROM members m WHERE m.project_id = presence.project_id
               AND m.login = session_user));
CREATE POLICY own ON presence FOR INSERT WITH CHECK (login = session_user);
CREATE POLICY change ON presence FOR UPDATE USING (login = session_user)
    WITH CHECK (login = session_user);
CREATE POLICY remove ON presence FOR DELETE USING (login = session_user);

-- Clears rows gone stale for a while (copies that vanished), anyone's: they say nothing.
CREATE FUNCTION tandem_presence_tidy() RETURNS VOID LANGUAGE sql AS $$
    DELETE FROM presence
    WHERE seen_at < (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT - 600000
$$;

DO $$
DECLARE
    team TEXT := (SELECT value FROM meta WHERE key = 'team_role');
BEGIN
    EXECUTE format(
        'ALTER FUNCTION tandem_presence_tidy() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema()
    );
    IF team IS NOT NULL THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON presence TO %I', team);
    END IF;
END
$$;
