-- Who is on a card: any number of people, by login. On a file the people are those the board
-- knows; the store adds a name it has not seen to `people` as it assigns it. No foreign key to
-- `people`: a board copied from a server keeps its assignees whether or not their names came.
CREATE TABLE task_assignees (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    login TEXT NOT NULL,
    PRIMARY KEY (task_id, login)
) STRICT;
CREATE INDEX task_assignees_by_login ON task_assignees (login);

CREATE TRIGGER task_assignees_log_insert AFTER INSERT ON task_assignees
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, data)
    VALUES ('insert', 'task_assignee', NEW.task_id || ':' || NEW.login,
        (SELECT project_id FROM tasks WHERE id = NEW.task_id),
        json_object('task_id', NEW.task_id, 'login', NEW.login));
END;

CREATE TRIGGER task_assignees_log_delete AFTER DELETE ON task_assignees
BEGIN
    INSERT INTO changes (op, entity, entity_id, project_id, previous)
    VALUES ('delete', 'task_assignee', OLD.task_id || ':' || OLD.login,
        (SELECT project_id FROM tasks WHERE id = OLD.task_id),
        json_object('task_id', OLD.task_id, 'login', OLD.login));
END;
