-- People on the board. A person is their PostgreSQL login, `session_user`: the server
-- authenticated it and no client can change it (only a superuser may SET SESSION
-- AUTHORIZATION). `current_user` follows SET ROLE and security-definer functions, and a custom
-- setting such as `tandem.origin` can be set to anything by anyone: neither is an identity.
--
-- So the log's trigger (restated below, with members) writes each change's author from
-- `session_user` itself. The origin keeps only what a client may claim about itself (its
-- instance, window and mutation id); a forged origin changes nothing about who wrote a change.
-- Changes made before this migration have no author (NULL).
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

-- Members and roles per project, enforced by the database itself, so a person's own `psql`
-- session gets no further than their app.
--
-- Roles, from most to least: owner (members, rename or delete the project), editor (cards,
-- columns, labels, checklists), commenter (reads; comments once they exist), viewer (reads).
-- The person who creates a project is its owner (a trigger says so). Existing projects become
-- the owner's of whoever runs this migration: the database's owner.
--
-- Row-level security on every table of the board and on the log: a login that is not a member
-- of a project sees none of its rows; a write beyond one's role is refused with
-- insufficient_privilege (42501). Superusers and the tables' owner are not held to it (no FORCE):
-- the database's owner administers the team, as a superuser would.
--
-- Memberships outlive their project (no foreign key): the log rows of a deleted project stay
-- readable by those who could read them, so their windows hear of the deletion.

CREATE TABLE members (
    project_id TEXT NOT NULL,
    login TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'commenter', 'viewer')),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, login)
);
CREATE INDEX members_by_login ON members (login, project_id) INCLUDE (role);

-- The helpers policies call live in a schema of their own. They run with their owner's rights
-- (security definer: a policy on `members` cannot read `members` otherwise) and with a fixed
-- search path, so a caller's search path cannot hijack them.
CREATE SCHEMA tandem_auth;
REVOKE ALL ON SCHEMA tandem_auth FROM PUBLIC;

DO $$
DECLARE
    board TEXT := quote_ident(current_schema());
BEGIN
    -- The rank of a role: 4 owner, 3 editor, 2 commenter, 1 viewer. Pure (it reads no table),
    -- so it needs no search path of its own and is inlined where it is called.
    EXECUTE $f$
        CREATE FUNCTION tandem_auth.rank(role TEXT) RETURNS INT LANGUAGE sql IMMUTABLE AS $b$
            SELECT CASE role WHEN 'owner' THEN 4 WHEN 'editor' THEN 3
                             WHEN 'commenter' THEN 2 WHEN 'viewer' THEN 1 ELSE 0 END
        $b$
    $f$;
    -- The projects in which the session's login holds at least the role ranked `at_least`.
    -- Called as `project_id IN (SELECT tandem_auth.projects_of(n))`: once per query, not per
    -- row, so reading a whole board costs one call. PL/pgSQL, whose plans are kept for the
    -- session: a SQL function's are made again at every call (PostgreSQL 15).
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.projects_of(at_least INT) RETURNS SETOF TEXT
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $b$
        BEGIN
            RETURN QUERY SELECT m.project_id FROM %s.members m
            WHERE m.login = session_user AND tandem_auth.rank(m.role) >= at_least;
        END
        $b$
    $f$, board);
    -- Whether the session's login holds at least the role ranked `at_least` in `project`: one
    -- index probe, for the policies of `members` itself.
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.may(project TEXT, at_least INT) RETURNS BOOLEAN
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $b$
        BEGIN
            RETURN EXISTS (SELECT 1 FROM %s.members m
                           WHERE m.project_id = project AND m.login = session_user
                             AND tandem_auth.rank(m.role) >= at_least);
        END
        $b$
    $f$, board);
    -- Refuses a deletion beyond one's role: a policy would only hide the row, and a delete
    -- that silently deletes nothing is a lie.
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.may_delete() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        DECLARE
            old_row JSONB;
            project TEXT;
            needed INT := CASE WHEN TG_TABLE_NAME IN ('projects', 'members') THEN 4 ELSE 3 END;
        BEGIN
            -- Those row-level security does not hold (superusers, BYPASSRLS roles, the table's
            -- owner) are not held to this either. `current_user` is this function's owner here:
            -- the session's login is who asks.
            IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
                WHERE r.rolname = session_user)
               OR pg_catalog.pg_has_role(session_user,
                    (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                    'MEMBER') THEN
                RETURN OLD;
            END IF;
            -- As JSON: PL/pgSQL resolves every branch's fields, and each table has its own.
            old_row := pg_catalog.to_jsonb(OLD);
            project := CASE TG_TABLE_NAME
                WHEN 'projects' THEN old_row ->> 'id'
                WHEN 'subtasks' THEN
                    (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = old_row ->> 'task_id')
                WHEN 'task_labels' THEN
                    (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = old_row ->> 'task_id')
                ELSE old_row ->> 'project_id'
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
    -- Makes the person who creates a project its owner.
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.owner_of_new_project() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        BEGIN
            INSERT INTO %s.members (project_id, login, role, created_at, updated_at)
            VALUES (NEW.id, session_user, 'owner', NEW.created_at, NEW.created_at)
            ON CONFLICT (project_id, login) DO NOTHING;
            RETURN NULL;
        END
        $b$
    $f$, board);
END
$$;

-- The log's trigger, for every table: the author from `session_user`, a member's change named
-- `project:login`. It runs with its owner's rights (the schema's owner), so people need no
-- right to write `changes` or `log_head` themselves and cannot forge or erase a row of the log;
-- its search path is fixed (the schema, then pg_temp last) so a caller's cannot hijack it.
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
        CASE TG_TABLE_NAME
            WHEN 'members' THEN (row_now ->> 'project_id') || ':' || (row_now ->> 'login')
            ELSE coalesce(row_now ->> 'id',
                          (row_now ->> 'task_id') || ':' || (row_now ->> 'label_id'))
        END,
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
BEGIN
    EXECUTE format(
        'ALTER FUNCTION tandem_log() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema()
    );
