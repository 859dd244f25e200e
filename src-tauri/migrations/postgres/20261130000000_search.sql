-- Full-text search over every card: its title, its description and its checklist's items, as
-- one `tsvector` a task (the `simple` configuration: every word as written, in any language,
-- lower-cased, so it finds what a file's FTS5 index finds). Kept by triggers in the writing
-- transaction, whoever writes. Not logged: it is derived from the board.
--
-- A move touches it not: only a change to a title, a description or a checklist item's title
-- re-indexes its card.

CREATE TABLE search (
    task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE ON UPDATE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX search_by_document ON search USING gin (document);

-- `text` with its punctuation made spaces, so words split where a file's index splits them:
-- the parser alone would keep `example.com` or `e-mail` whole, and `example` would not find it.
CREATE FUNCTION tandem_search_words(text TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(text, '[[:punct:]]+', ' ', 'g')
$$;

-- The searchable text of one task, the title weighing most.
CREATE FUNCTION tandem_search_document(task TEXT) RETURNS TSVECTOR LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', tandem_search_words(t.title)), 'A')
        || setweight(to_tsvector('simple', tandem_search_words(t.description)), 'B')
        || setweight(to_tsvector('simple', tandem_search_words(coalesce(
            (SELECT string_agg(s.title, E'\n') FROM subtasks s WHERE s.task_id = t.id), ''))), 'C')
    FROM tasks t WHERE t.id = task
$$;

-- Indexes the task a row belongs to again: a task's own id, or a checklist item's task_id (the
-- old one too, when an item moved to another task).
CREATE FUNCTION tandem_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tasks' THEN
        INSERT INTO search (task_id, document) VALUES (NEW.id, tandem_search_document(NEW.id))
        ON CONFLICT (task_id) DO UPDATE SET document = excluded.document;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE search SET document = tandem_search_document(OLD.task_id)
        WHERE task_id = OLD.task_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.task_id IS DISTINCT FROM OLD.task_id) THEN
        UPDATE search SET document = tandem_search_document(NEW.task_id)
        WHERE task_id = NEW.task_id;
    END IF;
    RETURN NULL;
END
$$;

INSERT INTO search (task_id, document) SELECT id, tandem_search_document(id) FROM tasks;

CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION tandem_search_index();
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, description ON tasks
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION tandem_search_index();
CREATE TRIGGER subtasks_search_change AFTER INSERT OR DELETE ON subtasks
    FOR EACH ROW EXECUTE FUNCTION tandem_search_index();
CREATE TRIGGER subtasks_search_update AFTER UPDATE OF task_id, title ON subtasks
    FOR EACH ROW
    WHEN (OLD.task_id IS DISTINCT FROM NEW.task_id OR OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION tandem_search_index();
