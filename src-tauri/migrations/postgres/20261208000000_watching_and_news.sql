-- Watching, and news for each person (a team's server only: on a file every change is the one
-- person's own, so there is no one to tell).
--
-- Whether someone watches a card is worked out, not stored for every card: its creator, the
-- people on it, those who commented on it and those who watch its project watch it, unless
-- they said otherwise (`watching.watch` false); anyone may watch it by choice (true), and being
-- mentioned on it is such a choice, made for them. Only members of the card's project watch.
--
-- News is written by the database alone, in the transaction of the change it tells of, so no
-- client can forge news or tell someone of something they may not see: being assigned, being
-- mentioned (only by a mention new in that write), a comment on a watched card, a watched card
-- moved to another column or archived, and (when a hub asks, see `tandem_due_news`) a watched
-- card due within a day. Never of one's own changes. Each person reads, marks read and deletes
-- only their own; watching and news are logged like everything else, each change readable by
-- its person alone.

-- Who made a card: its creator watches it.
ALTER TABLE tasks ADD COLUMN created_by TEXT DEFAULT session_user;

CREATE TABLE watching (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    login TEXT NOT NULL DEFAULT session_user,
    watch BOOLEAN NOT NULL,
    PRIMARY KEY (task_id, login)
);

CREATE TABLE project_watching (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    login TEXT NOT NULL DEFAULT session_user,
    PRIMARY KEY (project_id, login)
);

CREATE TABLE news (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('assigned', 'mentioned', 'commented', 'moved', 'archived', 'due')),
    project_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    -- Who did it; none for a card falling due.
    actor TEXT,
    -- What to say: the card's title, the column it went to, the words of a comment.
    detail JSONB NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX news_by_login ON news (login, created_at);

CREATE TRIGGER watching_log AFTER INSERT OR UPDATE OR DELETE ON watching
    FOR EACH ROW EXECUTE FUNCTION tandem_log('watch', 'task_id', 'login');
CREATE TRIGGER project_watching_log AFTER INSERT OR DELETE ON project_watching
    FOR EACH ROW EXECUTE FUNCTION tandem_log('project_watch', 'project_id', 'login');
CREATE TRIGGER news_log AFTER INSERT OR UPDATE OR DELETE ON news
    FOR EACH ROW EXECUTE FUNCTION tandem_log('news', 'id', 'login');

ALTER TABLE watching ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON watching FOR ALL
    USING (login = session_user)
    WITH CHECK (login = session_user
        AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = watching.task_id));
ALTER TABLE project_watching ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON project_watching FOR ALL
    USING (login = session_user)
    WITH CHECK (login = session_user
        AND EXISTS (SELECT 1 FROM projects p WHERE p.id = project_watching.project_id));
ALTER TABLE news ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON news FOR SELECT USING (login = session_user);
CREATE POLICY mark ON news FOR UPDATE USING (login = session_user)
    WITH CHECK (login = session_user);
CREATE POLICY remove ON news FOR DELETE USING (login = session_user);

-- The log: a person's watching and news are theirs alone (their id ends `:login`); the rest
-- as before.
DROP POLICY read ON changes;
CREATE POLICY read ON changes FOR SELECT USING (
    CASE WHEN entity IN ('watch', 'project_watch', 'news')
        THEN split_part(entity_id, ':', 2) = session_user
        ELSE EXISTS (SELECT 1 FROM members m WHERE m.project_id = changes.project_id
                     AND m.login = session_user)
            OR (entity = 'member' AND entity_id = project_id || ':' || session_user)
    END);

-- The members of `project` that `body` mentions: `@login`, or `@login` followed by the
-- punctuation that ends a sentence (as the window shows them).
CREATE FUNCTION tandem_mentions(body TEXT, project TEXT) RETURNS SETOF TEXT
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT m.login
    FROM regexp_matches(coalesce(body, ''), '(?:^|[^A-Za-z0-9_.@-])@([A-Za-z][A-Za-z0-9_.@-]*)',
                        'g') AS x(name)
    JOIN members m ON m.project_id = project
        AND m.login IN (x.name[1], rtrim(x.name[1], '_.@-'))
$$;

