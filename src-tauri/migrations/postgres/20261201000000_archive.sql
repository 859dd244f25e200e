-- Archive instead of delete: an archived card leaves the board but keeps its row, its history,
-- its checklist and its labels, and comes back with unarchive. `archived_at` is when it was
-- archived (Unix milliseconds), NULL for a card on the board. An archived card keeps its column
-- and position but takes no part in its column's order; it comes back where it stood (at the
-- column's bottom when a card took that place).
--
-- The log trigger records whole rows (`to_jsonb`), so it logs the new field as it stands.

ALTER TABLE tasks ADD COLUMN archived_at BIGINT;
CREATE INDEX tasks_archived ON tasks (project_id, archived_at) WHERE archived_at IS NOT NULL;
