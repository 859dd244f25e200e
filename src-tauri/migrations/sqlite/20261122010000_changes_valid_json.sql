-- Every reader parses the change log's JSON, so a row that is not JSON would stop everyone's live
-- updates at that row. Refuse such rows from any writer, at the door.
CREATE TRIGGER changes_valid_json_insert BEFORE INSERT ON changes
WHEN (NEW.data IS NOT NULL AND NOT json_valid(NEW.data))
    OR (NEW.previous IS NOT NULL AND NOT json_valid(NEW.previous))
    OR (NEW.origin IS NOT NULL AND NOT json_valid(NEW.origin))
BEGIN
    SELECT RAISE(ABORT, 'changes: data, previous and origin must be valid JSON');
END;

CREATE TRIGGER changes_valid_json_update BEFORE UPDATE ON changes
WHEN (NEW.data IS NOT NULL AND NOT json_valid(NEW.data))
    OR (NEW.previous IS NOT NULL AND NOT json_valid(NEW.previous))
    OR (NEW.origin IS NOT NULL AND NOT json_valid(NEW.origin))
BEGIN
    SELECT RAISE(ABORT, 'changes: data, previous and origin must be valid JSON');
END;