END
$$;

CREATE TRIGGER members_log AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION tandem_log('member');
CREATE TRIGGER projects_owner AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION tandem_auth.owner_of_new_project();

-- Every project there is becomes its migrator's, who owns the database.
INSERT INTO members (project_id, login, role, created_at, updated_at)
SELECT id, session_user, 'owner', created_at, created_at FROM projects;

-- The policies. Reading needs any role; writing cards, columns, labels and checklists needs
-- editor; a project's own row and its members need owner. A write beyond one's role fails
-- (WITH CHECK, or the deletion trigger) rather than quietly doing nothing.
--
-- Each row is checked by one probe of `members`' primary key, inlined in the query (one
-- membership: the row's project and the session's login): cheapest for the one row a write or
-- a lookup touches, and a few microseconds a card for a whole board. A person reads their own
-- memberships without calling anything, so these probes never call back into a function;
-- `members`' own policies use the security-definer helpers, as a policy on a table cannot
-- read that table.
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON members FOR SELECT
    USING (login = session_user OR project_id IN (SELECT tandem_auth.projects_of(1)));
CREATE POLICY make ON members FOR INSERT WITH CHECK (tandem_auth.may(project_id, 4));
CREATE POLICY change ON members FOR UPDATE USING (tandem_auth.may(project_id, 1))
    WITH CHECK (tandem_auth.may(project_id, 4));
CREATE POLICY remove ON members FOR DELETE USING (tandem_auth.may(project_id, 1));

DO $$
DECLARE
    t TEXT;
    -- The row's project is one of the session's, with at least the roles listed (%2$s).
    member CONSTANT TEXT := 'EXISTS (SELECT 1 FROM members m WHERE m.project_id = %1$s
        AND m.login = session_user AND m.role IN (%2$s))';
    anyone CONSTANT TEXT := '''owner'', ''editor'', ''commenter'', ''viewer''';
    editors CONSTANT TEXT := '''owner'', ''editor''';
    owners CONSTANT TEXT := '''owner''';
BEGIN
    ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
    EXECUTE format('CREATE POLICY read ON projects FOR SELECT USING (%s)',
        format(member, 'projects.id', anyone));
    CREATE POLICY make ON projects FOR INSERT WITH CHECK (true);
    EXECUTE format('CREATE POLICY change ON projects FOR UPDATE USING (%s) WITH CHECK (%s)',
        format(member, 'projects.id', anyone), format(member, 'projects.id', owners));
    EXECUTE format('CREATE POLICY remove ON projects FOR DELETE USING (%s)',
        format(member, 'projects.id', anyone));
    FOREACH t IN ARRAY ARRAY['columns', 'tasks', 'labels'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY read ON %I FOR SELECT USING (%s)',
            t, format(member, t || '.project_id', anyone));
        EXECUTE format('CREATE POLICY make ON %I FOR INSERT WITH CHECK (%s)',
            t, format(member, t || '.project_id', editors));
        EXECUTE format('CREATE POLICY change ON %I FOR UPDATE USING (%s) WITH CHECK (%s)',
            t, format(member, t || '.project_id', anyone),
            format(member, t || '.project_id', editors));
        EXECUTE format('CREATE POLICY remove ON %I FOR DELETE USING (%s)',
            t, format(member, t || '.project_id', anyone));
    END LOOP;
    -- A checklist item and a card's label belong to their card's project.
    FOREACH t IN ARRAY ARRAY['subtasks', 'task_labels'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY read ON %1$I FOR SELECT
            USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = %1$I.task_id))', t);
        EXECUTE format('CREATE POLICY make ON %1$I FOR INSERT
            WITH CHECK (EXISTS (SELECT 1 FROM tasks t WHERE t.id = %1$I.task_id AND %2$s))',
            t, format(member, 't.project_id', editors));
        EXECUTE format('CREATE POLICY change ON %1$I FOR UPDATE
            USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = %1$I.task_id))
            WITH CHECK (EXISTS (SELECT 1 FROM tasks t WHERE t.id = %1$I.task_id AND %2$s))',
            t, format(member, 't.project_id', editors));
        EXECUTE format('CREATE POLICY remove ON %1$I FOR DELETE
            USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = %1$I.task_id))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['projects', 'members', 'columns', 'tasks', 'labels', 'subtasks',
                             'task_labels'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON %I
            FOR EACH ROW EXECUTE FUNCTION tandem_auth.may_delete()', t || '_may_delete', t);
    END LOOP;
    -- The log: a reader sees the changes of the projects it may read, and the changes to its
    -- own memberships (so a window hears that it was let go).
    ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
    EXECUTE format('CREATE POLICY read ON changes FOR SELECT USING (%s
        OR (entity = ''member'' AND entity_id = project_id || '':'' || session_user))',
        format(member, 'changes.project_id', anyone));
END
$$;

-- The search index holds every card's words: read with its card, written by its triggers
-- alone, with their owner's rights.
ALTER TABLE search ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON search FOR SELECT
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = search.task_id));
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION tandem_search_index() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION tandem_search_document(TEXT) SET search_path = %I, pg_temp',
        current_schema()
    );
END
$$;

-- The log's head, `log_head`, stays readable by every member: it reveals only how many changes
-- there are, and lets a reader tell a seq it may not see from one not yet read.
CREATE INDEX changes_by_entity_kind ON changes (entity, entity_id) WHERE entity = 'member';
