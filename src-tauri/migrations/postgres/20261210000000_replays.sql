-- Exactly once, for changes a machine queued while the server was away: each machine numbers
-- its queued changes without gaps, and the server keeps, per machine, the last number applied,
-- written in the same transaction as the change itself. A change whose COMMIT outcome the
-- machine never heard (the connection cut, the machine gone mid-replay) is sent again and
-- found applied already, never applied twice; one the server refused is marked processed
-- anyway, so the queue goes on. A machine's row is its person's alone.
CREATE TABLE replays (
    machine TEXT PRIMARY KEY,
    login TEXT NOT NULL DEFAULT session_user,
    last BIGINT NOT NULL DEFAULT 0 CHECK (last >= 0)
);

ALTER TABLE replays ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON replays FOR ALL USING (login = session_user)
    WITH CHECK (login = session_user);

DO $$
DECLARE
    team TEXT := (SELECT value FROM meta WHERE key = 'team_role');
BEGIN
    IF team IS NOT NULL THEN
        EXECUTE format('GRANT INSERT, UPDATE (last) ON replays TO %I', team);
    END IF;
END
$$;
