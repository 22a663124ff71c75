-- +goose Up

-- The "other" inbox lists in-progress conversations newest first; without an index in
-- that order it walked every conversation of the team by opening (make bench-api).
CREATE INDEX conversations_team_in_progress_opened ON conversations (team_id, opened_at DESC, id DESC)
    WHERE status IN ('active', 'wrap_up') AND deleted_at IS NULL;

-- +goose Down
DROP INDEX conversations_team_in_progress_opened;
