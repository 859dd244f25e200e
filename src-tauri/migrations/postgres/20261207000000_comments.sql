-- A card's conversation: comments in Markdown, in the order written. Who wrote one is the
-- database's word (`session_user`), never the client's. Reading follows the card; a commenter
-- or above comments; the author alone edits (the body only); the author or the project's owner
-- deletes, and an editor only with the card itself: a comment an editor deletes must be gone
-- with its card, or back on it, when the transaction commits (a card moved to another project
-- leaves and comes back with its conversation). Put back only as it was: `tandem_comment_back`
-- re-inserts a comment exactly as the log says it was deleted, for an editor restoring or
-- moving its card, or for its author taking back their deletion.
CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author TEXT NOT NULL DEFAULT session_user,
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 65536),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX comments_by_task ON comments (task_id, created_at);

CREATE TRIGGER comments_log AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION tandem_log('comment');

ALTER TABLE comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON comments FOR SELECT
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = comments.task_id));
CREATE POLICY make ON comments FOR INSERT WITH CHECK (
    author = session_user
    AND EXISTS (SELECT 1 FROM tasks t JOIN members m ON m.project_id = t.project_id
                WHERE t.id = comments.task_id AND m.login = session_user
                  AND m.role IN ('owner', 'editor', 'commenter')));
-- Another's comment is visible to an update, so editing it fails aloud rather than changing
-- nothing in silence; the check lets only the author's through.
CREATE POLICY change ON comments FOR UPDATE
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = comments.task_id))
    WITH CHECK (author = session_user
        AND EXISTS (SELECT 1 FROM tasks t JOIN members m ON m.project_id = t.project_id
                    WHERE t.id = comments.task_id AND m.login = session_user
                      AND m.role IN ('owner', 'editor', 'commenter')));
CREATE POLICY remove ON comments FOR DELETE
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = comments.task_id));

DO $$
DECLARE
    board TEXT := quote_ident(current_schema());
    team TEXT := (SELECT value FROM meta WHERE key = 'team_role');
BEGIN
    -- Refuses a deletion beyond one's role, in words (a policy would only hide the row). An
    -- editor's deletion of another's comment is let through here and checked at commit.
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.may_delete_comment() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        DECLARE
            project TEXT := (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = OLD.task_id);
        BEGIN
            IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
                WHERE r.rolname = session_user)
               OR pg_catalog.pg_has_role(session_user,
                    (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                    'MEMBER')
               -- Going with its card (a cascade), or its author's, or as the project's owner.
               OR project IS NULL OR OLD.author = session_user
               OR tandem_auth.may(project, 3) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'only its author or the project''s owner may delete a comment'
                USING ERRCODE = 'insufficient_privilege';
        END
        $b$
    $f$, board);
    -- At commit: a comment deleted by an editor who neither wrote it nor owns the project is
    -- gone with its card, or back on it as it was.
    EXECUTE format($f$
        CREATE FUNCTION tandem_auth.comment_went_with_its_card() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        DECLARE
            project TEXT := (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = OLD.task_id);
        BEGIN
            IF project IS NULL OR OLD.author = session_user
               OR (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
                   WHERE r.rolname = session_user)
               OR pg_catalog.pg_has_role(session_user,
                    (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                    'MEMBER')
               OR tandem_auth.may(project, 4)
               OR EXISTS (SELECT 1 FROM %1$s.comments c WHERE c.id = OLD.id
                          AND c.author = OLD.author AND c.body = OLD.body) THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'only its author or the project''s owner may delete a comment'
                USING ERRCODE = 'insufficient_privilege';
        END
        $b$
    $f$, board);
    -- Puts back comment `id` on its card exactly as the log says it was deleted (its author,
    -- body and times), for an editor of the card's project (the undo of a card's deletion, and
    -- a card's conversation following it to another project) or its author. Nothing else can be forged with
    -- it: the row is the log's, not the caller's.
    EXECUTE format($f$
        CREATE FUNCTION %1$s.tandem_comment_back(comment TEXT, task TEXT, at BIGINT)
        RETURNS VOID LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $b$
        DECLARE
            logged JSONB := (SELECT c.previous FROM %1$s.changes c
                WHERE c.entity = 'comment' AND c.entity_id = comment AND c.op = 'delete'
                ORDER BY c.seq DESC LIMIT 1);
            project TEXT := (SELECT t.project_id FROM %1$s.tasks t WHERE t.id = task);
        BEGIN
            IF logged IS NULL OR project IS NULL OR NOT (tandem_auth.may(project, 3)
                OR (logged ->> 'author' = session_user AND tandem_auth.may(project, 2))) THEN
                RAISE EXCEPTION 'your role in this project does not allow this'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            INSERT INTO %1$s.comments
                (id, task_id, author, body, version, created_at, updated_at, edited_at)
            VALUES (comment, task, logged ->> 'author', logged ->> 'body',
                (logged ->> 'version')::BIGINT + 1, (logged ->> 'created_at')::BIGINT, at,
                (logged ->> 'edited_at')::BIGINT)
            ON CONFLICT (id) DO NOTHING;
        END
        $b$
    $f$, board);
    IF team IS NOT NULL THEN
        EXECUTE format('GRANT INSERT, DELETE ON comments TO %I', team);
        EXECUTE format('GRANT UPDATE (body, version, updated_at, edited_at) ON comments TO %I',
            team);
    END IF;
END
$$;

CREATE TRIGGER comments_may_delete BEFORE DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION tandem_auth.may_delete_comment();
CREATE CONSTRAINT TRIGGER comments_went_with_their_card AFTER DELETE ON comments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION tandem_auth.comment_went_with_its_card();

-- Search finds words in comments too, weighing least.
CREATE OR REPLACE FUNCTION tandem_search_document(task TEXT) RETURNS TSVECTOR LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', tandem_search_words(t.title)), 'A')
        || setweight(to_tsvector('simple', tandem_search_words(t.description)), 'B')
        || setweight(to_tsvector('simple', tandem_search_words(coalesce(
            (SELECT string_agg(s.title, E'\n') FROM subtasks s WHERE s.task_id = t.id), ''))), 'C')
        || setweight(to_tsvector('simple', tandem_search_words(coalesce(
            (SELECT string_agg(c.body, E'\n') FROM comments c WHERE c.task_id = t.id), ''))), 'D')
    FROM tasks t WHERE t.id = task
$$;
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION tandem_search_document(TEXT) SET search_path = %I, pg_temp',
        current_schema()
    );
END
$$;
CREATE TRIGGER comments_search_change AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION tandem_search_index();
CREATE TRIGGER comments_search_update AFTER UPDATE OF body ON comments
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION tandem_search_index();