-- Who watches `task`: members of its project, by choice, or by having made it, being on it,
-- having commented on it, or watching its project.
CREATE FUNCTION tandem_watchers(task TEXT) RETURNS SETOF TEXT LANGUAGE sql STABLE AS $$
    SELECT m.login FROM tasks t JOIN members m ON m.project_id = t.project_id
    WHERE t.id = task AND coalesce(
        (SELECT w.watch FROM watching w WHERE w.task_id = t.id AND w.login = m.login),
        m.login = t.created_by
        OR EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.login = m.login)
        OR EXISTS (SELECT 1 FROM comments c WHERE c.task_id = t.id AND c.author = m.login)
        OR EXISTS (SELECT 1 FROM project_watching p
                   WHERE p.project_id = t.project_id AND p.login = m.login))
$$;

-- Whether the session's login watches `task` (false for a card it cannot see).
CREATE FUNCTION tandem_watching(task TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM tandem_watchers(task) w
                   WHERE w = session_user
                     AND EXISTS (SELECT 1 FROM members m JOIN tasks t ON t.project_id = m.project_id
                                 WHERE t.id = task AND m.login = session_user))
$$;

-- Tells `who` of `kind` on `task`, unless they did it themselves or are not a member.
CREATE FUNCTION tandem_tell(who TEXT, kind TEXT, task TEXT, detail JSONB) RETURNS VOID
LANGUAGE sql AS $$
    INSERT INTO news (id, login, kind, project_id, task_id, actor, detail, created_at)
    SELECT gen_random_uuid()::text, who, kind, t.project_id, t.id, session_user,
        detail || jsonb_build_object('title', t.title),
        (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
    FROM tasks t
    WHERE t.id = task AND who <> session_user
      AND EXISTS (SELECT 1 FROM members m WHERE m.project_id = t.project_id AND m.login = who)
$$;

-- Those `after` mentions that `before` did not: told, and watching the card from now on.
CREATE FUNCTION tandem_tell_mentions(task TEXT, project TEXT, before TEXT, after TEXT,
                                     detail JSONB) RETURNS TEXT[]
LANGUAGE plpgsql AS $$
DECLARE
    told TEXT[] := ARRAY(SELECT tandem_mentions(after, project)
                         EXCEPT SELECT tandem_mentions(before, project));
    who TEXT;
BEGIN
    FOREACH who IN ARRAY told LOOP
        CONTINUE WHEN who = session_user;
        PERFORM tandem_tell(who, 'mentioned', task, detail);
        INSERT INTO watching (task_id, login, watch) VALUES (task, who, true)
        ON CONFLICT (task_id, login) DO UPDATE SET watch = true WHERE NOT watching.watch;
    END LOOP;
    RETURN told;
END
$$;

CREATE FUNCTION tandem_news_of_assignee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tandem_tell(NEW.login, 'assigned', NEW.task_id, '{}');
    RETURN NULL;
END
$$;

-- A comment: those it newly mentions are told so; the card's other watchers, that someone
-- commented. A comment put back (a card's undo, or its move to another project) tells no one
-- again: the log holds its deletion.
CREATE FUNCTION tandem_news_of_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project TEXT := (SELECT project_id FROM tasks WHERE id = NEW.task_id);
    detail JSONB := jsonb_build_object('comment', NEW.id, 'excerpt', left(NEW.body, 200));
    told TEXT[];
    who TEXT;
BEGIN
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM changes c WHERE c.entity_id = NEW.id
                                    AND c.entity = 'comment' AND c.op = 'delete') THEN
        RETURN NULL;
    END IF;
    told := tandem_tell_mentions(NEW.task_id, project,
        CASE WHEN TG_OP = 'UPDATE' THEN OLD.body END, NEW.body, detail);
    IF TG_OP = 'INSERT' THEN
        FOR who IN SELECT tandem_watchers(NEW.task_id) LOOP
            CONTINUE WHEN who = ANY (told);
            PERFORM tandem_tell(who, 'commented', NEW.task_id, detail);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

-- A card: mentions new in its description; its watchers told of a move to another column of
-- its project, and of its archiving.
CREATE FUNCTION tandem_news_of_task() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who TEXT;
    kind TEXT;
    detail JSONB := '{}';
BEGIN
    IF TG_OP = 'INSERT' OR NEW.description IS DISTINCT FROM OLD.description THEN
        PERFORM tandem_tell_mentions(NEW.id, NEW.project_id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.description END, NEW.description,
            jsonb_build_object('excerpt', left(NEW.description, 200)));
    END IF;
    IF TG_OP = 'INSERT' THEN
        RETURN NULL;
    END IF;
    IF OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL THEN
        kind := 'archived';
    ELSIF NEW.column_id IS DISTINCT FROM OLD.column_id AND NEW.project_id = OLD.project_id
          AND NEW.archived_at IS NULL THEN
        kind := 'moved';
        detail := jsonb_build_object('column',
            (SELECT name FROM columns WHERE id = NEW.column_id));
    ELSE
        RETURN NULL;
    END IF;
    FOR who IN SELECT tandem_watchers(NEW.id) LOOP
        PERFORM tandem_tell(who, kind, NEW.id, detail);
    END LOOP;
    RETURN NULL;
END
$$;

-- News of watched cards due by tomorrow (the server's date), each once per person and due
-- date. Any hub may ask as often as it likes: it tells nobody twice, and nobody anything they
-- could not see. Answers how many it told.
CREATE FUNCTION tandem_due_news() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    told BIGINT;
BEGIN
    INSERT INTO news (id, login, kind, project_id, task_id, actor, detail, created_at)
    SELECT gen_random_uuid()::text, w.login, 'due', t.project_id, t.id, NULL,
        jsonb_build_object('title', t.title, 'due', t.due_date),
        (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
    FROM tasks t CROSS JOIN LATERAL tandem_watchers(t.id) AS w(login)
    WHERE t.due_date IS NOT NULL AND t.archived_at IS NULL
      AND t.due_date <= to_char(current_date + 1, 'YYYY-MM-DD')
      AND t.due_date >= to_char(current_date - 1, 'YYYY-MM-DD')
      AND NOT EXISTS (SELECT 1 FROM news n WHERE n.login = w.login AND n.task_id = t.id
                      AND n.kind = 'due' AND n.detail ->> 'due' = t.due_date);
    GET DIAGNOSTICS told = ROW_COUNT;
    RETURN told;
END
$$;

CREATE TRIGGER task_assignees_news AFTER INSERT ON task_assignees
    FOR EACH ROW EXECUTE FUNCTION tandem_news_of_assignee();
CREATE TRIGGER comments_news AFTER INSERT OR UPDATE OF body ON comments
    FOR EACH ROW EXECUTE FUNCTION tandem_news_of_comment();
CREATE TRIGGER tasks_news AFTER INSERT OR UPDATE OF description, column_id, archived_at ON tasks
    FOR EACH ROW EXECUTE FUNCTION tandem_news_of_task();

-- The writers of news run with their owner's rights (people may not write news themselves),
-- on a fixed search path; the readers are plain.
DO $$
DECLARE
    board TEXT := current_schema();
    f TEXT;
    team TEXT := (SELECT value FROM meta WHERE key = 'team_role');
BEGIN
    FOREACH f IN ARRAY ARRAY['tandem_tell(TEXT, TEXT, TEXT, JSONB)',
        'tandem_tell_mentions(TEXT, TEXT, TEXT, TEXT, JSONB)', 'tandem_news_of_assignee()',
        'tandem_news_of_comment()', 'tandem_news_of_task()', 'tandem_due_news()',
        'tandem_watchers(TEXT)', 'tandem_mentions(TEXT, TEXT)', 'tandem_watching(TEXT)'] LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp',
            f, board);
    END LOOP;
    -- Only the news of due cards is anyone's to ask for; the rest run from triggers.
    REVOKE EXECUTE ON FUNCTION tandem_tell(TEXT, TEXT, TEXT, JSONB),
        tandem_tell_mentions(TEXT, TEXT, TEXT, TEXT, JSONB), tandem_watchers(TEXT),
        tandem_mentions(TEXT, TEXT) FROM PUBLIC;
    IF team IS NOT NULL THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON watching, project_watching TO %I', team);
        EXECUTE format('GRANT UPDATE (read_at), DELETE ON news TO %I', team);
    END IF;
END
$$;
