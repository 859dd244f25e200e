-- Who is on a card: any number of the project's members, by login. Reading follows the card;
-- assigning needs an editor, and the person assigned must be a member of the card's project
-- (row-level security says both). Unassigning needs an editor too (the deletion check).
CREATE TABLE task_assignees (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    login TEXT NOT NULL,
    PRIMARY KEY (task_id, login)
);
CREATE INDEX task_assignees_by_login ON task_assignees (login);

CREATE TRIGGER task_assignees_log AFTER INSERT OR DELETE ON task_assignees
    FOR EACH ROW EXECUTE FUNCTION tandem_log('task_assignee', 'task_id', 'login');
CREATE TRIGGER task_assignees_may_delete BEFORE DELETE ON task_assignees
    FOR EACH ROW EXECUTE FUNCTION tandem_auth.may_delete();

ALTER TABLE task_assignees ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON task_assignees FOR SELECT
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_assignees.task_id));
CREATE POLICY make ON task_assignees FOR INSERT WITH CHECK (
    EXISTS (SELECT 1 FROM tasks t JOIN members m ON m.project_id = t.project_id
            WHERE t.id = task_assignees.task_id AND m.login = session_user
              AND m.role IN ('owner', 'editor'))
    AND EXISTS (SELECT 1 FROM tasks t JOIN members m ON m.project_id = t.project_id
                WHERE t.id = task_assignees.task_id AND m.login = task_assignees.login));
CREATE POLICY remove ON task_assignees FOR DELETE
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_assignees.task_id));

-- A team made before this table: its people may assign (a new team gets it from team init).
DO $$
DECLARE
    team TEXT := (SELECT value FROM meta WHERE key = 'team_role');
BEGIN
    IF team IS NOT NULL THEN
        EXECUTE format('GRANT INSERT, DELETE ON task_assignees TO %I', team);
    END IF;
END
$$;
